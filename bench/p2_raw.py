"""The PostgreSQL fast path's batch statements alone: no wallet client, no pool, no other load.

    flock /tmp/bench.lock python -m bench.p2_raw [--people 10000] [--batch 8] [--connections 1|2] [--shards]
                                                 [--server-log]

Each connection runs, back to back, one batch of sends (``transfer_fastpath._SEND_BATCH_SQL``)
and then one batch of accepts of those transfers (``_ACCEPT_BATCH_SQL``), in autocommit, as the
batcher sends them. Prints each statement's p50 (commit included) and complete transfers/s.
``--shards``: the senders' own escrow shards (crc32 of the id) instead of one shard per batch.
``--server-log``: also PostgreSQL's own bind, execute and executor CPU per statement (``bench.pg_log``).
What it shows is in bench/notes/10-pg-transfers.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
import zlib
from datetime import datetime, timedelta

import asyncpg

from bench import pg_log
from bench.run import Bench
from wallet.services import transfer_fastpath as fp

async def _run(url: str, ids: list[int], n: int, reps: int, connections: int, own_shard: bool) -> None:
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    first = await asyncpg.connect(dsn)
    shards = {r["shard"]: r["id"] for r in await first.fetch(
        "SELECT id, shard FROM accounts WHERE code = 'transfer_escrow'")}
    await first.close()
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    rnd = random.Random(3)
    times: dict[str, list[float]] = {"send": [], "accept": []}

    async def worker(w: int, conn) -> None:
        send, accept = await conn.prepare(fp._SEND_BATCH_SQL), await conn.prepare(fp._ACCEPT_BATCH_SQL)
        for rep in range(reps):
            now = datetime.utcnow()
            people = rnd.sample(ids, 2 * n)
            ps = [dict(key=f"raw{uuid.uuid4().hex}", sender=s, recipient=r, amount=5, note=None,
                       escrow=shards[zlib.crc32(str(s).encode()) % len(shards)] if own_shard
                       else shards[(w * 4 + rep % 4) % len(shards)],
                       hash="raw", now=now, arrive=now, expires=now + timedelta(days=1),
                       day=now.replace(hour=0), year=now.replace(month=1, day=1, hour=0),
                       created_iso="", arrive_iso="", expires_iso="") for s, r in zip(people[:n], people[n:])]
            args = [[p[k] for p in ps] for k in fp.SEND_BATCH_COLUMNS] + [10 ** 9, 10 ** 10]
            t0 = time.perf_counter()
            rows = await send.fetch(*args)
            t1 = time.perf_counter()
            sent = {r["n"]: json.loads(r["result"]) for r in rows}
            acc = [(ps[i - 1]["key"] + "a", sent[i]["transfer_id"], ps[i - 1]["recipient"], "raw", datetime.utcnow())
                   for i in sent]
            t2 = time.perf_counter()
            await accept.fetch(*[list(c) for c in zip(*acc)])
            t3 = time.perf_counter()
            times["send"].append(t1 - t0)
            times["accept"].append(t3 - t2)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w, c) for w, c in enumerate(conns)))
    elapsed = time.perf_counter() - t0
    for c in conns:
        await c.close()
    p50 = {k: 1000 * statistics.median(v[10:]) for k, v in times.items()}
    where = "the senders' escrow shards" if own_shard else "one escrow shard per batch"
    print(f"batches of {n} on {connections} connection(s), {where}: "
          f"send {p50['send']:.2f} ms, accept {p50['accept']:.2f} ms, {n * reps * connections / elapsed:.0f} transfers/s")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--shards", action="store_true", help="each sender's own escrow shard")
    ap.add_argument("--server-log", action="store_true", help="PostgreSQL's own time per statement, from its log")
    args = ap.parse_args(argv)
    b = Bench(True, args.people, {"P2"})
    url, ids, cleanup = b._db("postgres")
    server = pg_log.ServerLog(url.rsplit("/", 1)[1])
    try:
        why = asyncio.run(server.open()) if args.server_log else None
        asyncio.run(_run(url, ids, args.batch, args.reps, args.connections, args.shards))
        if server.path:
            for kind, srv in server.breakdown().items():
                print(f"  {kind} in PostgreSQL:", srv)
            print("  WAL:", asyncio.run(server.wal()))
            asyncio.run(server.close())
        elif why:
            print("  server log:", why)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
