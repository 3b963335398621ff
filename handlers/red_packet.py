"""Red packets (红包) in groups and inline: ``/hongbao``, confirm with the PIN in private, the card.

- In a group: ``/hongbao <total> <shares> [lucky|equal] [greeting]``; replying to a member's
  message, ``/hongbao <amount> [greeting]`` is an exclusive packet for that member. The command is
  checked at once (``red_packets.validate``: the reason if refused; more shares than members is
  a warning). The bot posts a "waiting for the sender's confirmation" card with a deep link to
  the private chat (``/start hb_<nonce>``): PINs are never entered in a group.
- Inline: ``@bot hb 20 5 greeting`` (or ``@bot 20``) offers "Red packet ¥20" (``inline_results``,
  asked by handlers/inline.py); the chosen message is the same waiting card (``chosen`` keeps its
  ``inline_message_id`` with the draft).
- The confirm in private (``/start hb_<nonce>``, the PIN, the shortfall choices) is
  handlers/red_packet_confirm.py.
- The draft is a persisted one (``user_data["draft:hongbao"]``, stored in the database by the
  persistence) with a nonce; ``red_packets.create`` takes a key derived from it, so a second
  PIN entry or a re-delivered update makes one packet. No money moves before the PIN.
- After the PIN the waiting card becomes the live card: sender, greeting, kind, n/N opened,
  "Open 拆" and "Details". Where the card is (chat and message, or inline message id) and the
  card's token are kept in ``bot_data["rp:cards"]`` (persisted): a press is honoured only on
  that very card with that token (crafted callback_data gets a popup and changes nothing).
- Presses answer with a popup; the card's counter is edited by one merged edit per card at most
  every EDIT_INTERVAL seconds (the latest state read from the database wins), so a busy card
  stays under 20 edits a minute. Once emptied or expired it lists the claims, 手气最佳 and how
  long it took. ``on_expired`` (called by jobs.sweeps with the refunded packets) edits the card.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import datetime

from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle,
                      InputTextMessageContent, Update)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from handlers.i18n import t
from handlers.ui import common as ui
from wallet.errors import (AlreadyClaimed, InvalidAmount, NotForYou, NotVerified, RedPacketEmpty, RedPacketExpired, RedPacketNotFound, WalletError, WalletNotOpen)
from wallet.money import parse_amount
from wallet.services import red_packets

log = logging.getLogger("handlers.red_packet")

FEATURE = "hongbao"
PIN = "hongbao.pin"
CARDS = "rp:cards"          # bot_data: packet id -> where its card is and its token
EDIT_INTERVAL = 3.2         # seconds between two edits of one card: < 20 edits a minute
CALLBACK = re.compile(r"^rp:(open|info):(\d+):([A-Za-z0-9_-]{6,16})$")
DEEP_LINK = re.compile(r"^/start(?:@\w+)? hb_([A-Za-z0-9_-]{6,16})$")


# --- parsing ---------------------------------------------------------------------------------
class Refused(Exception):
    """A command that cannot become a packet: ``text`` says why and what to do."""

    def __init__(self, msgid: str, **fields) -> None:
        super().__init__(msgid)
        self.msgid, self.fields = msgid, fields


def parse(args: list[str], *, exclusive: bool) -> dict:
    """``/hongbao`` arguments -> kind, amount (fen, per share for equal), shares, greeting."""
    if not args:
        raise Refused("rp.usage_exclusive" if exclusive else "rp.usage")
    try:
        total = parse_amount(args[0])
    except InvalidAmount:
        raise Refused("rp.bad_amount", given=args[0][:20]) from None
    if exclusive:
        return {"kind": "exclusive", "amount": total, "total": total, "shares": 1,
                "greeting": " ".join(args[1:]).strip() or None}
    if len(args) < 2 or not re.fullmatch(r"\d{1,4}", args[1]):
        raise Refused("rp.bad_shares", given=(args[1][:20] if len(args) > 1 else ""))
    shares = int(args[1])
    rest = args[2:]
    kind = "lucky"
    if rest and rest[0].lower() in ("lucky", "equal", "拼手气", "普通"):
        kind = "equal" if rest[0].lower() in ("equal", "普通") else "lucky"
        rest = rest[1:]
    amount = total
    if kind == "equal":
        if shares < 1 or total % shares:
            raise Refused("rp.equal_uneven", total=ui.money(total), shares=shares)
        amount = total // shares
    return {"kind": kind, "amount": amount, "total": total, "shares": shares,
            "greeting": " ".join(rest).strip() or None}


def check(context: ContextTypes.DEFAULT_TYPE, sender_id: int, spec: dict, exclusive_user_id: int | None) -> None:
    """The service's rules (≤ ¥200, ≤ 100 shares, ≥ ¥0.01 a share), before anything is asked."""
    red_packets.validate(ui.wallet(context), sender_id=sender_id, kind=spec["kind"], amount=spec["amount"],
                         shares=spec["shares"], exclusive_user_id=exclusive_user_id)


def describe(lang: str, draft: dict) -> str:
    kind = t(lang, f"rp.kind.{draft['kind']}")
    return t(lang, "rp.summary", total=ui.money(draft["total"]), shares=draft["shares"], kind=kind,
             greeting=draft.get("greeting") or t(lang, "rp.default_greeting"))


def deep_link(context: ContextTypes.DEFAULT_TYPE, payload: str) -> str:
    return f"https://t.me/{context.bot.username}?start={payload}"


def waiting_card(context: ContextTypes.DEFAULT_TYPE, lang: str, draft: dict, sender: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t(lang, "rp.waiting", sender=sender, summary=describe(lang, draft))
    button = InlineKeyboardButton(t(lang, "rp.confirm_button"), url=deep_link(context, f"hb_{draft['nonce']}"))
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
        await message.reply_text(t(lang, err.msgid, **err.fields))
        return
    except WalletError as err:
        await message.reply_text(await ui.explain(update, context, err))
        return
    if not ui.is_open(await ui.person(update, context)):
        await message.reply_text(t(lang, "rp.sender_no_wallet"),
                                 reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
                                     t(lang, "rp.open_wallet_button"), url=deep_link(context, "rp"))]]))
        return
    notes = []
    if not exclusive:
        try:
            members = await context.bot.get_chat_member_count(update.effective_chat.id) - 1  # not the bot
        except TelegramError:
            members = None
        if members is not None and spec["shares"] > members:
            notes.append(t(lang, "rp.more_shares_than_members", shares=spec["shares"], members=members))
    draft = ui.new_draft(context, FEATURE, **spec, chat_id=update.effective_chat.id,
                         exclusive_user_id=target.id if exclusive else None,
                         exclusive_name=target.first_name if exclusive else None, sender=user.first_name)
    text, markup = waiting_card(context, lang, draft, user.first_name)
    if notes:
        text = "\n".join([text, "", *notes])
    card = await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    draft["card"] = {"chat_id": card.chat_id, "message_id": card.message_id}


# --- inline mode -----------------------------------------------------------------------------
INLINE = re.compile(r"^\s*(?:hb\s+|红包\s*)?(\d+(?:\.\d{1,2})?)(?:\s+(\d{1,3}))?(?:\s+(.*))?$", re.S)


async def inline_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[InlineQueryResultArticle]:
    """The "Red packet ¥20" result for ``@bot 20`` / ``@bot hb 20 5 greeting`` (none if it does not
    parse or break the rules). Choosing it posts the waiting card; the draft is kept now."""
    query = update.inline_query.query
    found = INLINE.match(query or "")
    if not found:
        return []
    lang = await ui.language(update, context)
    user = update.effective_user
    try:
        total = parse_amount(found.group(1))
        spec = {"kind": "lucky", "amount": total, "total": total, "shares": int(found.group(2) or 1),
                "greeting": (found.group(3) or "").strip() or None}
        check(context, user.id, spec, None)
    except (InvalidAmount, WalletError):
        return []
    draft = ui.new_draft(context, FEATURE, **spec, chat_id=None, exclusive_user_id=None, exclusive_name=None,
                         sender=user.first_name)
    text, markup = waiting_card(context, lang, draft, user.first_name)
    return [InlineQueryResultArticle(
        id=f"hb:{draft['nonce']}", title=t(lang, "rp.inline_title", total=ui.money(total)),
        description=describe(lang, draft), input_message_content=InputTextMessageContent(text),
        reply_markup=markup)]


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The waiting card was posted: remember its inline_message_id with the draft."""
    result = update.chosen_inline_result
    draft = ui.draft(context, FEATURE)
    if draft and result.result_id == f"hb:{draft['nonce']}" and result.inline_message_id:
        draft["card"] = {"inline": result.inline_message_id}


# --- the card --------------------------------------------------------------------------------
def _duration(lang: str, start: str, end: str | None) -> str:
    seconds = max(0, int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())) if end else 0
    if seconds < 60:
        return t(lang, "rp.took_seconds", n=seconds)
    if seconds < 3600:
        return t(lang, "rp.took_minutes", n=seconds // 60, s=seconds % 60)
    return t(lang, "rp.took_hours", n=seconds // 3600, m=seconds % 3600 // 60)


def _name(record: dict, claim: dict) -> str:
    """The claimer's Telegram name as the group knows it (kept at the press), else the wallet's."""
    return (record.get("names") or {}).get(str(claim["user_id"])) or claim["first_name"] or "?"


def claim_list(lang: str, view: dict, record: dict) -> str:
    lines = [t(lang, "rp.claim_line", name=_name(record, c), amount=ui.money(c["amount"])) for c in view["claims"]]
    if view.get("luckiest"):
        lines.append(t(lang, "rp.luckiest", name=_name(record, view["luckiest"]),
                       amount=ui.money(view["luckiest"]["amount"])))
    return "\n".join(lines) if lines else t(lang, "rp.no_claims")


def card_text(record: dict, view: dict) -> str:
    lang = record.get("lang") or "zh_CN"
    head = t(lang, "rp.card_head", sender=record.get("sender") or "?",
             greeting=view["greeting"] or t(lang, "rp.default_greeting"))
    kind = t(lang, f"rp.kind.{view['kind']}")
    if view["kind"] == "exclusive":
        kind = t(lang, "rp.kind.exclusive_for", name=record.get("exclusive_name") or "?")
    lines = [head, t(lang, "rp.card_kind", kind=kind, total=ui.money(view["total"]))]
    if view["status"] == "open":
        lines.append(t(lang, "rp.card_count", n=view["claimed_count"], total=view["shares"]))
    elif view["status"] == "finished":
        lines.append(t(lang, "rp.card_finished", n=view["claimed_count"], total=view["shares"],
                       took=_duration(lang, view["created_at"], view["closed_at"])))
        lines += ["", claim_list(lang, view, record)]
    else:
        lines.append(t(lang, "rp.card_expired", n=view["claimed_count"], total=view["shares"],
                       refunded=ui.money(view["refunded_amount"])))
        lines += ["", claim_list(lang, view, record)]
    return "\n".join(lines)


def card_markup(packet_id: int, record: dict, view: dict) -> InlineKeyboardMarkup:
    lang = record.get("lang") or "zh_CN"
    details = InlineKeyboardButton(t(lang, "rp.details_button"), callback_data=f"rp:info:{packet_id}:{record['token']}")
    if view["status"] != "open":
        return InlineKeyboardMarkup([[details]])
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "rp.open_button"),
                                                       callback_data=f"rp:open:{packet_id}:{record['token']}"),
                                  details]])


async def render_card(app: Application, packet_id: int) -> None:
    """Edit the card to the packet's state now (read from the database)."""
    record = app.bot_data.get(CARDS, {}).get(str(packet_id))
    if record is None:
        return
    view = await red_packets.details(app.bot_data["wallet"], packet_id)
    text, markup = card_text(record, view), card_markup(packet_id, record, view)
    where = ({"inline_message_id": record["inline"]} if record.get("inline")
             else {"chat_id": record["chat_id"], "message_id": record["message_id"]})
    try:
        await app.bot.edit_message_text(text, reply_markup=markup, **where)
    except BadRequest as err:
        if "not modified" not in str(err).lower():
            log.warning("red packet card %s not edited: %s", packet_id, err)
    except TelegramError as err:
        log.warning("red packet card %s not edited: %s", packet_id, err)


_last_edit: dict[int, float] = {}    # packet id -> monotonic time of its last edit (this process)
_scheduled: dict[int, asyncio.Task] = {}


def schedule_edit(app: Application, packet_id: int) -> None:
    """Ask for the card's edit: merged with the others of the next EDIT_INTERVAL (one edit,
    the latest state). The task reads the packet when it runs."""
    if packet_id in _scheduled:
        return

    async def run() -> None:
        try:
            wait = _last_edit.get(packet_id, 0.0) + EDIT_INTERVAL - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            _scheduled.pop(packet_id, None)   # claims from now on ask for the next edit
            _last_edit[packet_id] = time.monotonic()
            await render_card(app, packet_id)
        except Exception:
            log.exception("red packet card %s edit failed", packet_id)
        finally:
            if _scheduled.get(packet_id) is task:
                _scheduled.pop(packet_id, None)

    task = asyncio.get_running_loop().create_task(run())
    _scheduled[packet_id] = task


async def on_expired(app: Application, packets: list[dict]) -> None:
    """jobs.sweeps: the refunded packets (the sender is told by the outbox): edit their cards."""
    for packet in packets:
        await render_card(app, packet["packet_id"])


# --- presses ---------------------------------------------------------------------------------
def _on_its_card(update: Update, record: dict | None, token: str) -> bool:
    query = update.callback_query
    if record is None or record.get("token") != token:
        return False
    if record.get("inline"):
        return query.inline_message_id == record["inline"]
    msg = query.message
    return (query.inline_message_id is None and msg is not None and msg.chat_id == record.get("chat_id")
            and msg.message_id == record.get("message_id"))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = await ui.language(update, context)
    found = CALLBACK.match(query.data or "")
    packet_id = int(found.group(2)) if found else 0
    record = context.bot_data.get(CARDS, {}).get(str(packet_id)) if found else None
    if not found or not _on_its_card(update, record, found.group(3)):
        await query.answer(t(lang, "rp.bad_button"), show_alert=True)
        return
    wallet = ui.wallet(context)
    if found.group(1) == "info":
        view = await red_packets.details(wallet, packet_id)
        head = t(lang, "rp.details_head", n=view["claimed_count"], total=view["shares"])
        await query.answer(f"{head}\n{claim_list(lang, view, record)}"[:200], show_alert=True)
        return
    uid = update.effective_user.id
    try:
        # the key is the press's: the same update delivered twice replays, a second press is refused
        got = await red_packets.claim(wallet, key=f"tg:{uid}:rp_claim:{packet_id}:{query.id}",
                                      packet_id=packet_id, user_id=uid)
    except AlreadyClaimed as err:
        await query.answer(t(lang, "rp.already", amount=ui.money(err.amount)), show_alert=True)
        return
    except (WalletNotOpen, NotVerified):
        await query.answer(t(lang, "rp.open_wallet_first"), show_alert=True)
        try:  # the deep link to open one, in the private chat if the bot may write there
            await context.bot.send_message(uid, t(lang, "rp.open_wallet_link"), reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(t(lang, "rp.open_wallet_button"), url=deep_link(context, "rp"))]]))
        except TelegramError:
            pass
        return
    except (NotForYou, RedPacketEmpty, RedPacketExpired, RedPacketNotFound) as err:
        await query.answer(await ui.explain(update, context, err), show_alert=True)
        return
    except WalletError as err:
        await query.answer((await ui.explain(update, context, err))[:200], show_alert=True)
        return
    record.setdefault("names", {})[str(uid)] = update.effective_user.first_name
    await query.answer(t(lang, "rp.got", amount=ui.money(got["amount"]), sender=record.get("sender") or "?"),
                       show_alert=True)
    schedule_edit(context.application, packet_id)


async def home_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``home:redpacket``: red packets are sent in groups or inline; how."""
    query = update.callback_query
    lang = await ui.language(update, context)
    await query.answer()
    await context.bot.send_message(update.effective_chat.id,
                                   t(lang, "rp.how_to", bot=context.bot.username or "bot"))


def register(app: Application) -> None:
    """The group command, the card's presses and the home button (the private confirm with the
    PIN, ``/start hb_<nonce>``, is handlers/red_packet_confirm.py)."""
    app.add_handler(CommandHandler("hongbao", hongbao))
    app.add_handler(CallbackQueryHandler(on_press, pattern=r"^rp:"))
    app.add_handler(CallbackQueryHandler(home_button, pattern=r"^home:redpacket$"))
    # inline mode: handlers/inline.py asks inline_results and calls chosen
