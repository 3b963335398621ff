"""Red packets under real concurrency: many tasks over the real engine (asyncio.gather), on
SQLite and on PostgreSQL. Nothing in memory decides who gets a share: the database does.
The audit runs when each test ends (invariants 1-7)."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.conftest import make_context
from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet import errors
from wallet.models import accounts, journal, red_packet_claims, users
from wallet.services import red_packets as rp
from wallet.uow import read, transaction

SENDER = 1


async def verified_claimers(ctx, ids) -> None:
    """Open verified wallets in bulk, straight in SQL (users.verified_at set, one wallet
    account each). Binding a card for each of 500 people through the real flow takes seconds;
    verification is not what these tests are about, only that the claimers may receive."""
    ids = list(ids)
    now = ctx.now()

    async def body(conn):
        await conn.execute(users.insert(), [
            {"id": uid, "first_name": f"U{uid}", "verified_at": now, "created_at": now} for uid in ids])
        await conn.execute(accounts.insert(), [{"user_id": uid, "kind": "wallet", "balance": 0} for uid in ids])

    await transaction(ctx, body)


async def claims_of(ctx, packet_id):
    async def body(conn):
        return (await conn.execute(select(red_packet_claims.c.user_id, red_packet_claims.c.seq,
                                          red_packet_claims.c.amount)
                                   .where(red_packet_claims.c.packet_id == packet_id)
                                   .order_by(red_packet_claims.c.seq))).all()
    return await read(ctx, body)


def outcomes(results) -> Counter:
    return Counter("ok" if isinstance(r, dict) else type(r).__name__ for r in results)


@pytest.fixture
async def sender(ctx):
    await make_person(ctx, SENDER, balance=200_000)
    return SENDER


async def test_500_claimers_on_a_10_share_packet(ctx, sender):
    claimers = range(1_000, 1_500)
    await verified_claimers(ctx, claimers)
    p = await rp.create(ctx, key="c", sender_id=SENDER, kind="lucky", amount=20_000, shares=10, pin=PIN)

    results = await asyncio.gather(
        *(rp.claim(ctx, key=f"claim-{uid}", packet_id=p["packet_id"], user_id=uid) for uid in claimers),
        return_exceptions=True)

    assert outcomes(results) == {"ok": 10, "RedPacketEmpty": 490}, [r for r in results if not isinstance(
        r, (dict, errors.RedPacketEmpty))][:3]
    wins = [r for r in results if isinstance(r, dict)]
    assert sorted(w["seq"] for w in wins) == list(range(1, 11))
    assert sum(w["amount"] for w in wins) == 20_000
    assert sum(w["last"] for w in wins) == 1
    rows = await claims_of(ctx, p["packet_id"])
    assert len(rows) == 10 and len({r.user_id for r in rows}) == 10
    assert sum(r.amount for r in rows) == 20_000
    for w in wins:
        assert await wallet_balance(ctx, w["claimer_id"]) == w["amount"]
    d = await rp.details(ctx, p["packet_id"])
    assert d["status"] == "finished" and d["claimed_amount"] == 20_000 and d["luckiest"] is not None


async def test_50_claims_by_one_user_take_one_share(ctx, sender):
    await verified_claimers(ctx, [7])
    p = await rp.create(ctx, key="c", sender_id=SENDER, kind="lucky", amount=1_000, shares=10, pin=PIN)

    # 50 different keys (crafted callbacks, several devices) ...
    results = await asyncio.gather(
        *(rp.claim(ctx, key=f"tap-{i}", packet_id=p["packet_id"], user_id=7) for i in range(50)),
        return_exceptions=True)
    assert outcomes(results) == {"ok": 1, "AlreadyClaimed": 49}
    won = next(r for r in results if isinstance(r, dict))
    assert {r.amount for r in results if isinstance(r, errors.AlreadyClaimed)} == {won["amount"]}
    # ... and 50 double taps of one key replay the same answer
    same = await asyncio.gather(*(rp.claim(ctx, key="tap-0", packet_id=p["packet_id"], user_id=7)
                                  for _ in range(50)), return_exceptions=True)
    if isinstance(results[0], dict):
        assert all(s == results[0] for s in same)
    else:
        assert all(isinstance(s, errors.AlreadyClaimed) for s in same)
    rows = await claims_of(ctx, p["packet_id"])
    assert [(r.user_id, r.seq) for r in rows] == [(7, 1)]
    assert await wallet_balance(ctx, 7) == won["amount"]


async def test_concurrent_sweeps_refund_once(ctx, sender):
    await verified_claimers(ctx, range(100, 110))
    packets = []
    for i in range(12):
        p = await rp.create(ctx, key=f"c{i}", sender_id=SENDER, kind="lucky", amount=1_000 + i, shares=5, pin=PIN)
        packets.append(p["packet_id"])
    claimed = 0
    for i, pid in enumerate(packets[:6]):  # half get some claims, one is finished
        for uid in range(100, 100 + (5 if i == 0 else i % 4)):
            claimed += (await rp.claim(ctx, key=f"k{pid}-{uid}", packet_id=pid, user_id=uid))["amount"]
    ctx.clock.advance(days=1)

    sweeps = await asyncio.gather(*(rp.expire_due(ctx) for _ in range(4)))

    refunded = [r for sweep in sweeps for r in sweep]
    assert sorted(r["packet_id"] for r in refunded) == packets[1:]
    total = sum(1_000 + i for i in range(12))
    assert sum(r["refunded"] for r in refunded) == total - claimed
    assert await wallet_balance(ctx, SENDER) == 200_000 - claimed

    async def refunds(conn):
        return (await conn.execute(select(func.count()).select_from(journal)
                                   .where(journal.c.kind == "rp_refund"))).scalar_one()
    assert await read(ctx, refunds) == 11
    assert await asyncio.gather(rp.expire_due(ctx), rp.expire_due(ctx)) == [[], []]


async def test_claims_racing_the_sweep_at_expiry(ctx, sender):
    """Claims that started before expiry (one clock) race sweeps after it (another clock):
    whatever commits first wins, and each fen ends in exactly one place."""
    await verified_claimers(ctx, range(200, 260))
    pids = [(await rp.create(ctx, key=f"c{i}", sender_id=SENDER, kind="lucky", amount=2_000, shares=20,
                             pin=PIN))["packet_id"] for i in range(3)]
    ctx.clock.advance(hours=24, seconds=-1)
    late = make_context(ctx.engine)
    late.clock.advance(seconds=(ctx.now() - late.now()).total_seconds() + 2)

    tasks = [rp.claim(ctx, key=f"k{pid}-{uid}", packet_id=pid, user_id=uid) for uid in range(200, 260) for pid in pids]
    tasks += [rp.expire_due(late) for _ in range(3)]
    results = await asyncio.gather(*tasks, return_exceptions=True)

    claims, sweeps = results[:-3], results[-3:]
    assert not [r for r in sweeps if isinstance(r, BaseException)]
    assert set(outcomes(claims)) <= {"ok", "RedPacketEmpty", "RedPacketExpired"}
    refunds = Counter(r["packet_id"] for sweep in sweeps for r in sweep)
    for pid in pids:
        d = await rp.details(ctx, pid)
        assert d["claimed_amount"] + d["refunded_amount"] + d["remaining_amount"] == 2_000
        assert d["status"] in ("finished", "expired")  # nothing stays open past the race
        assert refunds[pid] == (1 if d["status"] == "expired" else 0)
    got = sum(r["amount"] for r in claims if isinstance(r, dict))
    back = sum(r["refunded"] for sweep in sweeps for r in sweep)
    assert got + back == 6_000
    assert await wallet_balance(ctx, SENDER) == 200_000 - got


async def test_many_packets_many_claimers_at_once(ctx, sender):
    """Claims on several packets of one sender share an escrow shard: no deadlock, no loss."""
    await verified_claimers(ctx, range(300, 340))
    pids = [(await rp.create(ctx, key=f"c{i}", sender_id=SENDER, kind=kind, amount=amount, shares=15,
                             pin=PIN))["packet_id"]
            for i, (kind, amount) in enumerate([("lucky", 3_000), ("equal", 100), ("lucky", 15), ("equal", 7)])]
    tasks = [rp.claim(ctx, key=f"k{pid}-{uid}", packet_id=pid, user_id=uid) for uid in range(300, 340) for pid in pids]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert outcomes(results) == {"ok": 60, "RedPacketEmpty": 100}
    for pid in pids:
        d = await rp.details(ctx, pid)
        assert d["status"] == "finished" and d["claimed_count"] == 15 and d["remaining_amount"] == 0
