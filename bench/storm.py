"""P4 red-packet storm and P5 event-loop freedom."""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor

from bench import common


async def make_packets(url, sync, senders, shares, total):
    from bench.workload import engine_for
    from wallet.services import red_packets

    engine = engine_for(url, sync, 2)
    ctx = common.make_context(engine)
    ids = []
    for i, s in enumerate(senders):
        p = await red_packets.create(ctx, key=f"storm-{s}-{i}-{time.time_ns()}", sender_id=s, kind="lucky",
                                     amount=total, shares=shares, pin=None, pin_checked=True)
        ids.append(p["packet_id"])
    await engine.dispose()
    return ids


def storm(url, sync, plan, procs=2, pool=16):
    """Run the claims of ``plan`` from ``procs`` processes released at the same instant."""
    from bench.workload import claims_proc

    parts = [[] for _ in range(procs)]
    for pid, uids in plan:  # every packet's claimers are spread over the processes
        for i in range(procs):
            parts[i].append((pid, uids[i::procs]))
    start_at = time.time() + 2.0
    args = [dict(url=url, sync=sync, plan=p, start_at=start_at, pool=pool) for p in parts]
    with ProcessPoolExecutor(max_workers=procs, mp_context=mp.get_context("fork")) as ex:
        outs = list(ex.map(claims_proc, args))
    lat = [x for o in outs for x in o["latencies"]]
    outcomes, conflicts, last_at = {}, {}, {}
    for o in outs:
        for k, v in o["outcomes"].items():
            outcomes[k] = outcomes.get(k, 0) + v
        for k, v in o["conflicts"].items():
            conflicts[k] = conflicts.get(k, 0) + v
        last_at.update(o["last_at"])
    end = max(o["end"] for o in outs)
    emptied = max(last_at.values()) - start_at if len(last_at) == len(plan) else None
    claimed = outcomes.get("claimed", 0)
    return {
        "time_to_empty_s": round(emptied, 3) if emptied is not None else None,
        "all_done_s": round(end - start_at, 3),
        "claims_per_s": round(claimed / emptied, 1) if emptied else None,
        "attempts_per_s": round(len(lat) / (end - start_at), 1),
        "p50_ms": round(common.pct(lat, 50) * 1000, 2), "p99_ms": round(common.pct(lat, 99) * 1000, 2),
        "claimed": claimed, "attempts": len(lat), "outcomes": outcomes,
        "retries": conflicts.get("retries", 0), "deadlocks": conflicts.get("deadlocks", 0),
        "database_locked": conflicts.get("database_locked", 0),
        "serialization": conflicts.get("serialization", 0),
    }


async def p5(url, ids, *, seconds: float, pin_checks: int = 20, cost: int = 12, executor=None):
    """p99 of a balance query alone, then while ``pin_checks`` PIN verifications run at once
    (bcrypt at the product's cost, in worker threads) — all in one process, one event loop."""
    from sqlalchemy import update

    from bench.workload import engine_for
    from wallet import pin as pinlib
    from wallet.models import users
    from wallet.services import bills, pins

    if executor is not None:
        asyncio.get_running_loop().set_default_executor(executor)
    engine = engine_for(url, "FULL", 30)
    ctx = common.make_context(engine, bcrypt_cost=cost)
    checkers = ids[:pin_checks]
    hashed = await pinlib.hash_pin("135790", cost)
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id.in_(checkers)).values(pin_hash=hashed))

    async def balances(until):
        lat = []
        i = 0
        while time.monotonic() < until:
            uid = ids[(i * 7919) % len(ids)]
            i += 1
            t0 = time.perf_counter()
            await bills.balance(ctx, uid)
            lat.append(time.perf_counter() - t0)
            await asyncio.sleep(0.002)
        return lat

    for _ in range(20):  # warm up
        await bills.balance(ctx, ids[0])
    alone = await balances(time.monotonic() + seconds)
    stop = time.monotonic() + seconds
    checks = {"n": 0}

    async def checker(uid):
        while time.monotonic() < stop:
            await pins.verify_pin(ctx, uid, "135790")
            checks["n"] += 1

    busy, *_ = await asyncio.gather(balances(stop), *(checker(u) for u in checkers))
    await engine.dispose()
    a99, b99 = common.pct(alone, 99), common.pct(busy, 99)
    return {"alone_p50_ms": round(common.pct(alone, 50) * 1000, 2), "alone_p99_ms": round(a99 * 1000, 2),
            "busy_p50_ms": round(common.pct(busy, 50) * 1000, 2), "busy_p99_ms": round(b99 * 1000, 2),
            "ratio": round(b99 / a99, 2), "pin_checks_done": checks["n"], "queries_alone": len(alone),
            "queries_busy": len(busy)}
