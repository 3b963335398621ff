"""A red packet's live card in the group: what it says, going live, and its merged edits.

After the PIN (handlers/red_packet/confirm.py) the waiting card becomes the live card: sender,
greeting, kind, n/N opened, "Open 拆" and "Details". Where the card is (chat and message, or
inline message id) and the card's token are kept in ``bot_data["rp:cards"]`` (persisted): a press
is honoured only on that very card with that token (handlers/red_packet/claim.py). The buttons
(``rp:open|info:<packet id>:<token>``) are stated in handlers/red_packet/callbacks.py.

The card's counter is edited by one merged edit per card at most every EDIT_INTERVAL seconds
(the latest state read from the database wins), so a busy card stays under 20 edits a minute.
Once emptied or expired it lists the claims, 手气最佳 and how long it took. ``on_expired``
(called by jobs.sweeps with the refunded packets, through handlers/red_packet/hongbao.py) edits the card.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from chat.i18n import t
from handlers.red_packet.callbacks import Details, Open
from handlers.ui import card as card_ui
from handlers.ui import common as ui
from wallet.services import red_packets

log = logging.getLogger("handlers.red_packet.hongbao")

CARDS = "rp:cards"          # bot_data: packet id -> where its card is and its token
EDIT_INTERVAL = 3.2         # seconds between two edits of one card: < 20 edits a minute


# --- what the card says ----------------------------------------------------------------------
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
    details = InlineKeyboardButton(t(lang, "rp.details_button"),
                                   callback_data=Details(packet_id, record["token"]).data())
    if view["status"] != "open":
        return InlineKeyboardMarkup([[details]])
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "rp.open_button"),
                                                       callback_data=Open(packet_id, record["token"]).data()),
                                  details]])


# --- going live and the edits ----------------------------------------------------------------
def record_of(bot_data: dict, packet_id: int) -> dict | None:
    """The kept card of the packet (where it is, its token, the claimers' names), if any."""
    return bot_data.get(CARDS, {}).get(str(packet_id))


async def go_live(app: Application, packet_id: int, record: dict) -> None:
    """The packet is made: keep its card and edit the waiting card into the live one."""
    app.bot_data.setdefault(CARDS, {})[str(packet_id)] = record
    _note_edit(packet_id)  # going live counts as the card's first edit
    await render_card(app, packet_id)


async def render_card(app: Application, packet_id: int) -> None:
    """Edit the card to the packet's state now (read from the database)."""
    record = record_of(app.bot_data, packet_id)
    if record is None:
        return
    view = await red_packets.details(app.bot_data["wallet"], packet_id)
    await card_ui.edit(app.bot, record, card_text(record, view), log=log, what=f"red packet card {packet_id}",
                    reply_markup=card_markup(packet_id, record, view))


_last_edit: dict[int, float] = {}    # packet id -> monotonic time of its last edit (this process)
_scheduled: dict[int, asyncio.Task] = {}
PRUNE_AT = 256  # past this many kept times, those older than EDIT_INTERVAL (no longer deciding a wait) go


def _note_edit(packet_id: int) -> None:
    now = time.monotonic()
    _last_edit[packet_id] = now
    if len(_last_edit) > PRUNE_AT:
        for old in [p for p, at in _last_edit.items() if now - at >= EDIT_INTERVAL]:
            del _last_edit[old]


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
            _note_edit(packet_id)
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
