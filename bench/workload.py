"""Load generators that run in worker processes: each process has its own engine and runs
``clients`` asyncio tasks, each task one client doing operations back to back."""
from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import uuid
from collections import Counter

import wallet.uow as uow

ERRORS: Counter = Counter()


def _install_counters() -> None:
    """Count transient conflicts the unit of work retries, by kind."""
    original = uow.is_transient
    if getattr(original, "_bench", False):
        return

    def counting(exc):
        transient = original(exc)
        if transient:
            msg = str(getattr(exc, "orig", exc)).lower()
            if "deadlock" in msg:
                ERRORS["deadlocks"] += 1
            elif "locked" in msg or "busy" in msg:
                ERRORS["database_locked"] += 1
            else:
                ERRORS["serialization"] += 1
            ERRORS["retries"] += 1
        return transient

    counting._bench = True  # type: ignore[attr-defined]
    uow.is_transient = counting


def engine_for(url: str, sqlite_synchronous: str, pool: int):
    from wallet.db import create_engine

    return create_engine(url, sqlite_synchronous=sqlite_synchronous, pool_size=pool)


async def _transfers(url, sync, clients, warmup, duration, ids, mode, merchant, seed, risk=False):
    from bench.common import make_context, risk_settings
    from wallet.services import transfers

    _install_counters()
    logging.getLogger("wallet").setLevel(logging.WARNING)
    engine = engine_for(url, sync, clients)
    ctx = make_context(engine)
    if risk:  # the risk engine on, evaluating every transfer (bench.common.risk_settings)
        ctx.risk = risk_settings()
    rnd = random.Random(seed)
    run_id = uuid.uuid4().hex[:12]  # keys are unique to this run: no run replays another's
    lat: list[float] = []
    done = Counter()
    errors = Counter()
    t_start = time.monotonic() + 0.0
    t_measure = t_start + warmup
    t_end = t_measure + duration

    async def client(n):
        while True:
            now = time.monotonic()
            if now >= t_end:
                return
            sender = rnd.choice(ids)
            recipient = merchant if merchant is not None else rnd.choice(ids)
            if recipient == sender:
                continue
            amount = rnd.randint(1, 100)
            t0 = time.monotonic()
            try:
                key = f"b{run_id}-{n}-{rnd.getrandbits(64):x}"
                sent = await transfers.send(ctx, key=key, sender_id=sender, recipient_id=recipient,
                                            amount=amount, pin=None, pin_checked=True)
                if mode != "send":
                    await transfers.accept(ctx, key=key + "a", user_id=recipient, transfer_id=sent["transfer_id"])
            except Exception as exc:  # counted, reported
                errors[type(exc).__name__] += 1
                continue
            t1 = time.monotonic()
            if t0 >= t_measure and t1 <= t_end:
                done["ops"] += 1
                lat.append(t1 - t0)

    # warm the pool: one connection per client
    await asyncio.gather(*(client(n) for n in range(clients)))
    await engine.dispose()
    return {"ops": done["ops"], "seconds": duration, "latencies": lat, "errors": dict(errors),
            "conflicts": dict(ERRORS)}


def transfers_proc(args: dict) -> dict:
    return asyncio.run(_transfers(**args))


async def _claims(url, sync, plan, start_at, pool, warm=os.environ.get("BENCH_P4_WARM", "1") != "0"):
    """``plan``: list of (packet_id, [user ids]); every claimer is one task, all released at
    ``start_at`` (wall clock, shared by the processes)."""
    from bench.common import make_context
    from wallet.services import red_packets

    _install_counters()
    logging.getLogger("wallet").setLevel(logging.WARNING)
    engine = engine_for(url, sync, pool)
    ctx = make_context(engine)
    # open the pool's connections before the start
    async def touch():
        async with engine.connect():
            await asyncio.sleep(0.05)
    await asyncio.gather(*(touch() for _ in range(pool)))
    if warm:  # and, on PostgreSQL, have each connection plan the claim statement, as in a running bot
        from wallet.services import claim_fastpath
        await claim_fastpath.warm(ctx, pool)
    lat: list[float] = []
    outcomes = Counter()
    last_at: dict[int, float] = {}

    slots = asyncio.Semaphore(pool)  # as many in the database at once as the pool has connections

    async def one(pid, uid):
        t0 = time.time()
        try:
            async with slots:
                r = await red_packets.claim(ctx, key=f"claim-{pid}-{uid}", packet_id=pid, user_id=uid)
            outcomes["claimed"] += 1
            if r.get("last"):
                last_at[pid] = time.time()
        except Exception as exc:
            outcomes[type(exc).__name__] += 1
        lat.append(time.time() - t0)

    await asyncio.sleep(max(0.0, start_at - time.time()))
    await asyncio.gather(*(one(pid, uid) for pid, uids in plan for uid in uids))
    end = time.time()
    await engine.dispose()
    return {"latencies": lat, "outcomes": dict(outcomes), "last_at": last_at, "end": end,
            "conflicts": dict(ERRORS)}


def claims_proc(args: dict) -> dict:
    return asyncio.run(_claims(**args))
