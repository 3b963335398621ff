"""Unfreezing the wallet: the PIN, then the ID number, then the SMS code."""
from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.security.draft import SecurityDraft
from handlers.security.steps import (FEATURE, UNF_CODE, UNF_ID, UNF_PIN, end, person_id, read_code, refused, send,
                                     send_code, take_id_number)
from handlers.ui import common as ui
from handlers.ui import entry, held, keypad
from wallet.errors import IdentityMismatch, InvalidIdNumber, NotFrozen, PinLocked, PinWrong, SmsCodeExpired, SmsCodeWrong
from wallet.services import people, pins


async def unfreeze_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    profile = await ui.person(update, context, fresh=True)
    if not (profile and profile.get("frozen")):
        await send(update, context, await ui.explain(update, context, NotFrozen(user_id=person_id(update))))
        return end(context, update)
    held.forget(context, person_id(update))
    if not await keypad.show(update, context, title=t(lang, "sec.unfreeze_pin"), owner=UNF_PIN):
        return end(context, update)  # the PIN is locked: told, with the reset button
    return UNF_PIN


async def unfreeze_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    try:
        await pins.verify_pin(ui.wallet(context), person_id(update), pin)
    except (PinWrong, PinLocked) as err:
        return await refused(update, context, err)
    held.hold(context, person_id(update), "pin", pin)
    await send(update, context, await ui.text(update, context, "sec.unfreeze_id"))
    return UNF_ID


async def unfreeze_id(update: Update, context: ContextTypes.DEFAULT_TYPE):
    return UNF_CODE if await take_id_number(update, context, "unfreeze") else None


async def unfreeze_code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    code = await read_code(update, context, "unfreeze")
    if code is None:
        return None
    uid, lang = person_id(update), await ui.language(update, context)
    pin, number = held.recall(context, uid, "pin"), held.recall(context, uid, "id_number")
    if pin is None or number is None:
        if not await keypad.show(update, context, title=t(lang, "sec.unfreeze_pin"),
                                 notice=t(lang, "sec.again_after_restart"), owner=UNF_PIN):
            return end(context, update)
        return UNF_PIN
    draft = SecurityDraft.load(context) or SecurityDraft.start(context, action="unfreeze")
    try:
        await people.unfreeze(ui.wallet(context), key=ui.op_key(update, "unfreeze", draft), user_id=uid,
                              pin=pin, sms_code=code, id_number=number)
    except SmsCodeWrong as err:
        await send(update, context, await ui.explain(update, context, err))
        return None
    except SmsCodeExpired as err:
        await send(update, context, await ui.explain(update, context, err))
        await send_code(update, context, "unfreeze")
        return None
    except (IdentityMismatch, InvalidIdNumber) as err:
        held.forget(context, uid, "id_number")
        await send(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "sec.unfreeze_id"))
        return UNF_ID
    except (PinWrong, PinLocked) as err:
        return await refused(update, context, err)
    except NotFrozen:
        pass
    await send(update, context, t(lang, "sec.unfrozen"), entry.home_button(lang))
    return end(context, update)
