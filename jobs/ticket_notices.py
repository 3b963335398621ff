"""Telling people of abnormal-transaction reports: every change of a ticket is a row of
``ticket_events`` written in the same transaction as the change (wallet/services/tickets.py),
with ``notified_at`` NULL until the other side was told. This job drains them, oldest first:
a new report (and a reporter's self-freeze) goes to every admin (``Settings.admin_ids``), with
the card's buttons; a reply, a resolution or a freeze of the counterparty goes to the reporter.

Durable like the outbox (DESIGN §8): a crash between the change and the send loses nothing,
the event is still undelivered and the next round sends it. Delivery is at least once: an
event is marked delivered after its messages went out, so a crash in between (or a failure
for the second of two admins) sends it again. A 403 (blocked the bot) or 400 drops that
message; 429, 5xx and network errors stop the round and the event is tried again next time.
Handlers run the job at once after a change (``ticket_cards.notify_soon``); the repeating
run catches anything left. One drain at a time per process.
"""
from __future__ import annotations

import asyncio
import logging
import weakref

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from handlers import ticket_cards
from wallet.errors import WalletError
from wallet.services import people, tickets

log = logging.getLogger("jobs.ticket_notices")
_locks: "weakref.WeakKeyDictionary[Application, asyncio.Lock]" = weakref.WeakKeyDictionary()


async def _send(app: Application, user_id: int, event: dict) -> str:
    """'sent', 'dropped' (403 / 400 / cannot be rendered) or 'retry'."""
    try:
        text, markup = await ticket_cards.notice(app, user_id, event)
        await app.bot.send_message(user_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except Forbidden as exc:
        log.info("ticket=%s event=%s user=%s: 403 (%s)", event["ticket_id"], event["event_id"], user_id, exc.message)
        try:
            await people.mark_blocked(app.bot_data["wallet"], user_id)
        except WalletError:
            pass
        return "dropped"
    except BadRequest as exc:
        log.warning("ticket=%s event=%s user=%s refused by Telegram: %s", event["ticket_id"], event["event_id"],
                    user_id, exc.message)
        return "dropped"
    except TelegramError as exc:  # 429, 5xx, the network: the next round
        log.warning("ticket=%s event=%s user=%s failed (%s), again later", event["ticket_id"], event["event_id"],
                    user_id, exc)
        return "retry"
    except (WalletError, KeyError, ValueError) as exc:  # never renderable: not retried
        log.error("ticket=%s event=%s cannot be rendered for user=%s: %r", event["ticket_id"], event["event_id"],
                  user_id, exc)
        return "dropped"
    return "sent"


async def drain_once(app: Application) -> dict[str, int]:
    """Deliver the undelivered ticket events once; how many were delivered and left for later."""
    wallet, settings = app.bot_data["wallet"], app.bot_data["settings"]
    counts = {"delivered": 0, "left": 0}
    async with _locks.setdefault(app, asyncio.Lock()):
        events = await tickets.undelivered(wallet)
        for i, event in enumerate(events):
            audience = list(settings.admin_ids or ()) if event["audience"] == "admins" else [event["reporter_id"]]
            if not audience:  # kept for the admins to come (WALLET_ADMIN_IDS), not lost
                log.warning("ticket=%s event=%s: no admins configured (WALLET_ADMIN_IDS), kept for later",
                            event["ticket_id"], event["event_id"])
                counts["left"] += 1
                continue
            results = []
            for user_id in audience:
                results.append(await _send(app, user_id, event))
                if results[-1] == "retry":
                    break
            if "retry" in results:
                counts["left"] += len(events) - i
                break
            await tickets.mark_delivered(wallet, [event["event_id"]])
            counts["delivered"] += 1
    return counts


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await drain_once(context.application)
    except Exception:  # the next round tries again
        log.exception("ticket notices: drain failed")


def register(app: Application, interval_seconds: float) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds,
                                name=ticket_cards.JOB_NAME)
