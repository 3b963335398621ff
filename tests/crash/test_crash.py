"""Crash safety: a worker process (tests/crash/worker.py) runs transfers, red-packet claims
and expiry sweeps and is killed with SIGKILL at random moments. After every kill: the audit is
clean, SQLite's integrity check is ok, every request that finished has exactly one journal
transaction (or none, if it failed), and every request that was in flight, retried with its
key, has exactly one effect (a second retry replays the same answer).

WALLET_CRASH_KILLS sets the number of kills (default 20); WALLET_CRASH_SEED the randomness."""
from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import make_context
from tests.crash.worker import RULES, call
from tests.wallet.helpers import make_person
from wallet.audit import audit_engine, report
from wallet.bootstrap import bootstrap
from wallet.clock import SystemClock
from wallet.errors import WalletError
from wallet.models import journal
from wallet.uow import caller_key, read

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("WALLET_CRASH_KILLS", "20"))
SEED = int(os.environ.get("WALLET_CRASH_SEED", random.randrange(10**6)))
USERS = [201, 202, 203, 204, 205, 206]
MONEY_OPS = {"send", "accept", "give_back", "rp_create", "rp_claim"}
# the worker's op -> the service's operation name and who acts (keys are scoped by both)
SCOPES = {"send": ("transfer_send", "sender_id"), "accept": ("transfer_accept", "user_id"),
          "give_back": ("transfer_return", "user_id"), "rp_create": ("rp_create", "sender_id"),
          "rp_claim": ("rp_claim", "user_id")}


def stored_key(req: dict) -> str:
    op, actor = SCOPES[req["op"]]
    return caller_key(req["key"], op=op, user_id=req["args"][actor])


def read_log(path: Path) -> tuple[list[dict], dict[str, dict]]:
    reqs, done = [], {}
    if not path.exists():
        return reqs, done
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:  # a line cut by the kill (only possible for a 'done' line)
            continue
        if rec["t"] == "req":
            reqs.append(rec)
        else:
            done[rec["key"]] = rec
    return reqs, done


async def journal_count(ctx, key: str) -> int:
    return await read(ctx, lambda conn: _count(conn, key))


async def _count(conn, key):
    return (await conn.execute(select(func.count()).select_from(journal).where(journal.c.idem_key == key))).scalar_one()


async def attempt(ctx, req):
    try:
        return ("ok", json.loads(json.dumps(await call(ctx, req["op"], req["key"], req["args"]), default=str)))
    except WalletError as exc:
        return ("error", exc.code)


async def check_after_kill(ctx, database_url: str, log: Path, round_: int) -> dict:
    if database_url.startswith("sqlite"):
        db = sqlite3.connect(database_url.split(":///", 1)[1])
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()
    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), f"audit after kill {round_} (seed {SEED}):\n{report(checks)}"

    reqs, done = read_log(log)
    stats = {"requests": len(reqs), "in_flight": 0}
    for req in reqs:
        key, op = req["key"], req["op"]
        if key in done:
            if op in MONEY_OPS:
                want = 1 if done[key]["ok"] else 0
                assert await journal_count(ctx, stored_key(req)) == want, f"finished {op} {key}: want {want} transaction(s)"
            continue
        stats["in_flight"] += 1
        first = await attempt(ctx, req)
        second = await attempt(ctx, req)
        if op in MONEY_OPS:
            n = await journal_count(ctx, stored_key(req))
            assert n == (1 if first[0] == "ok" else 0), f"in-flight {op} {key} retried: {first}, {n} transaction(s)"
            assert first == second, f"in-flight {op} {key}: retry {first} then {second}"
    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), f"audit after retries, kill {round_} (seed {SEED}):\n{report(checks)}"
    return stats


async def test_sigkill_at_random_moments(engine, database_url, tmp_path):
    ctx = make_context(engine, **RULES)
    await bootstrap(ctx)
    for uid in USERS:
        await make_person(ctx, uid, balance=50_000)
    ctx.clock = SystemClock()  # the worker runs on real time (short expiries make sweeps work)
    rnd = random.Random(SEED)
    totals = {"requests": 0, "in_flight": 0}
    for round_ in range(KILLS):
        log = tmp_path / f"requests-{round_}.log"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.crash.worker", "--url", database_url, "--log", str(log),
            "--users", ",".join(map(str, USERS)), "--seed", str(SEED * 1000 + round_),
            cwd=str(ROOT), stdout=asyncio.subprocess.PIPE)
        ready = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert ready.strip() == b"ready"
        await asyncio.sleep(rnd.uniform(0.02, 0.7))
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL
        stats = await check_after_kill(ctx, database_url, log, round_)
        for k in totals:
            totals[k] += stats[k]
    print(f"crash test: {KILLS} kills, {totals['requests']} requests, {totals['in_flight']} in flight retried "
          f"(seed {SEED})")
    assert totals["requests"] > KILLS  # the worker did work between kills
