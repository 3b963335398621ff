"""Transfers (转账) in chat (DESIGN §8, issue 9).

Private chat: ``/transfer`` or the home button -> pick the person (a ``request_users`` button, or an
``@username`` the bot has seen) -> amount -> optional note -> arrival (now / 2 h / 24 h) -> confirm
-> PIN keypad -> done. The recipient gets a card with Accept / Return; a delayed transfer shows
Revoke to its sender.

Group: reply to a member's message with ``/transfer 20 dinner``: the confirm screen and the PIN
are in the sender's private chat; then the card "Alice → Bob ¥20.00" is posted into the group.

callback_data: ``tf:<verb>:<draft row id>:<nonce>`` for the sender's confirm screens (the nonce is
the draft's: a double tap or an old screen cannot pay twice), ``tf:acc|ret|rev:<transfer id>`` for
the cards; every card press is checked by the wallet (only the recipient may accept or return,
only the sender may revoke) and answered with a popup when refused.
"""
from __future__ import annotations

import re

from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardButtonRequestUsers,
                      ReplyKeyboardMarkup, ReplyKeyboardRemove, Update)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler,
                          MessageHandler, TypeHandler, filters)

from handlers.i18n import t
from handlers.ui import amount as amount_ui
from handlers.ui import common as ui
from handlers.ui import confirm, entry, keypad
from wallet.errors import (AccountFrozen, NotYourTransfer, PinLocked, PinWrong, TransferNotArrived,
                           TransferNotPending, WalletError, WalletNotOpen)
from wallet.money import parse_amount
from wallet.services import people, transfers

FEATURE = "transfer"
PREFIX = "tf"
WHO, AMOUNT, NOTE, DELAY, CONFIRM, PIN = ("transfer.who", "transfer.amount", "transfer.note", "transfer.delay",
                                         "transfer.confirm", "transfer.pin")
REQUEST_ID = 901  # the request_users button's id
USERNAMES = "transfer:usernames"  # bot_data: lower-case username -> user id, of people the bot has seen
DELAYS = (0, 2 * 3600, 24 * 3600)


# --- who is who -------------------------------------------------------------------------------
async def remember_username(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every update: note the sender's @username, so ``@bob`` can name a wallet user."""
    user = update.effective_user
    if user is not None and user.username and not user.is_bot:
        names = context.bot_data.setdefault(USERNAMES, {})
        if names.get(user.username.lower()) != user.id:
            names[user.username.lower()] = user.id


async def _recipient(context, user_id: int) -> dict | None:
    try:
        found = await people.profile(ui.wallet(context), user_id)
    except WalletNotOpen:
        return None
    return found if found.get("pin_set") else None


def _name(profile: dict | None, fallback: str = "") -> str:
    return (profile or {}).get("first_name") or fallback or "?"


def open_link(context) -> str:
    return f"https://t.me/{context.bot.username}?start=wallet"


# --- the private flow -----------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE):
    profile = await entry.begin(update, context, FEATURE)
    if profile is None:
        return ConversationHandler.END
    lang = await ui.language(update, context)
    if profile.get("frozen"):
        await entry.say(update, context, await ui.explain(update, context, AccountFrozen(user_id=profile["user_id"])))
        return ConversationHandler.END
    ui.drop_draft(context, FEATURE)
    button = KeyboardButton(t(lang, "transfer.pick_button"),
                            request_users=KeyboardButtonRequestUsers(request_id=REQUEST_ID, user_is_bot=False,
                                                                     max_quantity=1))
    await context.bot.send_message(update.effective_chat.id, t(lang, "transfer.ask_who"), parse_mode=ParseMode.HTML,
                                   reply_markup=ReplyKeyboardMarkup([[button]], resize_keyboard=True,
                                                                    one_time_keyboard=True))
    return WHO


async def on_shared(update: Update, context: ContextTypes.DEFAULT_TYPE):
    shared = update.effective_message.users_shared
    if not shared.users:
        return None
    return await _chose(update, context, shared.users[0].user_id)


async def on_username(update: Update, context: ContextTypes.DEFAULT_TYPE):
    lang = await ui.language(update, context)
    text = (update.effective_message.text or "").strip()
    match = re.fullmatch(r"@?([A-Za-z][A-Za-z0-9_]{3,31})", text)
    uid = context.bot_data.get(USERNAMES, {}).get(match.group(1).lower()) if match else None
    if uid is None:
        await update.effective_message.reply_text(t(lang, "transfer.unknown_username", name=text[:40]))
        return None
    return await _chose(update, context, uid)


async def _chose(update: Update, context: ContextTypes.DEFAULT_TYPE, uid: int):
    lang = await ui.language(update, context)
    if uid == update.effective_user.id:
        await update.effective_message.reply_text(t(lang, "transfer.self"))
        return None
    found = await _recipient(context, uid)
    if found is None:
        await update.effective_message.reply_text(t(lang, "transfer.no_wallet", link=open_link(context)),
                                                  reply_markup=ReplyKeyboardRemove())
        return None
    ui.new_draft(context, FEATURE, recipient_id=uid, name=_name(found))
    await update.effective_message.reply_text(t(lang, "transfer.ask_amount", name=_name(found)),
                                              parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove())
    return AMOUNT


async def on_amount(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = ui.draft(context, FEATURE)
    if draft is None:
        return ConversationHandler.END
    fen = await amount_ui.read(update, context)
    if fen is None:
        return None
    draft["amount"] = fen
    lang = await ui.language(update, context)
    await context.bot.send_message(update.effective_chat.id, t(lang, "transfer.ask_note"),
                                   reply_markup=confirm.keyboard([[(t(lang, "transfer.skip_note"),
                                                                    confirm.data(PREFIX, "skip", 0, draft))]]))
    return NOTE


async def on_note(update: Update, context: ContextTypes.DEFAULT_TYPE):
    draft = ui.draft(context, FEATURE)
    if draft is None:
        return ConversationHandler.END
    note = (update.effective_message.text or "").strip()
    if len(note) > 100:
        await update.effective_message.reply_text(await ui.text(update, context, "transfer.note_too_long"))
        return None
    draft["note"] = note
    return await ask_delay(update, context, draft)


async def ask_delay(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict):
    lang = await ui.language(update, context)
    rows = [[(t(lang, f"transfer.delay.{s}"), confirm.data(PREFIX, "delay", s, draft))] for s in DELAYS]
    await context.bot.send_message(update.effective_chat.id, t(lang, "transfer.ask_delay"),
                                   reply_markup=confirm.keyboard(rows))
    return DELAY


async def show_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict, *, chat_id: int,
                       lang: str) -> None:
    from telegram.helpers import escape

    lines = [t(lang, "transfer.confirm", amount=ui.money(draft["amount"]), name=escape(draft["name"]))]
    if draft.get("note"):
        lines.append(t(lang, "transfer.note_line", note=escape(draft["note"])))
    lines.append(t(lang, f"transfer.delay.{draft.get('delay', 0)}"))
    rows = [[(t(lang, "transfer.confirm_button"), confirm.data(PREFIX, "ok", 0, draft))],
            [(t(lang, "flow.cancel_button"), confirm.data(PREFIX, "no", 0, draft))]]
    await context.bot.send_message(chat_id, "\n".join(lines), parse_mode=ParseMode.HTML,
                                   reply_markup=confirm.keyboard(rows))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """A press on one of the sender's screens (note skip, arrival, confirm, cancel)."""
    if not entry.private(update):
        await update.callback_query.answer()
        return None
    press = await confirm.pressed(update, context, FEATURE)
    if press is None:
        return None
    lang = await ui.language(update, context)
    draft = press.draft
    query = update.callback_query
    if press.verb == "no":
        ui.drop_draft(context, FEATURE)
        await query.edit_message_text(t(lang, "keypad.cancelled"))
        return ConversationHandler.END
    if press.verb == "skip" and "amount" in draft and "delay" not in draft:
        draft["note"] = ""
        await query.edit_message_reply_markup(None)
        return await ask_delay(update, context, draft)
    if press.verb == "delay" and "amount" in draft and press.row_id in DELAYS:
        draft["delay"] = press.row_id
        await query.edit_message_reply_markup(None)
        await show_confirm(update, context, draft, chat_id=update.effective_chat.id, lang=lang)
        return CONFIRM
    if press.verb == "ok" and "amount" in draft and "delay" in draft:
        if draft.get("confirmed"):  # a double tap: the keypad is already on its way
            return PIN
        draft["confirmed"] = True
        await query.edit_message_reply_markup(None)
        await keypad.show(update, context, title=t(lang, "transfer.pin_title", amount=ui.money(draft["amount"]),
                                                   name=draft["name"]), owner=PIN)
        return PIN
    return None


async def on_pin(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str):
    lang = await ui.language(update, context)
    draft = ui.draft(context, FEATURE)
    chat = update.effective_chat.id
    if not draft or "delay" not in draft:
        await context.bot.send_message(chat, t(lang, "confirm.stale"))
        return ConversationHandler.END
    try:
        result = await transfers.send(ui.wallet(context), key=ui.op_key(update, "transfer", draft),
                                      sender_id=update.effective_user.id, recipient_id=draft["recipient_id"],
                                      amount=draft["amount"], pin=pin, note=draft.get("note") or None,
                                      delay_seconds=draft.get("delay", 0))
    except (PinWrong, PinLocked) as err:
        return await keypad.refused(update, context, err, drop=FEATURE)
    except WalletError as err:
        ui.drop_draft(context, FEATURE)
        await context.bot.send_message(chat, await ui.explain(update, context, err))
        return ConversationHandler.END
    ui.drop_draft(context, FEATURE)
    sender_name = _name(await ui.person(update, context), update.effective_user.first_name)
    await _post_cards(update, context, result, draft, sender_name=sender_name, lang=lang)
    return ConversationHandler.END


# --- cards -------------------------------------------------------------------------------------
def _card_text(lang: str, view: dict, sender: str, recipient: str) -> str:
    from telegram.helpers import escape

    lines = [t(lang, "transfer.card", sender=escape(sender), recipient=escape(recipient),
               amount=ui.money(view["amount"]))]
    if view.get("note"):
        lines.append(t(lang, "transfer.note_line", note=escape(view["note"])))
    lines.append(t(lang, f"transfer.status.{view['status']}"))
    return "\n".join(lines)


def _recipient_buttons(lang: str, transfer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(t(lang, "transfer.accept_button"), callback_data=f"{PREFIX}:acc:{transfer_id}"),
        InlineKeyboardButton(t(lang, "transfer.return_button"), callback_data=f"{PREFIX}:ret:{transfer_id}"),
    ]])


def _revoke_button(lang: str, transfer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "transfer.revoke_button"),
                                                       callback_data=f"{PREFIX}:rev:{transfer_id}")]])


async def _post_cards(update, context, view: dict, draft: dict, *, sender_name: str, lang: str) -> None:
    tid = view["transfer_id"]
    names = {"s": sender_name, "r": draft["name"]}
    context.bot_data.setdefault("transfer:names", {})[str(tid)] = names
    delayed = view["arrive_at"] != view["created_at"]
    sender_text = _card_text(lang, view, sender_name, draft["name"])
    if delayed:
        tz = await ui.timezone(update, context)
        from datetime import datetime

        sender_text += "\n" + t(lang, "transfer.arrives", at=ui.local_time(datetime.fromisoformat(view["arrive_at"]), tz))
    await context.bot.send_message(update.effective_chat.id, sender_text, parse_mode=ParseMode.HTML,
                                   reply_markup=_revoke_button(lang, tid) if delayed else entry.home_button(lang))
    group = draft.get("group_chat")
    rlang = await _lang_of(context, draft["recipient_id"])
    where, card_lang = (group, lang) if group else (draft["recipient_id"], rlang)
    text = _card_text(card_lang, view, sender_name, draft["name"])
    try:
        await context.bot.send_message(where, text, parse_mode=ParseMode.HTML,
                                       reply_markup=_recipient_buttons(card_lang, tid))
    except (Forbidden, BadRequest):
        pass  # the recipient never opened the chat: the money waits 24 h, the sender was shown the card


async def _lang_of(context, user_id: int) -> str:
    from handlers.i18n import normalize

    try:
        return normalize((await people.profile(ui.wallet(context), user_id)).get("language") or "zh_CN")
    except WalletNotOpen:
        return "zh_CN"


_VERBS = {"acc": ("accepted", transfers.accept), "ret": ("returned", transfers.give_back),
          "rev": ("revoked", transfers.revoke)}


async def on_card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept / Return (the recipient) or Revoke (the sender) on a transfer's card."""
    query = update.callback_query
    _, verb, raw_id = query.data.split(":")
    tid = int(raw_id)
    lang = await ui.language(update, context)
    if not ui.is_open(await ui.person(update, context)):
        await query.answer(t(lang, "transfer.not_yours"), show_alert=True)
        return
    status, operation = _VERBS[verb]
    try:
        view = await operation(ui.wallet(context), key=ui.op_key(update, f"transfer_{verb}", str(tid)),
                               user_id=update.effective_user.id, transfer_id=tid)
    except NotYourTransfer:
        await query.answer(t(lang, "transfer.not_yours"), show_alert=True)
        return
    except (TransferNotPending, TransferNotArrived, WalletError) as err:
        await query.answer(await ui.explain(update, context, err), show_alert=True)
        return
    await query.answer(t(lang, f"transfer.done.{status}", amount=ui.money(view["amount"])))
    names = context.bot_data.get("transfer:names", {}).get(str(tid), {})
    text = _card_text(lang, view, names.get("s", "?"), names.get("r", "?"))
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
    except BadRequest:
        pass


# --- in a group: reply to a member with /transfer 20 note ---------------------------------------
async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    lang = await ui.language(update, context)
    target = msg.reply_to_message.from_user if msg.reply_to_message else None
    if target is None or target.is_bot:
        await msg.reply_text(t(lang, "transfer.group_usage"))
        return
    if target.id == update.effective_user.id:
        await msg.reply_text(t(lang, "transfer.self"))
        return
    if not ui.is_open(await ui.person(update, context)):
        await msg.reply_text(t(lang, "transfer.open_first", link=open_link(context)))
        return
    args = context.args or []
    try:
        fen = parse_amount(args[0]) if args else None
    except WalletError as err:
        await msg.reply_text(await ui.explain(update, context, err))
        return
    if fen is None:
        await msg.reply_text(t(lang, "transfer.group_usage"))
        return
    found = await _recipient(context, target.id)
    if found is None:
        await msg.reply_text(t(lang, "transfer.no_wallet_group", name=target.first_name, link=open_link(context)))
        return
    draft = ui.new_draft(context, FEATURE, recipient_id=target.id, name=_name(found, target.first_name),
                         amount=fen, note=" ".join(args[1:])[:100], delay=0, group_chat=update.effective_chat.id)
    try:
        await show_confirm(update, context, draft, chat_id=update.effective_user.id, lang=lang)
    except (Forbidden, BadRequest):
        ui.drop_draft(context, FEATURE)
        await msg.reply_text(t(lang, "transfer.start_private", link=open_link(context)))
        return
    await msg.reply_text(t(lang, "transfer.pin_in_private"))


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    return ui.conversation(
        FEATURE, fallbacks=[entry.home_fallback(FEATURE)],
        entry_points=[CommandHandler("transfer", start, filters=private),
                      CallbackQueryHandler(start, pattern=r"^home:transfer$"),
                      # a confirm screen sent from a group command, or an older screen (stale: a popup)
                      CallbackQueryHandler(on_press, pattern=confirm.pattern(PREFIX))],
        states={
            WHO: [MessageHandler(filters.StatusUpdate.USERS_SHARED & private, on_shared),
                  entry.FlowText(FEATURE, on_username)],
            AMOUNT: [entry.FlowText(FEATURE, on_amount)],
            NOTE: [entry.FlowText(FEATURE, on_note), CallbackQueryHandler(on_press, pattern=confirm.pattern(PREFIX))],
            DELAY: [CallbackQueryHandler(on_press, pattern=confirm.pattern(PREFIX))],
            CONFIRM: [CallbackQueryHandler(on_press, pattern=confirm.pattern(PREFIX))],
            PIN: [CallbackQueryHandler(on_press, pattern=confirm.pattern(PREFIX)), *keypad.state(on_pin, owner=PIN)],
        },
    )


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, remember_username), group=-5)
    app.add_handler(CommandHandler("transfer", in_group, filters=filters.ChatType.GROUPS))
    app.add_handler(conversation())
    app.add_handler(CallbackQueryHandler(on_card, pattern=rf"^{PREFIX}:(acc|ret|rev):\d+$"))
