"""Scheduled sweeps on the JobQueue: refund expired transfers and red packets, reconcile bank
operations whose outcome was unknown. Each refund and settlement writes its notices to the
outbox in its own transaction; the outbox job (jobs/outbox.py) tells the people concerned."""
from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from jobs import outbox
from wallet.services import cards, red_packets, transfers

log = logging.getLogger("jobs.sweeps")

# What the chat does after a sweep, registered by bot/app.py (jobs never import the flows): the
# cards of refunded transfers and of expired red packets are edited to say so. Each hook is
# ``async fn(app, items)``; registering the same hook again changes nothing.
AFTER: dict[str, list] = {"transfers": [], "red_packets": []}


def after(what: str, hook) -> None:
    """Run ``hook(app, items)`` after each sweep of ``what`` ("transfers" or "red_packets") that
    found something."""
    if hook not in AFTER[what]:
        AFTER[what].append(hook)


async def _guarded(name: str, fn, *args, **kwargs):
    """Run one sweep; a failure is logged and the other sweeps still run (each item inside a
    sweep is isolated by the service itself)."""
    try:
        return await fn(*args, **kwargs)
    except Exception:
        log.exception("sweep %s failed; the other sweeps go on", name)
        return []


async def sweep_once(app: Application) -> dict:
    """One round of every sweep. Safe to run in several processes at once: each refund and each
    settlement happens exactly once in the database. One failing sweep, item or notice does not
    stop the others."""
    wallet = app.bot_data["wallet"]
    refunded = await _guarded("transfers", transfers.expire_due, wallet)
    packets = await _guarded("red_packets", red_packets.expire_due, wallet)
    settled = await _guarded("bank_ops", cards.reconcile, wallet)
    if refunded or packets or settled:
        log.info("sweep: %d transfers refunded, %d red packets expired, %d bank ops settled",
                 len(refunded), len(packets), len(settled))
        # the people concerned are told through the outbox (written with each refund and
        # settlement); deliver now rather than at the outbox job's next round
        await _guarded("outbox", outbox.drain_once, app)
    for what, items in (("transfers", refunded), ("red_packets", packets)):
        for hook in AFTER[what] if items else ():  # their cards say so (people are told by the outbox)
            await _guarded(f"{what} cards", hook, app, items)
    return {"transfers": refunded, "red_packets": packets, "bank_ops": settled}


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await sweep_once(context.application)
    except Exception:  # the next round tries again; nothing is half-done (one transaction each)
        log.exception("sweep failed")


def register(app: Application, interval_seconds: int) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds, name="sweeps")
