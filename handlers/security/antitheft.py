"""Anti-theft settings (防盗设置), from /security: each setting with its state and a button to
change it; every change asks for the payment PIN on the keypad, then ``risk_settings.set_prefs``
(wallet/services/risk_settings.py says what each does):

- SMS code above ¥X: type an amount, or Off;
- night lock (no money out at night, the risk settings' hours): on / off, straight to the PIN;
- new recipients: a first transfer above ¥X waits (2 h, revocable): an amount, or Off;
- small payments without the PIN (免密支付): ¥X a payment, then ¥Y a day (at least ¥X), or Off;
  never for withdrawals.

A change lives in ``AntiTheftDraft`` until the PIN: its nonce is the key (a replay changes nothing
twice), and the Off / Cancel buttons carry it (an old prompt's are refused). A wrong PIN changes
nothing and shows a fresh keypad; a locked one ends the change. Amounts go through the chat's
amount reader (too large, text, zero: the reason, same step). Any other ``ats:`` press (crafted,
or after the change ended) is refused with a popup and changes nothing.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, ConversationHandler

from chat.i18n import t
from handlers.home import callbacks as home_buttons
from handlers.security import callbacks as buttons
from handlers.security.antitheft_state import hours, is_on, state_of
from handlers.security.draft import AntiTheftDraft
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry, keypad
from wallet.errors import PinLocked, PinWrong, WalletError
from wallet.services import risk_settings

log = logging.getLogger("handlers.security.antitheft")

FEATURE = AntiTheftDraft.FEATURE
AMOUNT, DAILY, PIN = (f"{FEATURE}.{s}" for s in ("amount", "daily", "pin"))
# what each setting changes (set_prefs's names); 免密支付's two change together
FIELDS = {"sms": ("sms_above",), "night": ("night_lock",), "newpay": ("new_recipient_delay_above",),
          "nopin": ("no_pin_max", "no_pin_daily")}
OFF_WORDS = {"off", "none", "关", "关闭", "不用", "无"}


# --- the screen ------------------------------------------------------------------------------------
async def screen(update: Update, context: ContextTypes.DEFAULT_TYPE, notice: str | None = None, *,
                 edit: bool = True):
    lang = await ui.language(update, context)
    p = await risk_settings.get_prefs(ui.wallet(context), ui.user_id(update))
    at = hours(context)
    lines = [t(lang, "ats.title"),
             t(lang, "ats.sms", value=state_of(lang, "sms", p)),
             t(lang, "ats.night", value=state_of(lang, "night", p), **at),
             t(lang, "ats.newpay", value=state_of(lang, "newpay", p), **at),
             t(lang, "ats.nopin", value=state_of(lang, "nopin", p)),
             t(lang, "ats.pin_note")]
    if ui.wallet(context).risk is None:  # kept, but nothing screens payments on this server now
        lines.append(t(lang, "ats.engine_off"))
    night = "ats.button.night_off" if p.night_lock else "ats.button.night_on"
    rows = [[(t(lang, "ats.button.sms"), buttons.TheftSetting("sms").data()),
             (t(lang, night), buttons.TheftSetting("night").data())],
            [(t(lang, "ats.button.newpay"), buttons.TheftSetting("newpay").data()),
             (t(lang, "ats.button.nopin"), buttons.TheftSetting("nopin").data())],
            [(t(lang, "sec.button.checks"), buttons.Checks().data())],
            [(t(lang, "ats.button.back"), home_buttons.Security().data()),
             (t(lang, "flow.home"), home_buttons.Back().data())]]
    text = "\n\n".join(([notice] if notice else []) + lines)
    await entry.say(update, context, text, confirm.keyboard(rows), edit=edit)
    return ConversationHandler.END


async def open_screen(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``sec:theft``: the screen (a change under way is dropped)."""
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    AntiTheftDraft.drop(context)
    return await screen(update, context)


# --- a change: the amount (or Off), then the PIN -----------------------------------------------------
async def change(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """``ats:set:<setting>``: the night lock goes straight to the PIN; the others ask an amount."""
    setting = buttons.TheftSetting.parse(update.callback_query.data).setting
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    p = await risk_settings.get_prefs(ui.wallet(context), ui.user_id(update))
    if setting == "night":
        draft = AntiTheftDraft.start(context, setting=setting, changes={"night_lock": not p.night_lock})
        return await ask_pin(update, context, draft)
    draft = AntiTheftDraft.start(context, setting=setting)
    rows = [[(t(lang, "ats.button.off"), buttons.TheftConfirm("off", 0, draft.nonce).data())]] if is_on(setting, p) else []
    rows.append([(t(lang, "flow.cancel_button"), buttons.TheftConfirm("no", 0, draft.nonce).data())])
    text = t(lang, f"ats.ask.{setting}", now=state_of(lang, setting, p), **hours(context))
    await entry.say(update, context, text, confirm.keyboard(rows))
    return AMOUNT


async def off_or_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The amount step's Off (the setting off, after the PIN) or Cancel (nothing changes)."""
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None  # an old prompt's button: refused (popup), the live step stays
    if await press.cancelled(update, context):
        return ConversationHandler.END
    draft = AntiTheftDraft.of(press.draft)
    return await ask_pin(update, context, draft.replace(changes={f: None for f in FIELDS[draft.setting]}).save(context))


def _off(update: Update) -> bool:
    return (update.effective_message.text or "").strip().lower() in OFF_WORDS


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = AntiTheftDraft.load(context)
    if draft is None or draft.setting not in FIELDS or draft.setting == "night":
        return ConversationHandler.END
    if _off(update):
        return await ask_pin(update, context, draft.replace(changes={f: None for f in FIELDS[draft.setting]}).save(context))
    fen = await amount_ui.read(update, context, payment=True)
    if fen is None:
        return None  # told why; still waiting for an amount
    if draft.setting == "nopin":
        draft.replace(each=fen).save(context)
        await update.effective_message.reply_text(await ui.text(update, context, "ats.ask.nopin_daily",
                                                                each=ui.money(fen)))
        return DAILY
    return await ask_pin(update, context, draft.replace(changes={FIELDS[draft.setting][0]: fen}).save(context))


async def on_daily(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """免密支付's day limit: at least one payment's."""
    draft = AntiTheftDraft.load(context)
    if draft is None or draft.setting != "nopin" or draft.each is None:
        return ConversationHandler.END
    if _off(update):
        return await ask_pin(update, context, draft.replace(changes={"no_pin_max": None, "no_pin_daily": None}).save(context))
    fen = await amount_ui.read(update, context, payment=True)
    if fen is None:
        return None
    if fen < draft.each:
        await update.effective_message.reply_text(await ui.text(update, context, "ats.nopin_daily_small",
                                                                each=ui.money(draft.each)))
        return None
    return await ask_pin(update, context, draft.replace(changes={"no_pin_max": draft.each, "no_pin_daily": fen}).save(context))


def _pin_title(lang: str, draft: AntiTheftDraft) -> str:
    changes = dict(draft.changes or {})
    if draft.setting == "night":
        return t(lang, "ats.pin.night_on" if changes.get("night_lock") else "ats.pin.night_off")
    first = changes.get(FIELDS[draft.setting][0])
    if first is None:
        return t(lang, f"ats.pin.{draft.setting}_off")
    if draft.setting == "nopin":
        return t(lang, "ats.pin.nopin", each=ui.money(first), daily=ui.money(changes["no_pin_daily"]))
    return t(lang, f"ats.pin.{draft.setting}", amount=ui.money(first))


async def ask_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: AntiTheftDraft):
    lang = await ui.language(update, context)
    if not await keypad.show(update, context, title=_pin_title(lang, draft), owner=PIN):
        AntiTheftDraft.drop(context)  # the PIN is locked: told until when, with the reset button
        return ConversationHandler.END
    return PIN


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    draft = AntiTheftDraft.load(context)
    if draft is None or draft.changes is None:
        return ConversationHandler.END
    uid = ui.user_id(update)
    try:
        await risk_settings.set_prefs(ui.wallet(context), key=ui.op_key(update, "risk_prefs", draft), user_id=uid,
                                      pin=pin, **dict(draft.changes))
    except (PinWrong, PinLocked) as err:
        return await keypad.refused(update, context, err, drop=FEATURE)
    except WalletError as err:  # an amount the wallet refuses after all: nothing changed
        AntiTheftDraft.drop(context)
        await context.bot.send_message(update.effective_chat.id, await ui.explain(update, context, err))
        return ConversationHandler.END
    AntiTheftDraft.drop(context)
    log.info("user=%s op=risk_prefs changed=%s", uid, ",".join(sorted(draft.changes)))
    return await screen(update, context, await ui.text(update, context, "ats.saved"), edit=False)


async def on_pin_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE):
    AntiTheftDraft.drop(context)
    return ConversationHandler.END


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An ``ats:`` press no step takes (crafted, an unknown setting, an old prompt after the change
    ended): a popup, nothing changes."""
    await update.callback_query.answer(await ui.text(update, context, "ats.refused"), show_alert=True)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CallbackQueryHandler(open_screen, pattern=buttons.AntiTheft.pattern()),
                      CallbackQueryHandler(change, pattern=buttons.TheftSetting.pattern())],
        states={
            AMOUNT: [entry.FlowText(FEATURE, on_amount),
                     CallbackQueryHandler(off_or_cancel, pattern=buttons.TheftConfirm.pattern())],
            DAILY: [entry.FlowText(FEATURE, on_daily),
                    CallbackQueryHandler(off_or_cancel, pattern=buttons.TheftConfirm.pattern())],
            PIN: keypad.state(on_pin, on_cancel=on_pin_cancel, owner=PIN),
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
    app.add_handler(CallbackQueryHandler(refused, pattern=buttons.is_theft))
