"""Security (``/security`` or the home button): change the PIN (old, new twice), forgot the PIN
(ID number + SMS code -> new PIN twice), freeze now (no PIN, one confirmation: works even while
the PIN is locked), unfreeze (PIN + ID number + SMS code), and the security tips.

Shortcuts: ``/pin`` (change), ``/forgotpin``, ``/freeze``, ``/unfreeze``, ``/tips``.
An old PIN, an ID number or an SMS code typed in one step is held for the next in memory only
(``keypad.hold``); after a restart the flow asks for it again.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters)

from handlers.i18n import t
from handlers.ui import common as ui
from handlers.ui import confirm, entry, identity, keypad
from wallet.errors import (IdentityMismatch, InvalidIdNumber, NotFrozen, PinLocked, PinWeak, PinWrong,
                           SmsCodeExpired, SmsCodeWrong, SmsTooSoon, WalletError)
from wallet.services import people, pins

FEATURE = "security"
(FREEZE, CHANGE_OLD, CHANGE_NEW, FORGOT_ID, FORGOT_CODE, FORGOT_PIN, UNF_PIN, UNF_ID, UNF_CODE) = (
    f"security.{s}" for s in ("freeze", "change_old", "change_new", "forgot_id", "forgot_code",
                              "forgot_pin", "unfreeze_pin", "unfreeze_id", "unfreeze_code"))
RESEND_WORDS = {"resend", "重发", "重新发送"}
TEXT = filters.TEXT & ~filters.COMMAND


def _uid(update: Update) -> int:
    return update.effective_user.id


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


def _end(context: ContextTypes.DEFAULT_TYPE, update: Update):
    keypad.forget(context, _uid(update))
    ui.drop_draft(context, FEATURE)
    return ConversationHandler.END


# --- menu ------------------------------------------------------------------------------------
async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    keypad.forget(context, _uid(update))
    freeze = ("unfreeze", "sec.button.unfreeze") if profile.get("frozen") else ("freeze", "sec.button.freeze")
    rows = [[(t(lang, "sec.button.change"), "sec:change"), (t(lang, "sec.button.forgot"), "sec:forgot")],
            [(t(lang, freeze[1]), f"sec:{freeze[0]}"), (t(lang, "sec.button.tips"), "sec:tips")],
            [(t(lang, "ticket.button.report"), "ticket:pick:0")],
            [(t(lang, "flow.home"), "home:back")]]
    text = t(lang, "sec.menu", phone=profile.get("phone") or "-",
             state=t(lang, "sec.state.frozen" if profile.get("frozen") else "sec.state.active"))
    await entry.say(update, context, text, confirm.keyboard(rows))
    return ConversationHandler.END  # the menu's buttons are entry points: no state waits (nor times out)


async def tips(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    await entry.say(update, context, t(lang, "sec.tips"), entry.home_button(lang))
    return _end(context, update)


# --- freeze ------------------------------------------------------------------------------------
async def freeze_ask(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    profile = await ui.person(update, context, fresh=True)
    if profile and profile.get("frozen"):
        await entry.say(update, context, t(lang, "sec.already_frozen"))
        return _end(context, update)
    draft = ui.new_draft(context, FEATURE, action="freeze")
    rows = [[(t(lang, "sec.freeze_yes"), confirm.data("sfz", "yes", 0, draft))],
            [(t(lang, "flow.cancel_button"), confirm.data("sfz", "no", 0, draft))]]
    await entry.say(update, context, t(lang, "sec.freeze_ask"), confirm.keyboard(rows))
    return FREEZE


async def freeze_do(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    if press.verb != "yes":
        await update.callback_query.edit_message_text(t(lang, "keypad.cancelled"))
        return _end(context, update)
    await people.freeze(ui.wallet(context), key=ui.op_key(update, "freeze", press.draft), user_id=_uid(update))
    await update.callback_query.edit_message_text(t(lang, "sec.frozen"))
    return _end(context, update)


# --- change PIN --------------------------------------------------------------------------------
async def change_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    await keypad.show(update, context, title=t(lang, "sec.change_old"), owner=CHANGE_OLD)
    return CHANGE_OLD


async def change_old(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    try:
        await pins.verify_pin(ui.wallet(context), _uid(update), pin)
    except (PinWrong, PinLocked) as err:
        return await _refused(update, context, err)
    keypad.hold(context, _uid(update), "old_pin", pin)
    await keypad.show(update, context, title=t(lang, "sec.change_new"), twice=True, owner=CHANGE_NEW)
    return CHANGE_NEW


async def change_new(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    old = keypad.recall(context, _uid(update), "old_pin")
    if old is None:  # the bot restarted in between: the old PIN is gone, ask again
        await keypad.show(update, context, title=t(lang, "sec.change_old"), notice=t(lang, "sec.again_after_restart"),
                          owner=CHANGE_OLD)
        return CHANGE_OLD
    try:
        await pins.change_pin(ui.wallet(context), _uid(update), old, pin)
    except PinWeak as err:
        return await keypad.refused(update, context, err)
    except (PinWrong, PinLocked) as err:
        return await _refused(update, context, err)
    await _send(update, context, t(lang, "sec.changed"), entry.home_button(lang))
    return _end(context, update)


async def _refused(update: Update, context: ContextTypes.DEFAULT_TYPE, err: WalletError):
    state = await keypad.refused(update, context, err)
    if state == ConversationHandler.END:
        return _end(context, update)
    return state


# --- forgot PIN ----------------------------------------------------------------------------------
async def forgot_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    keypad.forget(context, _uid(update))
    await _send(update, context, await ui.text(update, context, "sec.forgot_id"))
    return FORGOT_ID


async def _send_code(update: Update, context: ContextTypes.DEFAULT_TYPE, purpose: str) -> None:
    lang = await ui.language(update, context)
    try:
        sent = await people.send_code(ui.wallet(context), _uid(update), purpose=purpose, lang=ui.wallet_language(lang))
        await _send(update, context, t(lang, "identity.code_sent", phone=sent["phone"]))
    except SmsTooSoon as err:
        await _send(update, context, await ui.explain(update, context, err))


async def forgot_id(update: Update, context: ContextTypes.DEFAULT_TYPE):
    number = await identity.read_id_number(update, context)
    if number is None:
        return None
    keypad.hold(context, _uid(update), "id_number", number)
    await _send_code(update, context, "reset_pin")
    return FORGOT_CODE


async def forgot_code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if (update.effective_message.text or "").strip().lower() in RESEND_WORDS:
        await _send_code(update, context, "reset_pin")
        return None
    code = await identity.read_code(update, context)
    if code is None:
        return None
    uid = _uid(update)
    keypad.hold(context, uid, "sms_code", code)
    held_pin = keypad.recall(context, uid, "new_pin")
    if held_pin is not None:  # a wrong code after the new PIN was chosen: try again with it
        return await _reset(update, context, held_pin)
    lang = await ui.language(update, context)
    await keypad.show(update, context, title=t(lang, "sec.forgot_new"), twice=True, owner=FORGOT_PIN)
    return FORGOT_PIN


async def forgot_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    return await _reset(update, context, pin)


async def _reset(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    uid, lang = _uid(update), await ui.language(update, context)
    number, code = keypad.recall(context, uid, "id_number"), keypad.recall(context, uid, "sms_code")
    if number is None or code is None:
        await _send(update, context, t(lang, "sec.again_after_restart") + "\n" + t(lang, "sec.forgot_id"))
        keypad.forget(context, uid)
        return FORGOT_ID
    try:
        await pins.reset_pin(ui.wallet(context), uid, sms_code=code, id_number=number, new_pin=pin)
    except PinWeak as err:
        return await keypad.refused(update, context, err)
    except SmsCodeWrong as err:
        keypad.hold(context, uid, "new_pin", pin)
        await _send(update, context, await ui.explain(update, context, err))
        return FORGOT_CODE
    except SmsCodeExpired as err:
        keypad.hold(context, uid, "new_pin", pin)
        await _send(update, context, await ui.explain(update, context, err))
        await _send_code(update, context, "reset_pin")
        return FORGOT_CODE
    except (IdentityMismatch, InvalidIdNumber) as err:
        keypad.forget(context, uid)
        await _send(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "sec.forgot_id"))
        return FORGOT_ID
    await _send(update, context, t(lang, "sec.reset_done"), entry.home_button(lang))
    return _end(context, update)


# --- unfreeze ------------------------------------------------------------------------------------
async def unfreeze_start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    profile = await ui.person(update, context, fresh=True)
    if not (profile and profile.get("frozen")):
        await _send(update, context, await ui.explain(update, context, NotFrozen(user_id=_uid(update))))
        return _end(context, update)
    keypad.forget(context, _uid(update))
    await keypad.show(update, context, title=t(lang, "sec.unfreeze_pin"), owner=UNF_PIN)
    return UNF_PIN


async def unfreeze_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    try:
        await pins.verify_pin(ui.wallet(context), _uid(update), pin)
    except (PinWrong, PinLocked) as err:
        return await _refused(update, context, err)
    keypad.hold(context, _uid(update), "pin", pin)
    await _send(update, context, await ui.text(update, context, "sec.unfreeze_id"))
    return UNF_ID


async def unfreeze_id(update: Update, context: ContextTypes.DEFAULT_TYPE):
    number = await identity.read_id_number(update, context)
    if number is None:
        return None
    keypad.hold(context, _uid(update), "id_number", number)
    await _send_code(update, context, "unfreeze")
    return UNF_CODE


async def unfreeze_code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if (update.effective_message.text or "").strip().lower() in RESEND_WORDS:
        await _send_code(update, context, "unfreeze")
        return None
    code = await identity.read_code(update, context)
    if code is None:
        return None
    uid, lang = _uid(update), await ui.language(update, context)
    pin, number = keypad.recall(context, uid, "pin"), keypad.recall(context, uid, "id_number")
    if pin is None or number is None:
        await keypad.show(update, context, title=t(lang, "sec.unfreeze_pin"), notice=t(lang, "sec.again_after_restart"),
                          owner=UNF_PIN)
        return UNF_PIN
    draft = ui.draft(context, FEATURE) or ui.new_draft(context, FEATURE, action="unfreeze")
    try:
        await people.unfreeze(ui.wallet(context), key=ui.op_key(update, "unfreeze", draft), user_id=uid,
                              pin=pin, sms_code=code, id_number=number)
    except SmsCodeWrong as err:
        await _send(update, context, await ui.explain(update, context, err))
        return None
    except SmsCodeExpired as err:
        await _send(update, context, await ui.explain(update, context, err))
        await _send_code(update, context, "unfreeze")
        return None
    except (IdentityMismatch, InvalidIdNumber) as err:
        keypad.forget(context, uid, "id_number")
        await _send(update, context, await ui.explain(update, context, err) + "\n" + t(lang, "sec.unfreeze_id"))
        return UNF_ID
    except (PinWrong, PinLocked) as err:
        return await _refused(update, context, err)
    except NotFrozen:
        pass
    await _send(update, context, t(lang, "sec.unfrozen"), entry.home_button(lang))
    return _end(context, update)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("security", menu), CallbackQueryHandler(menu, pattern=r"^home:security$"),
                      CommandHandler("freeze", freeze_ask), CommandHandler("unfreeze", unfreeze_start),
                      CommandHandler("pin", change_start), CommandHandler("forgotpin", forgot_start),
                      CommandHandler("tips", tips),
                      # the menu's buttons work from any menu message, also an old one
                      CallbackQueryHandler(change_start, pattern=r"^sec:change$"),
                      CallbackQueryHandler(forgot_start, pattern=r"^sec:forgot$"),
                      CallbackQueryHandler(freeze_ask, pattern=r"^sec:freeze$"),
                      CallbackQueryHandler(unfreeze_start, pattern=r"^sec:unfreeze$"),
                      CallbackQueryHandler(tips, pattern=r"^sec:tips$")],
        states={
            FREEZE: [CallbackQueryHandler(freeze_do, pattern=confirm.pattern("sfz"))],
            CHANGE_OLD: keypad.state(change_old, owner=CHANGE_OLD),
            CHANGE_NEW: keypad.state(change_new, validate=keypad.strength(), owner=CHANGE_NEW),
            FORGOT_ID: [entry.FlowText(FEATURE, forgot_id)],
            FORGOT_CODE: [entry.FlowText(FEATURE, forgot_code)],
            FORGOT_PIN: keypad.state(forgot_pin, validate=keypad.strength(), owner=FORGOT_PIN),
            UNF_PIN: keypad.state(unfreeze_pin, owner=UNF_PIN),
            UNF_ID: [entry.FlowText(FEATURE, unfreeze_id)],
            UNF_CODE: [entry.FlowText(FEATURE, unfreeze_code)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
