"""Scheduled alerts on the JobQueue: low balance, the weekly summary, transfers about to expire,
security tips, PIN age (who is due and the exactly-once bookkeeping: wallet/services/alerts.py).

A repeating job: each round records every alert due now in ``alerts_sent`` together with its
outbox notice (one transaction each), then drains the outbox. However often it runs, in however
many bot processes and across restarts, each (alert, person, period) is sent once.
"""
from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from jobs import outbox
from wallet.services import alerts

log = logging.getLogger("jobs.alerts")


async def alerts_once(app: Application) -> list[dict]:
    """Record and queue what is due now, and deliver it."""
    done = await alerts.run_due(app.bot_data["wallet"])
    if any(d["sent"] for d in done):
        log.info("alerts: %d queued", sum(d["sent"] for d in done))
        await outbox.drain_once(app)
    return done


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await alerts_once(context.application)
    except Exception:  # the next round tries again; each alert is one transaction
        log.exception("alerts round failed")


def register(app: Application, interval_seconds: float) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds, name="alerts")
