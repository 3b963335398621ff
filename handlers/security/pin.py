"""Changing the PIN (old, then new twice) and a forgotten PIN (ID number + SMS code -> new PIN twice)."""
from __future__ import annotations

import secrets

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.security.steps import (CHANGE_NEW, CHANGE_OLD, FEATURE, FORGOT_CODE, FORGOT_ID, FORGOT_PIN, end,
                                     person_id, read_code, refused, send, send_code, take_id_number)
from handlers.ui import common as ui
from handlers.ui import entry, held, keypad
from wallet.errors import IdentityMismatch, InvalidIdNumber, PinLocked, PinWeak, PinWrong, SmsCodeExpired, SmsCodeWrong
from wallet.services import pins


# --- change PIN --------------------------------------------------------------------------------
def new_pin_rules() -> keypad.Validate:
    """The new PIN's first entry: the strength rules, and not the current PIN (told at once, before
    it is typed a second time; the wallet refuses it too)."""
    strong = keypad.strength()

    async def check(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str) -> str | None:
        problem = await strong(update, context, pin)
        if problem:
            return problem
        old = held.recall(context, person_id(update), "old_pin")
        if old is not None and secrets.compare_digest(old.encode(), pin.encode()):
            return await ui.explain(update, context, PinWeak(reason="same_as_old"))
        return None
    return check


async def change_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    if not await keypad.show(update, context, title=t(lang, "sec.change_old"), owner=CHANGE_OLD):
        return end(context, update)  # the PIN is locked: told, with the reset button
    return CHANGE_OLD


async def change_old(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    try:
        await pins.verify_pin(ui.wallet(context), person_id(update), pin)
    except (PinWrong, PinLocked) as err:
        return await refused(update, context, err)
    held.hold(context, person_id(update), "old_pin", pin)
    await keypad.show(update, context, title=t(lang, "sec.change_new"), twice=True, owner=CHANGE_NEW)
    return CHANGE_NEW


async def change_new(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    old = held.recall(context, person_id(update), "old_pin")
    if old is None:  # the bot restarted in between: the old PIN is gone, ask again
        if not await keypad.show(update, context, title=t(lang, "sec.change_old"),
                                 notice=t(lang, "sec.again_after_restart"), owner=CHANGE_OLD):
            return end(context, update)
        return CHANGE_OLD
    try:
        await pins.change_pin(ui.wallet(context), person_id(update), old, pin)
    except PinWeak as err:
        return await keypad.refused(update, context, err)
    except (PinWrong, PinLocked) as err:
        return await refused(update, context, err)
    await send(update, context, t(lang, "sec.changed"), entry.home_button(lang))
    return end(context, update)


# --- forgot PIN ----------------------------------------------------------------------------------
async def forgot_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    held.forget(context, person_id(update))
    await send(update, context, await ui.text(update, context, "sec.forgot_id"))
    return FORGOT_ID


async def forgot_id(update: Update, context: ContextTypes.DEFAULT_TYPE):
    return FORGOT_CODE if await take_id_number(update, context, "reset_pin") else None


async def forgot_code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    code = await read_code(update, context, "reset_pin")
    if code is None:
        return None
    uid = person_id(update)
    held.hold(context, uid, "sms_code", code)
    held_pin = held.recall(context, uid, "new_pin")
    if held_pin is not None:  # a wrong code after the new PIN was chosen: try again with it
        return await _reset(update, context, held_pin)
    lang = await ui.language(update, context)
    await keypad.show(update, context, title=t(lang, "sec.forgot_new"), twice=True, owner=FORGOT_PIN)
    return FORGOT_PIN


async def forgot_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    return await _reset(update, context, pin)


async def _reset(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    uid, lang = person_id(update), await ui.language(update, context)
    number, code = held.recall(context, uid, "id_number"), held.recall(context, uid, "sms_code")
    if number is None or code is None:
        await send(update, context, t(lang, "sec.again_after_restart") + "\n" + t(lang, "sec.forgot_id"))
        held.forget(context, uid)
        return FORGOT_ID
    try:
        await pins.reset_pin(ui.wallet(context), uid, sms_code=code, id_number=number, new_pin=pin)
    except PinWeak as err:
        return await keypad.refused(update, context, err)
    except SmsCodeWrong as err:
        held.hold(context, uid, "new_pin", pin)
        await send(update, context, await ui.explain(update, context, err))
        return FORGOT_CODE
    except SmsCodeExpired as err:
        held.hold(context, uid, "new_pin", pin)
        await send(update, context, await ui.explain(update, context, err))
        await send_code(update, context, "reset_pin")
        return FORGOT_CODE
    except (IdentityMismatch, InvalidIdNumber) as err:
        held.forget(context, uid)
        await send(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "sec.forgot_id"))
        return FORGOT_ID
    await send(update, context, t(lang, "sec.reset_done"), entry.home_button(lang))
    return end(context, update)
