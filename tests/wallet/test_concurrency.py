"""Money under real concurrency: many tasks at once over the real database (a pool of
connections), on SQLite and PostgreSQL. The audit runs after each test (fixture)."""
from __future__ import annotations

import asyncio

import pytest

from tests.wallet.helpers import PIN, make_person, wallet_balance
from wallet import errors
from wallet.services import transfer_fastpath, transfers


@pytest.fixture(autouse=True, params=["fast", "general"])
def transfer_path(request, monkeypatch, engine):
    """On PostgreSQL, transfers take a one-statement fast path (with group commit) unless it
    declines; run every concurrency test through both paths. SQLite has only the general one."""
    if request.param == "fast" and engine.dialect.name != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    if request.param == "general":
        monkeypatch.setattr(transfer_fastpath, "FAST_PATH", False)
    return request.param


async def outcomes(coros):
    return await asyncio.gather(*coros, return_exceptions=True)


async def test_200_concurrent_debits_of_one_fen_from_one_yuan(ctx):
    await make_person(ctx, 1, balance=100)
    await make_person(ctx, 2)
    results = await outcomes(
        transfers.send(ctx, key=f"d{i}", sender_id=1, recipient_id=2, amount=1, pin=PIN) for i in range(200))
    ok = [r for r in results if isinstance(r, dict)]
    failed = [r for r in results if not isinstance(r, dict)]
    assert len(ok) == 100
    assert all(isinstance(r, errors.InsufficientBalance) for r in failed), {type(r) for r in failed}
    assert await wallet_balance(ctx, 1) == 0
    assert len({r["transfer_id"] for r in ok}) == 100


async def test_50_concurrent_calls_with_one_key_have_one_effect(ctx):
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    results = await outcomes(
        transfers.send(ctx, key="same", sender_id=1, recipient_id=2, amount=300, pin=PIN) for _ in range(50))
    assert all(isinstance(r, dict) for r in results), [r for r in results if not isinstance(r, dict)][:3]
    assert all(r == results[0] for r in results)
    assert await wallet_balance(ctx, 1) == 700
    with pytest.raises(errors.IdempotencyConflict):
        await transfers.send(ctx, key="same", sender_id=1, recipient_id=2, amount=301, pin=PIN)
    accepts = await outcomes(
        transfers.accept(ctx, key="acc", user_id=2, transfer_id=results[0]["transfer_id"]) for _ in range(50))
    assert all(a == accepts[0] and isinstance(a, dict) for a in accepts)
    assert await wallet_balance(ctx, 2) == 300


async def test_100_transfers_each_way_at_once_no_deadlock(ctx):
    await make_person(ctx, 1, balance=50_000)
    await make_person(ctx, 2, balance=50_000)
    sends = [transfers.send(ctx, key=f"ab{i}", sender_id=1, recipient_id=2, amount=100 + i, pin=PIN) for i in range(100)]
    sends += [transfers.send(ctx, key=f"ba{i}", sender_id=2, recipient_id=1, amount=200 + i, pin=PIN) for i in range(100)]
    sent = await outcomes(sends)
    assert all(isinstance(r, dict) for r in sent), [r for r in sent if not isinstance(r, dict)][:3]
    accepted = await outcomes(
        transfers.accept(ctx, key=f"acc{t['transfer_id']}", user_id=t["recipient_id"], transfer_id=t["transfer_id"])
        for t in sent)
    assert all(isinstance(r, dict) for r in accepted), [r for r in accepted if not isinstance(r, dict)][:3]
    a_to_b = sum(100 + i for i in range(100))
    b_to_a = sum(200 + i for i in range(100))
    assert await wallet_balance(ctx, 1) == 50_000 - a_to_b + b_to_a
    assert await wallet_balance(ctx, 2) == 50_000 - b_to_a + a_to_b


async def test_accept_and_return_race_ends_the_transfer_once(ctx):
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    for i in range(20):
        t = await transfers.send(ctx, key=f"t{i}", sender_id=1, recipient_id=2, amount=10, pin=PIN)
        tid = t["transfer_id"]
        ctx.clock.advance(seconds=0)
        results = await outcomes([
            transfers.accept(ctx, key=f"a{i}", user_id=2, transfer_id=tid),
            transfers.give_back(ctx, key=f"r{i}", user_id=2, transfer_id=tid),
        ])
        assert sum(isinstance(r, dict) for r in results) == 1
        assert all(isinstance(r, (dict, errors.TransferNotPending)) for r in results)
    assert await wallet_balance(ctx, 1) + await wallet_balance(ctx, 2) == 1_000


async def test_a_batch_of_sends_holds_its_money_in_one_escrow_shard(ctx, transfer_path):
    """Group commit on PostgreSQL: concurrent sends that share one statement credit ONE escrow
    shard (so the batch locks one escrow row, and batches in flight lock different ones); every
    transfer records that shard, and accepting and returning them empties each shard exactly.
    The general path keeps the shard of the sender (``ledger.system_account``)."""
    from sqlalchemy import select

    from wallet import ledger
    from wallet.uow import read
    from wallet.models import accounts, transfers as transfers_table

    senders = list(range(10, 18))
    for uid in senders:
        await make_person(ctx, uid, balance=1_000)
    await make_person(ctx, 2)
    # each sender's own shard; looking it up also warms the cache, as a running bot has it, so
    # no send below waits for a look-up and they all reach the batcher together
    own = {uid: await read(ctx, lambda conn, uid=uid: ledger.system_account(
        ctx, conn, "transfer_escrow", spread_by=uid)) for uid in senders}
    assert len(set(own.values())) > 1  # the senders' own shards differ: the test can tell them apart
    sent = await outcomes(transfers.send(ctx, key=f"b{uid}", sender_id=uid, recipient_id=2, amount=100 + uid,
                                         pin=None, pin_checked=True) for uid in senders)
    assert all(isinstance(r, dict) for r in sent), sent

    async def escrow_of(conn):
        rows = (await conn.execute(select(transfers_table.c.sender_id, transfers_table.c.escrow_account_id,
                                          transfers_table.c.amount))).all()
        held = {a: b for a, b in (await conn.execute(select(accounts.c.id, accounts.c.balance).where(
            accounts.c.code == "transfer_escrow"))).all()}
        return rows, held

    rows, held = await read(ctx, escrow_of)
    used = {e for _, e, _ in rows}
    if transfer_path == "fast":
        assert len(used) == 1, rows
    else:
        assert {s: e for s, e, _ in rows} == own
    for e in held:  # each shard holds exactly what the transfers recorded on it wait for
        assert held[e] == sum(a for _, x, a in rows if x == e)
    for i, t in enumerate(sent):
        if i % 2:
            await transfers.accept(ctx, key=f"a{i}", user_id=2, transfer_id=t["transfer_id"])
        else:
            await transfers.give_back(ctx, key=f"r{i}", user_id=2, transfer_id=t["transfer_id"])
    _, held = await read(ctx, escrow_of)
    assert set(held.values()) == {0}
    assert await wallet_balance(ctx, 2) == sum(100 + uid for i, uid in enumerate(senders) if i % 2)
