"""Bank cards (``/cards`` or the home button): the list (masked), set the default card, unbind
(PIN on the keypad), bind another card (``/bind``: card number -> bank named -> SMS code to the
bound phone -> the bank verifies the identity on file, as at opening).

The card number is deleted from the chat at once, echoed masked, and held in memory only.
"""
from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler, filters)

from handlers.i18n import t
from handlers.ui import common as ui
from handlers.ui import confirm, entry, held, identity, keypad
from wallet.bank import lookup_card, normalize_card_number
from wallet.errors import (BankTimeout, CardAlreadyBound, CardInvalid, CardNotFound, CardNotSupported,
                           IdentityMismatch, PinLocked, PinWrong, SmsCodeExpired, SmsCodeWrong, SmsTooSoon,
                           WalletError)
from wallet.services import cards, people

FEATURE = "cards"
UNBIND_PIN, BIND_NUMBER, BIND_CODE = "cards.unbind_pin", "cards.bind_number", "cards.bind_code"
RESEND_WORDS = {"resend", "重发", "重新发送"}
TEXT = filters.TEXT & ~filters.COMMAND


def _uid(update: Update) -> int:
    return update.effective_user.id


def _end(update: Update, context: ContextTypes.DEFAULT_TYPE):
    held.forget(context, _uid(update), "card_number")
    ui.drop_draft(context, FEATURE)
    return ConversationHandler.END


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


# --- the list ------------------------------------------------------------------------------------
async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE, *, notice: str | None = None, edit: bool = True):
    lang = await ui.language(update, context)
    bound = await cards.list_cards(ui.wallet(context), _uid(update))
    draft = ui.new_draft(context, FEATURE)
    lines = [t(lang, "cards.title")]
    rows = []
    default_id = (next((c for c in bound if c["default"]), bound[0]) if bound else {}).get("card_id")
    for c in bound:
        label = entry.card_label(c, lang)
        mark = t(lang, "card.default_mark") if c["card_id"] == default_id else ""
        lines.append(f"• {label}{mark}" + (t(lang, "cards.credit_note") if c["card_type"] == "credit" else ""))
        row = []
        if c["card_id"] != default_id:
            row.append((t(lang, "cards.button.default", last4=c["last4"]), confirm.data("cd", "def", c["card_id"], draft)))
        row.append((t(lang, "cards.button.unbind", last4=c["last4"]), confirm.data("cd", "unb", c["card_id"], draft)))
        rows.append(row)
    if not bound:
        lines.append(t(lang, "cards.empty"))
    rows.append([(t(lang, "cards.button.bind"), confirm.data("cd", "bind", 0, draft))])
    rows.append([(t(lang, "flow.home"), "home:back")])
    text = "\n".join(([notice, ""] if notice else []) + lines)
    await entry.say(update, context, text, confirm.keyboard(rows), edit=edit)
    return ConversationHandler.END  # the list's buttons are entry points: no state waits (nor times out)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    held.forget(context, _uid(update), "card_number")
    return await show_list(update, context)


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE):
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    wallet, uid = ui.wallet(context), _uid(update)
    if press.verb == "bind":
        return await bind_prompt(update, context)
    card = next((c for c in await cards.list_cards(wallet, uid) if c["card_id"] == press.row_id), None)
    if card is None:
        return await show_list(update, context, notice=await ui.explain(update, context, CardNotFound(card_id=press.row_id)))
    if press.verb == "def":
        await cards.set_default_card(wallet, user_id=uid, card_id=card["card_id"])
        return await show_list(update, context, notice=t(lang, "cards.default_set", card=entry.card_label(card, lang)))
    if press.verb == "unb":
        press.draft["card_id"] = card["card_id"]
        await update.callback_query.edit_message_text(t(lang, "cards.unbind_what", card=entry.card_label(card, lang)))
        await keypad.show(update, context, title=t(lang, "cards.unbind_pin", last4=card["last4"]), owner=UNBIND_PIN)
        return UNBIND_PIN
    return None


async def on_unbind_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    draft = ui.draft(context, FEATURE)
    if not draft or "card_id" not in draft:
        await _send(update, context, t(lang, "confirm.stale"))
        return _end(update, context)
    try:
        done = await cards.unbind_card(ui.wallet(context), key=ui.op_key(update, "unbind_card", draft),
                                       user_id=_uid(update), card_id=draft["card_id"], pin=pin)
    except (PinWrong, PinLocked) as err:
        state = await keypad.refused(update, context, err)
        return _end(update, context) if state == ConversationHandler.END else state
    except WalletError as err:
        await _send(update, context, await ui.explain(update, context, err))
        return _end(update, context)
    notice = t(lang, "cards.unbound") + ("\n" + t(lang, "cards.last_unbound") if done["cards_left"] == 0 else "")
    return await show_list(update, context, notice=notice, edit=False)


# --- bind another ----------------------------------------------------------------------------------
async def bind_command(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if await entry.begin(update, context, FEATURE) is None:
        return ConversationHandler.END
    ui.new_draft(context, FEATURE)
    return await bind_prompt(update, context)


async def bind_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE):
    held.forget(context, _uid(update), "card_number")
    await _send(update, context, await ui.text(update, context, "cards.ask_number"))
    return BIND_NUMBER


async def on_number(update: Update, context: ContextTypes.DEFAULT_TYPE):
    message = update.effective_message
    typed = message.text or ""
    try:  # the whole card number must not stay in the chat
        await message.delete()
    except BadRequest:
        pass
    lang = await ui.language(update, context)
    try:
        info = lookup_card(typed)
    except (CardInvalid, CardNotSupported) as err:
        await _send(update, context, t(lang, "cards.deleted") + "\n" + await ui.explain(update, context, err))
        return None
    number = normalize_card_number(typed)
    held.hold(context, _uid(update), "card_number", number)
    draft = ui.draft(context, FEATURE) or ui.new_draft(context, FEATURE)
    draft.update(bank_code=info.bank_code, card_type=info.card_type, last4=info.last4,
                 bank_name_zh=info.bank_name_zh, bank_name_en=info.bank_name_en)
    label = entry.card_label(draft, lang)
    lines = [t(lang, "cards.deleted"), t(lang, "cards.recognised", card=label)]
    if info.card_type == "credit":
        lines.append(t(lang, "cards.credit_warning"))
    await _send(update, context, "\n".join(lines))
    await _code(update, context)
    return BIND_CODE


async def _code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await ui.language(update, context)
    try:
        sent = await people.send_code(ui.wallet(context), _uid(update), purpose="bind", lang=ui.wallet_language(lang))
        await _send(update, context, t(lang, "identity.code_sent", phone=sent["phone"]))
    except SmsTooSoon as err:
        await _send(update, context, await ui.explain(update, context, err))


async def on_code(update: Update, context: ContextTypes.DEFAULT_TYPE):
    if (update.effective_message.text or "").strip().lower() in RESEND_WORDS:
        await _code(update, context)
        return None
    code = await identity.read_code(update, context)
    if code is None:
        return None
    lang, uid = await ui.language(update, context), _uid(update)
    number = held.recall(context, uid, "card_number")
    draft = ui.draft(context, FEATURE)
    if number is None or draft is None:  # restarted in between: the card number is gone
        await _send(update, context, t(lang, "sec.again_after_restart"))
        return await bind_prompt(update, context)
    try:
        bound = await cards.bind_another(ui.wallet(context), key=ui.op_key(update, "bind_card", draft),
                                         user_id=uid, card_number=number, sms_code=code)
    except SmsCodeWrong as err:
        await _send(update, context, await ui.explain(update, context, err))
        return None
    except SmsCodeExpired as err:
        await _send(update, context, await ui.explain(update, context, err))
        await _code(update, context)
        return None
    except BankTimeout:
        ui.new_draft(context, FEATURE, **{k: v for k, v in draft.items() if k != "nonce"})
        await _send(update, context, t(lang, "cards.bank_timeout"))
        await _code(update, context)
        return None
    except (IdentityMismatch, CardAlreadyBound, CardNotSupported, CardInvalid) as err:
        held.forget(context, uid, "card_number")
        ui.new_draft(context, FEATURE)
        text = (t(lang, "cards.identity_mismatch", card=entry.card_label(draft, lang))
                if isinstance(err, IdentityMismatch) else await ui.explain(update, context, err))
        await _send(update, context, text + "\n" + t(lang, "cards.ask_number"))
        return BIND_NUMBER
    except WalletError as err:
        await _send(update, context, await ui.explain(update, context, err))
        return _end(update, context)
    held.forget(context, uid, "card_number")
    return await show_list(update, context, notice=t(lang, "cards.bound", card=entry.card_label(bound, lang)), edit=False)


def conversation() -> ConversationHandler:
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("cards", start), CallbackQueryHandler(start, pattern=r"^home:cards$"),
                      CommandHandler("bind", bind_command),
                      # the list's buttons, also on an older list message (a stale one gets a popup)
                      CallbackQueryHandler(on_list, pattern=confirm.pattern("cd"))],
        states={
            UNBIND_PIN: keypad.state(on_unbind_pin, owner=UNBIND_PIN),
            BIND_NUMBER: [entry.FlowText(FEATURE, on_number)],
            BIND_CODE: [entry.FlowText(FEATURE, on_code)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(conversation())
