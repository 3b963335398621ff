"""Red packets (红包): the ``/hongbao`` command and the inline result that make the waiting card.

- In a group: ``/hongbao <total> <shares> [lucky|equal] [greeting]``; replying to a member's
  message, ``/hongbao <amount> [greeting]`` is an exclusive packet for that member. The command is
  checked at once (``red_packets.validate``: the reason if refused; more shares than members is
  a warning). The bot posts a "waiting for the sender's confirmation" card with a deep link to
  the private chat (``/start hb_<nonce>_<owner tag>``): PINs are never entered in a group.
- Inline: ``@bot hb 20 5 greeting`` (or ``@bot 20``) offers "Red packet ¥20"
  (handlers/red_packet/inline.py, asked by handlers/inline/query.py); the chosen message is the same
  waiting card.
- The confirm in private (``/start hb_<nonce>``, the PIN, the shortfall choices) is
  handlers/red_packet/confirm.py.
- The draft is a persisted one (``user_data["draft:hongbao"]``, stored in the database by the
  persistence; ``PacketDraft`` in handlers/red_packet/draft.py) with a nonce; ``red_packets.create``
  takes a key derived from it, so a second PIN entry or a re-delivered update makes one packet. No money moves before the PIN.
- After the PIN the waiting card becomes the live card, edited as packets are claimed
  (handlers/red_packet/card.py); the presses on it, "Open 拆" and "Details", are
  handlers/red_packet/claim.py.
- Every button and deep link of the feature is stated in handlers/red_packet/callbacks.py.
"""
from __future__ import annotations

import hashlib
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from chat.i18n import t
from handlers.red_packet import callbacks
from handlers.red_packet.callbacks import OPEN_WALLET, Details, Open
from handlers.red_packet.claim import on_details, on_open, on_stale
from handlers.red_packet.draft import PacketDraft
from handlers.red_packet.spec import PacketSpec
from handlers.home import callbacks as home_buttons
from handlers.ui import common as ui
from handlers.ui.card import deep_link
from wallet.errors import InvalidAmount, RedPacketInvalid, WalletError
from wallet.money import parse_amount
from wallet.services import red_packets

FEATURE = PacketDraft.FEATURE
PIN = "hongbao.pin"


def owner_tag(user_id: int) -> str:
    """Six hex digits of the sender's id: whoever follows the confirm link can tell whether the
    packet is theirs, and the link does not carry the sender's id."""
    return hashlib.sha256(f"hb:{user_id}".encode()).hexdigest()[:6]


def confirm_link(context: ContextTypes.DEFAULT_TYPE, draft: PacketDraft, sender_id: int) -> str:
    return deep_link(context, callbacks.confirm_link(draft.nonce, owner_tag(sender_id)))


# --- parsing ---------------------------------------------------------------------------------
class Refused(Exception):
    """A command that cannot become a packet: ``msgid`` says why and what to do (``then``: a
    second text after it, e.g. the usage)."""

    def __init__(self, msgid: str, *, then: str | None = None, **fields) -> None:
        super().__init__(msgid)
        self.msgid, self.then, self.fields = msgid, then, fields

    def text(self, lang: str) -> str:
        said = t(lang, self.msgid, **self.fields)
        return f"{said}\n\n{t(lang, self.then)}" if self.then else said


FULLWIDTH_DIGITS = str.maketrans({0xFF10 + i: ord("0") + i for i in range(10)})


def parse(args: list[str], *, exclusive: bool) -> PacketSpec:
    """``/hongbao`` arguments -> the packet asked for (kind, total in fen, shares, greeting)."""
    if not args:
        raise Refused("rp.usage_exclusive" if exclusive else "rp.usage")
    try:
        total = parse_amount(args[0])
    except InvalidAmount:
        raise Refused("rp.bad_amount", given=args[0][:20]) from None
    if exclusive:
        return PacketSpec("exclusive", total, 1, " ".join(args[1:]).strip() or None)
    if len(args) < 2:
        raise Refused("rp.missing_shares", then="rp.usage")
    count = args[1].translate(FULLWIDTH_DIGITS)  # a Chinese IME's digits, as amounts take them
    if not re.fullmatch(r"[0-9]{1,4}", count):  # ASCII only: \d and int() would take any script's digits
        raise Refused("rp.bad_shares", given=args[1][:20])
    shares = int(count)
    rest = args[2:]
    kind = "lucky"
    if rest and rest[0].lower() in ("lucky", "equal", "拼手气", "普通"):
        kind = "equal" if rest[0].lower() in ("equal", "普通") else "lucky"
        rest = rest[1:]
    if kind == "equal" and (shares < 1 or total % shares):
        raise Refused("rp.equal_uneven", total=ui.money(total), shares=shares)
    return PacketSpec(kind, total, shares, " ".join(rest).strip() or None)


def check(context: ContextTypes.DEFAULT_TYPE, sender_id: int, spec: PacketSpec, exclusive_user_id: int | None) -> None:
    """The service's rules (≤ ¥200, ≤ 100 shares, ≥ ¥0.01 a share, a short greeting), before
    anything is asked. A greeting too long raises Refused (the limit and what to do)."""
    try:
        red_packets.validate(ui.wallet(context), sender_id=sender_id, kind=spec.kind, amount=spec.amount,
                             shares=spec.shares, exclusive_user_id=exclusive_user_id, greeting=spec.greeting)
    except RedPacketInvalid as err:
        if err.reason != "greeting_too_long":
            raise
        raise Refused("rp.greeting_too_long", limit=err.limit, length=len(spec.greeting)) from None


def describe(lang: str, spec: PacketSpec) -> str:
    kind = t(lang, f"rp.kind.{spec.kind}")
    return t(lang, "rp.summary", total=ui.money(spec.total), shares=spec.shares, kind=kind,
             greeting=spec.greeting or t(lang, "rp.default_greeting"))


def waiting_card(context: ContextTypes.DEFAULT_TYPE, lang: str, draft: PacketDraft,
                 sender: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t(lang, "rp.waiting", sender=sender, summary=describe(lang, draft.spec))
    button = InlineKeyboardButton(t(lang, "rp.confirm_button"), url=confirm_link(context, draft, draft.sender_id))
    return text, InlineKeyboardMarkup([[button]])


# --- in the group ----------------------------------------------------------------------------
async def hongbao(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/hongbao`` in a group: check it, keep the draft, post the waiting card."""
    message = update.effective_message
    lang = await ui.language(update, context)
    if update.effective_chat.type == ChatType.PRIVATE:
        await message.reply_text(t(lang, "rp.groups_only"))
        return
    user = update.effective_user
    target = message.reply_to_message.from_user if message.reply_to_message else None
    if target is not None and (target.is_bot or target.id == user.id):
        target = None if target.is_bot else target
    exclusive = target is not None
    try:
        spec = parse(list(context.args or []), exclusive=exclusive)
        if exclusive and target.id == user.id:
            raise Refused("rp.not_yourself")
        check(context, user.id, spec, target.id if exclusive else None)
    except Refused as err:
        await message.reply_text(err.text(lang))
        return
    except WalletError as err:
        await message.reply_text(await ui.explain(update, context, err))
        return
    if not ui.is_open(await ui.person(update, context)):
        await message.reply_text(t(lang, "rp.sender_no_wallet"),
                                 reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
                                     t(lang, "rp.open_wallet_button"), url=deep_link(context, OPEN_WALLET))]]))
        return
    notes = []
    if not exclusive:
        try:
            members = await context.bot.get_chat_member_count(update.effective_chat.id) - 1  # not the bot
        except TelegramError:
            members = None
        if members is not None and spec.shares > members:
            notes.append(t(lang, "rp.more_shares_than_members", shares=spec.shares, members=members))
    draft = PacketDraft.start(context, **spec.as_draft(), chat_id=update.effective_chat.id,
                              exclusive_user_id=target.id if exclusive else None,
                              exclusive_name=target.first_name if exclusive else None, sender=user.first_name,
                              sender_id=user.id)
    text, markup = waiting_card(context, lang, draft, user.first_name)
    if notes:
        text = "\n".join([text, "", *notes])
    card = await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    draft.posted({"chat_id": card.chat_id, "message_id": card.message_id}).save(context)


async def home_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``home:redpacket``: red packets are sent in groups or inline; how."""
    query = update.callback_query
    lang = await ui.language(update, context)
    await query.answer()
    await context.bot.send_message(update.effective_chat.id,
                                   t(lang, "rp.how_to", bot=context.bot.username or "bot"))


def register(app: Application) -> None:
    """The group command, the card's presses and the home button (the private confirm with the
    PIN, ``/start hb_<nonce>``, is handlers/red_packet/confirm.py)."""
    app.add_handler(CommandHandler("hongbao", hongbao))
    app.add_handler(CallbackQueryHandler(on_open, pattern=Open.pattern()))
    app.add_handler(CallbackQueryHandler(on_details, pattern=Details.pattern()))
    app.add_handler(CallbackQueryHandler(on_stale, pattern=callbacks.other_press))  # after the two: any other rp:
    app.add_handler(CallbackQueryHandler(home_button, pattern=home_buttons.RedPacket.pattern()))
    # inline mode: handlers/inline/query.py asks handlers/red_packet/inline.py
