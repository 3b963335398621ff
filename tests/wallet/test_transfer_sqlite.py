"""The SQLite fast path of transfers (``transfer_sqlite``: one thread hop per transaction, group
commit with a SAVEPOINT per request) under real concurrency: the concurrency scenarios of
test_concurrency and the daily cap of test_caps_concurrency run through each SQLite path —
fast grouped (the default), fast alone, general — and group commit keeps each request's own
outcome: a request that fails a check, or a transaction that fails as a whole, writes nothing
of its own and the general path answers it. The audit runs after each test (``ctx`` fixture)."""
from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import pytest
from sqlalchemy import func, select

from tests.conftest import BACKEND
from tests.wallet import test_concurrency as concurrency
from tests.wallet.helpers import make_person, wallet_balance
from wallet import errors, sqlite_hop
from wallet.models import journal, operations, transfers as transfers_table
from wallet.services import transfer_sqlite, transfers

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's fast path")


@pytest.fixture(params=["grouped", "alone", "general"])
def path(request, monkeypatch):
    monkeypatch.setattr(transfer_sqlite, "FAST_PATH", request.param != "general")
    monkeypatch.setattr(transfer_sqlite, "GROUP_COMMIT", request.param == "grouped")
    return request.param


@pytest.fixture
def served(monkeypatch):
    """How many requests the fast path answered (not None)."""
    count = {"send": 0, "accept": 0}
    for name in count:
        real = getattr(transfer_sqlite, name)

        async def spy(*args, _real=real, _name=name, **kwargs):
            result = await _real(*args, **kwargs)
            count[_name] += result is not None
            return result
        monkeypatch.setattr(transfer_sqlite, name, spy)
    return count


SCENARIOS = [concurrency.test_200_concurrent_debits_of_one_fen_from_one_yuan,
             concurrency.test_50_concurrent_calls_with_one_key_have_one_effect,
             concurrency.test_100_transfers_each_way_at_once_no_deadlock,
             concurrency.test_accept_and_return_race_ends_the_transfer_once]


# stress tier (make test, not test-fast), as test_concurrency whose scenarios these are: hundreds
# of concurrent operations each, on three paths (~20 s in all)
@pytest.mark.stress
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("test_"))
async def test_concurrency_scenarios_on_each_sqlite_path(ctx, path, served, scenario):
    await scenario(ctx)
    if path != "general":
        assert served["send"] > 0, "the fast path served no send"


async def test_concurrent_sends_respect_the_daily_cap(ctx, path, served):
    ctx = dataclasses.replace(ctx, rules=ctx.rules.model_copy(update={"daily_cap_verified": 1_000}))
    for uid in (401, 402, 403):
        await make_person(ctx, uid, balance=100_000)
    results = await asyncio.gather(*(
        transfers.send(ctx, key=f"cap-{i}", sender_id=401, recipient_id=402 + i % 2, amount=100,
                       pin=None, pin_checked=True) for i in range(25)), return_exceptions=True)
    sent = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, errors.LimitExceeded)]
    assert len(sent) == 10 and len(refused) == 15, results
    assert await wallet_balance(ctx, 401) == 100_000 - 1_000
    assert served["send"] == (10 if path != "general" else 0)


async def test_a_group_keeps_each_request_its_own_outcome(ctx, monkeypatch):
    """One shared transaction: the sends that pass commit, the one to an unverified wallet and
    the ones past the balance roll back their own savepoint and get their precise error."""
    monkeypatch.setattr(transfer_sqlite, "GROUP_COMMIT", True)
    sizes = []
    real = sqlite_hop._group

    def spy(db, items):
        sizes.append(len(items))
        return real(db, items)
    monkeypatch.setattr(sqlite_hop, "_group", spy)
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    await make_person(ctx, 3, verified=False)
    coros = [transfers.send(ctx, key=f"g{i}", sender_id=1, recipient_id=2, amount=300, pin=None, pin_checked=True)
             for i in range(5)]
    coros.insert(2, transfers.send(ctx, key="unverified", sender_id=1, recipient_id=3, amount=1, pin=None,
                                   pin_checked=True))
    results = await asyncio.gather(*coros, return_exceptions=True)
    assert max(sizes) > 1, f"no request shared a transaction: {sizes}"
    assert isinstance(results[2], errors.NotVerified), results[2]
    rest = results[:2] + results[3:]
    assert sum(isinstance(r, dict) for r in rest) == 3
    assert sum(isinstance(r, errors.InsufficientBalance) for r in rest) == 2, rest
    assert await wallet_balance(ctx, 1) == 100


async def test_a_group_that_fails_as_a_whole_writes_nothing_and_each_runs_alone(ctx, monkeypatch):
    """The COMMIT of a shared transaction fails (as a full disk would): nothing of it stays, no
    request is answered from it, and the general path then does each once."""
    monkeypatch.setattr(transfer_sqlite, "GROUP_COMMIT", True)
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    real, failed = sqlite_hop._group, []

    def doomed(db, items):
        out = real(db, items)  # every request written in its savepoint...
        if not failed:
            failed.append(len(items))
            raise sqlite3.OperationalError("disk I/O error")  # ...then the transaction fails
        return out
    monkeypatch.setattr(sqlite_hop, "_group", doomed)
    results = await asyncio.gather(*(transfers.send(ctx, key=f"f{i}", sender_id=1, recipient_id=2, amount=100,
                                                    pin=None, pin_checked=True) for i in range(4)))
    assert failed and all(r["status"] == "pending" for r in results)
    assert await wallet_balance(ctx, 1) == 600
    async with ctx.engine.connect() as conn:
        n_transfers = (await conn.execute(select(func.count()).select_from(transfers_table))).scalar_one()
        n_holds = (await conn.execute(select(func.count()).select_from(journal)
                                      .where(journal.c.kind == "transfer_hold"))).scalar_one()
        n_ops = (await conn.execute(select(func.count()).select_from(operations)
                                    .where(operations.c.op == "transfer_send"))).scalar_one()
    assert (n_transfers, n_holds, n_ops) == (4, 4, 4)


async def test_another_process_holding_the_write_lock_is_waited_for(ctx, database_url):
    """A writer outside this process (its own sqlite3 connection) holds BEGIN IMMEDIATE: the fast
    path waits (busy_timeout) and then commits; nothing is lost or doubled."""
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    other = sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    send = asyncio.ensure_future(transfers.send(ctx, key="wait", sender_id=1, recipient_id=2, amount=100,
                                                pin=None, pin_checked=True))
    await asyncio.sleep(0.3)
    assert not send.done()
    other.execute("COMMIT")
    other.close()
    t = await asyncio.wait_for(send, 10)
    assert t["status"] == "pending" and await wallet_balance(ctx, 1) == 900


@pytest.mark.stress  # as the state machine itself (test_state_machine): dozens of examples, ~30 s
def test_wallet_state_machine_through_the_sqlite_fast_path(database_url, database_template, monkeypatch):
    """The wallet's state machine (tests/wallet/test_state_machine.py, general path on SQLite) with
    the SQLite fast path on, grouped (how many transfers it serves depends on the examples drawn)."""
    from tests.wallet import test_state_machine

    monkeypatch.setattr(transfer_sqlite, "GROUP_COMMIT", True)
    test_state_machine.test_wallet_state_machine(database_url, database_template, monkeypatch, True)
