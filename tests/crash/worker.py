"""Crash worker: runs transfers (send, accept, give back), red-packet creates and claims and
expiry sweeps against a database until it is killed (SIGKILL, by tests/crash/test_crash.py).

Before sending a request it appends one JSON line ``{"t": "req", "op", "key", "args"}`` to the
log and fsyncs it, so whoever kills it knows what may have been in flight; after the answer it
appends ``{"t": "done", "key", "ok", ...}`` (not synced: a lost 'done' only means one more
request is retried).

    python -m tests.crash.worker --url URL --log FILE --users 1,2,3 --seed N
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys

from sqlalchemy import select

from wallet.clock import SystemClock
from wallet.errors import WalletError
from wallet.models import red_packets, transfers as transfers_t
from wallet.services import red_packets as rp
from wallet.services import transfers
from wallet.uow import read

RULES = {"transfer_expiry_seconds": 2, "red_packet_expiry_seconds": 3, "bcrypt_cost": 4}


def context(url: str):
    from tests.conftest import make_context
    from wallet.db import create_engine

    ctx = make_context(create_engine(url, pool_size=8), **RULES)
    ctx.clock = SystemClock()
    return ctx


async def call(ctx, op: str, key: str, args: dict):
    """Send one request; the same function retries it in the test (same key, same args)."""
    if op == "send":
        return await transfers.send(ctx, key=key, pin=None, pin_checked=True, **args)
    if op == "accept":
        return await transfers.accept(ctx, key=key, **args)
    if op == "give_back":
        return await transfers.give_back(ctx, key=key, **args)
    if op == "rp_create":
        return await rp.create(ctx, key=key, pin=None, pin_checked=True, **args)
    if op == "rp_claim":
        return await rp.claim(ctx, key=key, **args)
    if op == "sweep_transfers":
        return await transfers.expire_due(ctx)
    if op == "sweep_packets":
        return await rp.expire_due(ctx)
    raise ValueError(op)


class Log:
    def __init__(self, path: str):
        self.f = open(path, "a", buffering=1)

    def write(self, rec: dict, sync: bool) -> None:
        self.f.write(json.dumps(rec, default=str) + "\n")
        self.f.flush()
        if sync:
            os.fsync(self.f.fileno())


async def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=4)
    a = ap.parse_args(argv)
    users = [int(u) for u in a.users.split(",")]
    ctx = context(a.url)
    log = Log(a.log)
    rnd = random.Random(a.seed)
    counter = iter(range(10**9))

    async def pending_transfer():
        async def q(conn):
            return list((await conn.execute(select(transfers_t.c.id, transfers_t.c.recipient_id)
                                            .where(transfers_t.c.status == "pending")
                                            .order_by(transfers_t.c.id.desc()).limit(20))).all())
        rows = await read(ctx, q)
        return rnd.choice(rows) if rows else None

    async def open_packet():
        async def q(conn):
            return list((await conn.execute(select(red_packets.c.id).where(red_packets.c.status == "open")
                                            .order_by(red_packets.c.id.desc()).limit(10))).scalars())
        rows = await read(ctx, q)
        return rnd.choice(rows) if rows else None

    async def one(n: int):
        roll = rnd.random()
        if roll < 0.35:
            s, r = rnd.sample(users, 2)
            op, key, args = "send", f"s-{a.seed}-{n}", {"sender_id": s, "recipient_id": r, "amount": rnd.randint(1, 500)}
        elif roll < 0.6:
            t = await pending_transfer()
            if t is None:
                return
            tid, recipient = t
            op = "give_back" if tid % 4 == 0 else "accept"
            key, args = f"{op}-{tid}", {"user_id": recipient, "transfer_id": tid}
        elif roll < 0.72:
            op, key = "rp_create", f"p-{a.seed}-{n}"
            args = {"sender_id": rnd.choice(users), "kind": "lucky", "amount": rnd.randint(50, 2000),
                    "shares": rnd.randint(1, 5)}
        elif roll < 0.92:
            pid = await open_packet()
            if pid is None:
                return
            uid = rnd.choice(users)
            op, key, args = "rp_claim", f"claim-{pid}-{uid}", {"packet_id": pid, "user_id": uid}
        else:
            op = "sweep_packets" if rnd.random() < 0.5 else "sweep_transfers"
            key, args = f"{op}-{a.seed}-{n}", {}
        log.write({"t": "req", "op": op, "key": key, "args": args}, sync=True)
        try:
            result = await call(ctx, op, key, args)
            log.write({"t": "done", "key": key, "ok": True, "result": result}, sync=False)
        except WalletError as exc:
            log.write({"t": "done", "key": key, "ok": False, "error": exc.code}, sync=False)

    async def client():
        while True:
            await one(next(counter))

    print("ready", flush=True)
    await asyncio.gather(*(client() for _ in range(a.concurrency)))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
