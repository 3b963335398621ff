"""Scheduled sweeps on the JobQueue: refund expired transfers and red packets, reconcile bank
operations whose outcome was unknown, and tell the people concerned."""
from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from jobs.notify import tell
from wallet.money import format_amount
from wallet.services import cards, red_packets, transfers

log = logging.getLogger("jobs.sweeps")


async def _name(wallet, user_id: int) -> str:
    from wallet.services import people

    try:
        return (await people.profile(wallet, user_id))["first_name"] or str(user_id)
    except Exception:  # a name is a nicety; never let it stop a refund notice
        return str(user_id)


async def _guarded(name: str, fn, *args, **kwargs):
    """Run one sweep; a failure is logged and the other sweeps still run (each item inside a
    sweep is isolated by the service itself)."""
    try:
        return await fn(*args, **kwargs)
    except Exception:
        log.exception("sweep %s failed; the other sweeps go on", name)
        return []


async def _tell_safely(bot, wallet, user_id: int, msgid: str, **kwargs) -> None:
    try:
        await tell(bot, wallet, user_id, msgid, **kwargs)
    except Exception:  # a notice must never stop the notices after it
        log.exception("notice %s to user=%s failed", msgid, user_id)


async def sweep_once(app: Application) -> dict:
    """One round of every sweep. Safe to run in several processes at once: each refund and each
    settlement happens exactly once in the database. One failing sweep, item or notice does not
    stop the others."""
    wallet = app.bot_data["wallet"]
    bot = app.bot
    refunded = await _guarded("transfers", transfers.expire_due, wallet)
    for tr in refunded:
        amount = format_amount(tr["amount"])
        await _tell_safely(bot, wallet, tr["sender_id"], "notice.transfer_refunded_sender",
                           amount=amount, name=await _name(wallet, tr["recipient_id"]))
        await _tell_safely(bot, wallet, tr["recipient_id"], "notice.transfer_refunded_recipient",
                           amount=amount, name=await _name(wallet, tr["sender_id"]))
    packets = await _guarded("red_packets", red_packets.expire_due, wallet)
    for p in packets:
        if p.get("refunded"):
            await _tell_safely(bot, wallet, p["sender_id"], "notice.red_packet_refunded",
                               amount=format_amount(p["refunded"]))
    settled = await _guarded("bank_ops", cards.reconcile, wallet)
    for op in settled:
        msgid = f"notice.{'topup' if op['kind'] == 'charge' else 'withdraw'}_{op['status']}"
        await _tell_safely(bot, wallet, op["user_id"], msgid, amount=format_amount(op["amount"]))
    if refunded or packets or settled:
        log.info("sweep: %d transfers refunded, %d red packets expired, %d bank ops settled",
                 len(refunded), len(packets), len(settled))
    return {"transfers": refunded, "red_packets": packets, "bank_ops": settled}


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await sweep_once(context.application)
    except Exception:  # the next round tries again; nothing is half-done (one transaction each)
        log.exception("sweep failed")


def register(app: Application, interval_seconds: int) -> None:
    app.job_queue.run_repeating(_job, interval=interval_seconds, first=interval_seconds, name="sweeps")
