"""The catch-up of ticket notices. Every ticket notice is written to the outbox in the
transaction of its change (wallet/services/tickets.py) and sent by jobs/outbox.py, exactly like
the money notices. Only a report (or a self-freeze) made while no admin was configured
(``WALLET_ADMIN_IDS`` empty), or an event recorded before the notices were written with it, has
no notice yet: each round here writes those (``tickets.tell_missed``: once, with the outbox keys
of the event; the admins configured now) and drains the outbox at once.
"""
from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from jobs import outbox
from wallet.services import tickets

log = logging.getLogger("jobs.ticket_notices")
JOB_NAME = "ticket_notices"


async def catch_up(app: Application) -> int:
    """Write the admins' notices of the reports nobody was told of; how many reports."""
    admins = tuple(app.bot_data["settings"].admin_ids or ())
    if not admins:
        return 0
    told = await tickets.tell_missed(app.bot_data["wallet"], admins)
    if told:
        log.info("ticket notices: %s event(s) made while no admin was configured written for admins=%s",
                 told, admins)
        await outbox.drain_once(app)
    return told


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await catch_up(context.application)
    except Exception:  # the next round tries again
        log.exception("ticket notices: catch-up failed")


def register(app: Application, interval_seconds: float) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds, name=JOB_NAME)
