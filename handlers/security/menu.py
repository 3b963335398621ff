"""Security (``/security`` or the home button): the menu, the tips, freeze now, and the conversation
(its buttons: handlers/security/callbacks.py).

The steps: change the PIN (old, new twice) and forgot the PIN (ID number + SMS code -> new PIN
twice) in handlers/security/pin.py; unfreeze (PIN + ID number + SMS code) in
handlers/security/unfreeze.py; what they share in handlers/security/steps.py. Freeze now needs
no PIN, one confirmation: it works even while the PIN is locked.

Shortcuts: ``/pin`` (change), ``/forgotpin``, ``/freeze``, ``/unfreeze``, ``/tips``.
The menu also leads to the anti-theft settings (handlers/security/antitheft.py) and the recent
safety checks (handlers/security/checks.py; the newest is a line of the menu).
An old PIN, an ID number or an SMS code typed in one step is held for the next in memory only
(``held.hold``); after a restart the flow asks for it again.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.home import callbacks as home_buttons
from handlers.security import antitheft, checks
from handlers.security import callbacks as buttons
from handlers.security.pin import (change_new, change_old, change_start, forgot_code, forgot_id, forgot_pin,
                                   forgot_start, new_pin_rules)
from handlers.security.steps import (CHANGE_NEW, CHANGE_OLD, FEATURE, FORGOT_CODE, FORGOT_ID, FORGOT_PIN, FREEZE,
                                     UNF_CODE, UNF_ID, UNF_PIN, end, person_id)
from handlers.security.unfreeze import unfreeze_code, unfreeze_id, unfreeze_pin, unfreeze_start
from handlers.security.draft import SecurityDraft
from handlers.tickets.callbacks import Pick as ReportPick
from handlers.ui import common as ui
from handlers.ui import confirm, entry, held, keypad
from wallet.services import people


# --- menu ------------------------------------------------------------------------------------
async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    held.forget(context, person_id(update))
    freeze = (buttons.Unfreeze, "sec.button.unfreeze") if profile.get("frozen") else (buttons.Freeze, "sec.button.freeze")
    rows = [[(t(lang, "sec.button.change"), buttons.Change().data()), (t(lang, "sec.button.forgot"), buttons.Forgot().data())],
            [(t(lang, freeze[1]), freeze[0]().data()), (t(lang, "sec.button.tips"), buttons.Tips().data())],
            [(t(lang, "sec.button.antitheft"), buttons.AntiTheft().data()),  # handlers/security/antitheft.py
             (t(lang, "sec.button.checks"), buttons.Checks().data())],       # handlers/security/checks.py
            [(t(lang, "ticket.button.report"), ReportPick().data())],  # /report's bill picker (handlers/tickets)
            [(t(lang, "flow.home"), home_buttons.Back().data())]]
    frozen = bool(profile.get("frozen"))
    text = t(lang, "sec.menu", phone=profile.get("phone") or "-",
             state=t(lang, "sec.state.frozen" if frozen else "sec.state.active"),
             hint=t(lang, "sec.menu.hint_frozen" if frozen else "sec.menu.hint_active"))
    last = await checks.last_check(update, context)
    if last:
        text = f"{text}\n\n{last}"
    await entry.say(update, context, text, confirm.keyboard(rows))
    return ConversationHandler.END  # the menu's buttons are entry points: no state waits (nor times out)


async def tips(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    await entry.say(update, context, t(lang, "sec.tips"), entry.home_button(lang))
    return end(context, update)


# --- freeze ------------------------------------------------------------------------------------
async def freeze_ask(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    profile = await ui.person(update, context, fresh=True)
    if profile and profile.get("frozen"):
        await entry.say(update, context, t(lang, "sec.already_frozen"), entry.unfreeze_buttons(lang))
        return end(context, update)
    draft = SecurityDraft.start(context, action="freeze")
    rows = [[(t(lang, "sec.freeze_yes"), buttons.FreezeConfirm("yes", 0, draft.nonce).data())],
            [(t(lang, "flow.cancel_button"), buttons.FreezeConfirm("no", 0, draft.nonce).data())]]
    await entry.say(update, context, t(lang, "sec.freeze_ask"), confirm.keyboard(rows))
    return FREEZE


async def freeze_do(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    if press.verb != "yes":
        await update.callback_query.edit_message_text(t(lang, "keypad.cancelled"))
        return end(context, update)
    draft = SecurityDraft.of(press.draft)
    await people.freeze(ui.wallet(context), key=ui.op_key(update, "freeze", draft), user_id=person_id(update))
    await update.callback_query.edit_message_text(t(lang, "sec.frozen"))
    return end(context, update)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("security", menu), CallbackQueryHandler(menu, pattern=home_buttons.Security.pattern()),
                      CommandHandler("freeze", freeze_ask), CommandHandler("unfreeze", unfreeze_start),
                      CommandHandler("pin", change_start), CommandHandler("forgotpin", forgot_start),
                      CommandHandler("tips", tips),
                      # the menu's buttons work from any menu message, also an old one
                      CallbackQueryHandler(change_start, pattern=buttons.Change.pattern()),
                      CallbackQueryHandler(forgot_start, pattern=buttons.Forgot.pattern()),
                      CallbackQueryHandler(freeze_ask, pattern=buttons.Freeze.pattern()),
                      CallbackQueryHandler(unfreeze_start, pattern=buttons.Unfreeze.pattern()),
                      CallbackQueryHandler(tips, pattern=buttons.Tips.pattern())],
        states={
            FREEZE: [CallbackQueryHandler(freeze_do, pattern=buttons.FreezeConfirm.pattern())],
            CHANGE_OLD: keypad.state(change_old, owner=CHANGE_OLD),
            CHANGE_NEW: keypad.state(change_new, validate=new_pin_rules(), owner=CHANGE_NEW),
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
    antitheft.register(app)  # sec:theft, ats:*: the anti-theft settings (a conversation of their own)
    checks.register(app)     # sec:checks: recent safety checks
