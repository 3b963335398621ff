"""The daily collection summary of every shop (商家每日收款汇总), through the outbox.

A repeating JobQueue job: each round looks at the wallet's clock and, once a local day (the
wallet's time zone) is over, writes the summary of that day for every shop paid on it
(``merchants.queue_daily_summaries``): one notice per shop and day, whose outbox key is the
shop and the day, so however often the job runs, in however many bot processes, and across
restarts, each owner is told once a day. The outbox job delivers it; this round drains it too.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from telegram.ext import Application, ContextTypes

from jobs import outbox
from wallet.services import merchants

log = logging.getLogger("jobs.shop_summary")
LAST_DAY = "shop_summary:last_day"  # bot_data: the last day summarised by this process (skip the query)


def day_to_summarise(wallet) -> date:
    """Yesterday, in the wallet's time zone, by the wallet's clock."""
    return merchants.local_today(wallet) - timedelta(days=1)


async def summarise_once(app: Application) -> list[dict]:
    """Queue yesterday's summaries (if this process has not yet) and deliver what is due."""
    wallet = app.bot_data["wallet"]
    day = day_to_summarise(wallet)
    if app.bot_data.get(LAST_DAY) == day.isoformat():
        return []
    shops = await merchants.queue_daily_summaries(wallet, day)
    app.bot_data[LAST_DAY] = day.isoformat()
    if shops:
        log.info("shop summaries of %s queued for %d shops", day.isoformat(), len(shops))
        await outbox.drain_once(app)
    return shops


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await summarise_once(context.application)
    except Exception:  # the next round tries again; queueing is one transaction
        log.exception("shop summary failed")


def register(app: Application, interval_seconds: float) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds, name="shop_summary")
