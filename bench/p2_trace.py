"""Where the time of the c8 complete-transfer load (P2) goes, seen from the client.

    flock /tmp/bench.lock python -m bench.p2_trace [--clients 8] [--seconds 6] [--people 10000]
                                                   [--server-log] [--generic-plans]

One process, ``clients`` tasks doing send then accept back to back on a fresh database (as P2
does, without pgbench). It wraps the PostgreSQL fast path's batcher to record, per batch, its
kind, its size and the time its statement took on the connection (asyncpg's fetch, i.e. the
server's work, its commit and the trip back), and prints: transfers/s, the client process's
CPU, batch sizes and statement times, and the share of the time with 0, 1, 2... statements in
flight (sends, accepts, lone statements). ``--server-log``: also what PostgreSQL spent on each
batch statement, from its own log (``bench.pg_log``: bind and planning, execute, the executor's
CPU), beside what the client waited; the difference is the commit, the trip back and the client.
``--generic-plans``: the bench database set to ``plan_cache_mode = force_generic_plan``.
Figures are in bench/notes/10-pg-transfers.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import Counter

from bench import common, pg_log
from bench.run import Bench
from wallet.services import transfer_fastpath as fp
from wallet.services import transfers

LOG: dict[str, list] = {"batches": [], "alone": []}


def _instrument() -> None:
    run, fast = fp._Batches.run, fp._fast

    async def timed_run(self, batch):  # a batch statement (a lone request takes _fast)
        t0 = time.monotonic()
        out = await run(self, batch)
        LOG["batches"].append((self.kind, len(batch), t0, time.monotonic()))
        return out

    async def timed_fast(ctx, stmt, params):
        t0 = time.monotonic()
        out = await fast(ctx, stmt, params)
        LOG["alone"].append(("alone", 1, t0, time.monotonic()))
        return out

    fp._Batches.run, fp._fast = timed_run, timed_fast


async def _load(url, ids, clients, seconds) -> tuple[int, float]:
    from bench.workload import engine_for

    engine = engine_for(url, "FULL", clients)
    ctx = common.make_context(engine)
    rnd, run_id = random.Random(1), uuid.uuid4().hex[:8]
    done = 0
    t_end = time.monotonic() + seconds

    async def client(n):
        nonlocal done
        while time.monotonic() < t_end:
            s, r = rnd.sample(ids, 2)
            key = f"t{run_id}-{n}-{rnd.getrandbits(48):x}"
            sent = await transfers.send(ctx, key=key, sender_id=s, recipient_id=r, amount=5, pin=None, pin_checked=True)
            await transfers.accept(ctx, key=key + "a", user_id=r, transfer_id=sent["transfer_id"])
            done += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - t0
    await engine.dispose()
    return done, elapsed


def _occupancy() -> dict:
    events = []
    for kind, _, a, b in LOG["batches"] + LOG["alone"]:
        events += [(a, 1, kind), (b, -1, kind)]
    events.sort()
    cur, share, last = Counter(), Counter(), events[0][0] if events else 0.0
    for t, d, kind in events:
        share[(cur["send"], cur["accept"], cur["alone"])] += t - last
        cur[kind] += d
        last = t
    total = sum(share.values()) or 1.0
    return {k: round(v / total, 3) for k, v in share.most_common(8)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--server-log", action="store_true", help="PostgreSQL's own time per statement, from its log")
    ap.add_argument("--generic-plans", action="store_true", help="plan_cache_mode = force_generic_plan")
    args = ap.parse_args(argv)
    _instrument()
    b = Bench(True, args.people, {"P2"})
    url, ids, cleanup = b._db("postgres")
    dbname = url.rsplit("/", 1)[1]
    server, why = pg_log.ServerLog(dbname), "not asked for"
    try:
        if args.generic_plans:
            asyncio.run(common.pg_admin(f'ALTER DATABASE "{dbname}" SET plan_cache_mode = force_generic_plan'))
        if args.server_log:
            why = asyncio.run(server.open())
        cpu0 = os.times()
        done, elapsed = asyncio.run(_load(url, ids, args.clients, args.seconds))
        cpu1 = os.times()
        seen = server.breakdown() if server.path else {}
        if server.path:
            wal = asyncio.run(server.wal())
            asyncio.run(server.close())
    finally:
        cleanup()
    ms = lambda x: round(1000 * x, 2)  # noqa: E731
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed
    print(f"{args.clients} clients: {done / elapsed:.0f} transfers/s, client process {cpu:.2f} core")
    for kind in ("send", "accept", "alone"):
        rows = [x for x in LOG["batches"] + LOG["alone"] if x[0] == kind]
        if rows:
            print(f"  {kind}: {len(rows)} statements, mean size {statistics.mean(r[1] for r in rows):.2f}, "
                  f"statement time p50 {ms(statistics.median(r[3] - r[2] for r in rows))} ms")
    print("  share of the time with (sends, accepts, lone) statements in flight:", _occupancy())
    if not args.server_log:
        return
    if not seen:
        print("  server log:", why or "no batch statement found in it")
    else:
        print(f"  WAL in the run: {wal['flushes']} flushes ({wal['flushes'] / elapsed:.0f}/s), "
              f"{wal['flush_mean_ms']} ms each on average; {wal['records']} records")
    for kind, srv in seen.items():
        rows = [x for x in LOG["batches"] if x[0] == kind.split("_")[0]]
        client = 1000 * statistics.mean(r[3] - r[2] for r in rows) if rows else float("nan")
        rest = client - (srv["bind_mean_ms"] or 0) - srv["execute_mean_ms"]
        print(f"  {kind} in PostgreSQL: {srv['n']} executed; bind mean {srv['bind_mean_ms']} ms "
              f"({srv['binds_that_planned']} binds planned); execute mean {srv['execute_mean_ms']} ms, "
              f"executor CPU mean {srv['executor_cpu_mean_ms']} ms; the client waited {client:.2f} ms mean, "
              f"so {rest:.2f} ms were the commit, the trip back and the client")


if __name__ == "__main__":
    main()
