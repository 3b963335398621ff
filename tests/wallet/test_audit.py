"""The audit (DESIGN §2 invariants): `wallet-bot audit` as a subprocess, and wallet.audit.audit
directly against each kind of corruption. Corrupting tests use their own SQLite file, never the
shared `ctx` fixture (whose audit runs at teardown)."""
from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, Index, MetaData, UniqueConstraint, select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import copy_sqlite_schema, make_context
from tests.wallet.helpers import PIN, bind, make_person
from tests.worlds import copy_of_world
from wallet import errors, ledger
from wallet.audit import audit_engine
from wallet.bootstrap import bootstrap
from wallet.db import create_engine
from wallet.migrate import upgrade_head
from wallet.models import accounts, entries, journal, metadata, red_packet_claims, red_packets, transfers as transfers_t
from wallet.services import cards, merchants, transfers
from wallet.services import red_packets as rp
from wallet.uow import caller_key

CHECK_NAMES = [
    "1 all balances sum to zero",
    "2 every transaction balances, in one currency, with two or more entries",
    "3 cached balances equal the sum of entries",
    "4 no user (or escrow) account is negative",
    "5 at most one transaction per idempotency key",
    "6 every hold ends exactly once",
    "7 red packets: claims within shares, one per user, claimed + refunded = total",
    "8 bank clearing matches the bank; nothing unknown past the window",
    "9 interest paid equals the interest expense",
    "10 every payment is one 'pay' transaction from the payer's wallet to the merchant's",
    "11 every entry's transaction and account exist",
]
TIMEOUT_CARD = "6222020000000000331"


async def activity(ctx) -> None:
    """Some real money movement: top-ups, an accepted and a pending transfer, a payment to a shop,
    a withdrawal with a fee."""
    card = await make_person(ctx, 1, balance=300_000)
    await make_person(ctx, 2, balance=1_000)
    t = await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=2_500, pin=PIN)
    await transfers.accept(ctx, key="a1", user_id=2, transfer_id=t["transfer_id"])
    shop = await merchants.register_shop(ctx, key="s1", owner_id=2, name="Shop", category="retail")
    await merchants.pay(ctx, key="p1", payer_id=1, code=shop["code"]["code"], amount=1_000, pin=PIN)
    await transfers.send(ctx, key="t2", sender_id=2, recipient_id=1, amount=700, pin=PIN)
    await cards.withdraw(ctx, key="w1", user_id=1, card_id=card["card_id"], amount=150_000, pin=PIN)


# --- the CLI ---------------------------------------------------------------------------------------
def _cli() -> list[str]:
    script = Path(sys.executable).with_name("wallet-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def run_audit(url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WALLET_DATABASE_URL": url}
    return subprocess.run([*_cli(), "audit"], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def migrated_db(tmp_path):
    path = tmp_path / "wallet.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade_head(url)

    async def fill():
        engine = create_engine(url)
        try:
            ctx = make_context(engine)
            await bootstrap(ctx)
            await activity(ctx)
        finally:
            await engine.dispose()

    asyncio.run(fill())
    return url, path


def sql(path: Path, statement: str, *params) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute(statement, params)
        con.commit()
    finally:
        con.close()


def test_cli_audit_passes_then_names_the_violated_invariant(migrated_db, tmp_path):
    url, path = migrated_db
    ok = run_audit(url, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name in CHECK_NAMES:
        assert f"[ok] {name}" in ok.stdout
    assert "audit: all invariants hold" in ok.stdout

    # one cached balance drifts
    sql(path, "UPDATE accounts SET balance = balance + 1 WHERE user_id = 2 AND kind = 'wallet'")
    bad = run_audit(url, tmp_path)
    assert bad.returncode != 0
    assert f"[FAIL] {CHECK_NAMES[2]}" in bad.stdout and f"[FAIL] {CHECK_NAMES[0]}" in bad.stdout
    assert "cached" in bad.stdout and "sum of balances is 1" in bad.stdout
    assert "invariant(s) violated" in bad.stdout

    sql(path, "UPDATE accounts SET balance = balance - 1 WHERE user_id = 2 AND kind = 'wallet'")
    assert run_audit(url, tmp_path).returncode == 0

    # an entry disappears
    sql(path, "DELETE FROM entries WHERE id = (SELECT MAX(id) FROM entries)")
    bad = run_audit(url, tmp_path)
    assert bad.returncode != 0
    assert f"[FAIL] {CHECK_NAMES[1]}" in bad.stdout and f"[FAIL] {CHECK_NAMES[2]}" in bad.stdout
    assert f"[ok] {CHECK_NAMES[4]}" in bad.stdout


def test_cli_audit_of_an_empty_migrated_database(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    upgrade_head(url)
    done = run_audit(url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


# --- audit() directly, against each kind of corruption ---------------------------------------------
async def _own_world(url: str):
    copy_sqlite_schema(Path(url.removeprefix("sqlite+aiosqlite:///")))
    ctx = make_context(create_engine(url))
    await bootstrap(ctx)
    await activity(ctx)
    return ctx, None


@pytest.fixture
async def own(tmp_path):
    """A context on a database of this test's own, with some activity; all invariants hold (a
    copy of that world made once per process: tests/worlds.py)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    ctx, _ = await copy_of_world("audit-own", _own_world, engine)
    yield ctx
    await engine.dispose()


async def failed_checks(ctx) -> set[str]:
    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert [c.name for c in checks] == CHECK_NAMES
    return {c.name.split()[0] for c in checks if not c.ok}


async def execute(ctx, statement, **params):
    async with ctx.engine.begin() as conn:
        return await conn.execute(text(statement) if isinstance(statement, str) else statement, params)


async def wallet_id(ctx, user_id):
    async with ctx.engine.connect() as conn:
        return await ledger.wallet_account(conn, user_id)


async def test_clean_activity_passes(own):
    assert await failed_checks(own) == set()


async def test_balance_drift(own):
    await execute(own, "UPDATE accounts SET balance = balance + 5 WHERE id = :a", a=await wallet_id(own, 2))
    assert await failed_checks(own) == {"1", "3"}


async def test_cached_balances_moved_without_entries(own):
    await execute(own, "UPDATE accounts SET balance = balance - 5 WHERE id = :a", a=await wallet_id(own, 1))
    await execute(own, "UPDATE accounts SET balance = balance + 5 WHERE id = :a", a=await wallet_id(own, 2))
    assert await failed_checks(own) == {"3"}


async def test_unbalanced_transaction(own):
    account = await wallet_id(own, 2)
    entry = (await execute(own, "SELECT MAX(id) FROM entries WHERE account_id = :a", a=account)).scalar_one()
    await execute(own, "UPDATE entries SET amount = amount + 7 WHERE id = :e", e=entry)
    await execute(own, "UPDATE accounts SET balance = balance + 7 WHERE id = :a", a=account)
    assert await failed_checks(own) == {"1", "2"}  # cached balance still matches its entries


async def test_transaction_with_one_entry(own):
    tx = (await execute(own, "SELECT MIN(tx_id) FROM entries")).scalar_one()
    await execute(own, "DELETE FROM entries WHERE id = (SELECT MIN(id) FROM entries WHERE tx_id = :t)", t=tx)
    assert {"2", "3"} <= await failed_checks(own)


async def test_negative_user_balance_is_refused_by_the_database_and_caught_by_the_audit(own):
    account = await wallet_id(own, 2)
    clearing = await ledger_system(own, "bank_clearing")
    with pytest.raises(IntegrityError):  # CHECK (allow_negative OR balance >= 0)
        await execute(own, "UPDATE accounts SET balance = -100 WHERE id = :a", a=account)
    async with own.engine.begin() as conn:
        await conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        try:
            balance = (await conn.execute(select(accounts.c.balance).where(accounts.c.id == account))).scalar_one()
            # a consistent-looking overdraft: balanced entries and cached balances, just negative
            tx = (await conn.execute(journal.insert().values(
                idem_key="overdraft", kind="transfer_hold", created_at=own.now()).returning(journal.c.id))).scalar_one()
            move = balance + 100
            await conn.execute(entries.insert(), [{"tx_id": tx, "account_id": account, "amount": -move},
                                                 {"tx_id": tx, "account_id": clearing, "amount": move}])
            await conn.execute(text("UPDATE accounts SET balance = balance - :m WHERE id = :a"), {"m": move, "a": account})
            await conn.execute(text("UPDATE accounts SET balance = balance + :m WHERE id = :a"), {"m": move, "a": clearing})
        finally:
            await conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
    failed = await failed_checks(own)
    assert "4" in failed and not {"1", "2", "3", "5"} & failed


async def ledger_system(ctx, code):
    async with ctx.engine.connect() as conn:
        return await ledger.system_account(ctx, conn, code, spread_by=0)


async def test_duplicate_idempotency_key_is_refused_by_a_constraint(own):
    key = (await execute(own, "SELECT idem_key FROM journal ORDER BY id LIMIT 1")).scalar_one()
    with pytest.raises(IntegrityError):
        await execute(own, journal.insert().values(idem_key=key, kind="topup", created_at=own.now()))
    assert await failed_checks(own) == set()


async def test_duplicate_red_packet_claim_is_refused_by_a_constraint(own):
    escrow = await ledger_system(own, "redpacket_escrow")
    now = own.now()
    packet = (await execute(own, red_packets.insert().values(
        sender_id=1, kind="equal", total=2, shares=2, escrow_account_id=escrow, created_at=now,
        expires_at=now + timedelta(days=1)).returning(red_packets.c.id))).scalar_one()
    tx = (await execute(own, journal.insert().values(idem_key="claim-1", kind="rp_claim", created_at=now)
                        .returning(journal.c.id))).scalar_one()
    await execute(own, red_packet_claims.insert().values(packet_id=packet, seq=1, user_id=2, amount=1, tx_id=tx,
                                                          created_at=now))
    with pytest.raises(IntegrityError):  # one claim per user
        await execute(own, red_packet_claims.insert().values(packet_id=packet, seq=2, user_id=2, amount=1,
                                                              tx_id=tx, created_at=now))
    with pytest.raises(IntegrityError):  # one claim per share
        await execute(own, red_packet_claims.insert().values(packet_id=packet, seq=1, user_id=1, amount=1,
                                                              tx_id=tx, created_at=now))
    # the bare rows above (no escrow posting, counters not kept) are caught as well
    assert {"7"} <= await failed_checks(own)


async def test_a_hold_that_ended_shows_as_pending(own):
    await execute(own, transfers_t.update().where(transfers_t.c.status == "accepted").values(status="pending"))
    assert await failed_checks(own) == {"6"}


async def test_a_settled_withdrawal_shows_as_in_flight(own):
    await execute(own, "UPDATE bank_ops SET status = 'pending' WHERE kind = 'payout'")
    assert await failed_checks(own) == {"6", "8"}


async def test_a_paid_out_withdrawal_marked_failed(own):
    # check 6 only counts endings; bank clearing (8) sees that the payout is missing
    await execute(own, "UPDATE bank_ops SET status = 'failed' WHERE kind = 'payout'")
    assert await failed_checks(own) == {"8"}


async def test_bank_clearing_disagrees_with_the_bank(own):
    await execute(own, "UPDATE bank_ops SET amount = amount + 100 WHERE id = (SELECT MIN(id) FROM bank_ops)")
    assert await failed_checks(own) == {"8"}


async def test_a_top_up_posted_twice(own):
    account = await wallet_id(own, 2)
    async with own.engine.begin() as conn:
        clearing = await ledger.system_account(own, conn, "bank_clearing", spread_by=2)
        await ledger.post(conn, key="extra-topup", kind="topup", legs=[(clearing, -1_000), (account, 1_000)],
                          now=own.now(), user_id=2, ref_type="bank_op", ref_id=1)
    assert await failed_checks(own) == {"8"}


async def test_an_unknown_bank_op_past_the_window(own):
    await bind(own, 1, card=TIMEOUT_CARD, key="bind-timeout")
    card = [c for c in await cards.list_cards(own, 1) if c["last4"] == TIMEOUT_CARD[-4:]][0]
    with pytest.raises(errors.BankTimeout):
        await cards.top_up(own, key="tu", user_id=1, card_id=card["card_id"], amount=1_000, pin=PIN)
    assert await failed_checks(own) == set()  # inside the window
    own.clock.advance(minutes=16)
    assert await failed_checks(own) == {"8"}
    await cards.reconcile(own)
    assert await failed_checks(own) == set()


async def test_interest_paid_without_the_expense(own):
    account = await wallet_id(own, 1)
    async with own.engine.begin() as conn:
        fee_income = await ledger.system_account(own, conn, "fee_income", spread_by=1)
        await ledger.post(conn, key="interest-x", kind="interest", legs=[(fee_income, -1), (account, 1)],
                          now=own.now(), user_id=1)
    assert await failed_checks(own) == {"9"}


async def test_a_clearing_entry_changed_with_its_cached_balance(own):
    clearing, tx = (await execute(own, """
        SELECT e.account_id, MIN(e.tx_id) FROM entries e JOIN accounts a ON a.id = e.account_id
        WHERE a.code = 'bank_clearing' GROUP BY e.account_id ORDER BY e.account_id LIMIT 1""")).one()
    await execute(own, "UPDATE entries SET amount = amount - 3 WHERE tx_id = :t AND account_id = :a", t=tx, a=clearing)
    await execute(own, "UPDATE accounts SET balance = balance - 3 WHERE id = :a", a=clearing)
    assert await failed_checks(own) == {"1", "2", "8"}


async def test_a_payment_row_that_disagrees_with_its_transaction(own):
    await execute(own, "UPDATE payments SET amount = amount + 1")
    assert await failed_checks(own) == {"10"}


async def test_a_pay_transaction_without_a_payment(own):
    payer, merchant = await wallet_id(own, 1), await wallet_id(own, 2)
    async with own.engine.begin() as conn:
        await ledger.post(conn, key="pay-x", kind="pay", legs=[(payer, -5), (merchant, 5)], now=own.now(),
                          user_id=1, counterparty_id=2)
    assert await failed_checks(own) == {"10"}


async def test_a_payment_that_went_elsewhere_than_the_merchant(own):
    account = await wallet_id(own, 2)
    async with own.engine.begin() as conn:
        other = await ledger.system_account(own, conn, "merchant_settlement", spread_by=2)
    await execute(own, "UPDATE entries SET account_id = :o WHERE account_id = :a AND tx_id = "
                       "(SELECT id FROM journal WHERE kind = 'pay')", o=other, a=account)
    await execute(own, "UPDATE accounts SET balance = balance - 1000 WHERE id = :a", a=account)
    await execute(own, "UPDATE accounts SET balance = balance + 1000 WHERE id = :o", o=other)
    assert await failed_checks(own) == {"10"}


# --- one planted corruption per condition ----------------------------------------------------------
# Each audit check tests several conditions. Each test below plants ONE corruption that breaks ONE
# condition and asserts exactly which checks fail with exactly which messages, so deleting any single
# condition from wallet/audit.py fails a test here. The corruptions run on a database of the test's
# own, on the suite's backend (a fresh SQLite file, or a fresh PostgreSQL database), whose schema
# has none of the database's own guards (CHECK constraints dropped, UNIQUE constraints made into
# unique indexes a test may drop): the audit is the last line behind them and must stand alone.
def unguarded_metadata() -> MetaData:
    m = MetaData(naming_convention=metadata.naming_convention)
    for t in metadata.sorted_tables:
        t.to_metadata(m)
    for t in m.sorted_tables:
        for c in list(t.constraints):
            if isinstance(c, (CheckConstraint, UniqueConstraint)):
                t.constraints.discard(c)
            if isinstance(c, UniqueConstraint):
                cols = [col.name for col in c.columns]
                Index(f"uq_{t.name}_{'_'.join(cols)}", *[t.c[n] for n in cols], unique=True)
        for col in t.columns:
            col.unique = False
    return m


async def _unguarded_world(engine):
    async with engine.begin() as conn:
        await conn.run_sync(unguarded_metadata().create_all)
    ctx = make_context(engine)
    await bootstrap(ctx)
    return ctx, await rich_activity(ctx)


@pytest.fixture
async def unguarded(tmp_path):
    """A context on a database of its own without CHECK constraints, after rich activity (every
    kind of hold in every state); all invariants hold. Yields (ctx, ids of what was made). On
    SQLite a copy of that world made once per process (tests/worlds.py), on PostgreSQL made anew."""
    from tests.conftest import BACKEND, PG_URL, _pg_exec

    if BACKEND == "postgres":
        name = f"wallet_audit_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        await _pg_exec(f'CREATE DATABASE "{name}"')
        url = f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'unguarded.db'}"
    engine = create_engine(url)
    try:
        if BACKEND == "postgres":
            ctx, ids = await _unguarded_world(engine)
        else:
            ctx, ids = await copy_of_world("audit-unguarded", lambda url: _unguarded_world(create_engine(url)), engine)
        assert await violations(ctx) == {}
        yield ctx, ids
    finally:
        await engine.dispose()
        if BACKEND == "postgres":
            await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def rich_activity(ctx) -> dict:
    card = await make_person(ctx, 1, balance=300_000)
    await make_person(ctx, 2, balance=1_000)
    await make_person(ctx, 3)
    ids = {}
    p = await rp.create(ctx, key="p-exp", sender_id=2, kind="lucky", amount=500, shares=2, pin=PIN)
    await rp.claim(ctx, key="p-exp-1", packet_id=p["packet_id"], user_id=1)
    ctx.clock.advance(hours=25)
    assert [x["packet_id"] for x in await rp.expire_due(ctx)] == [p["packet_id"]]
    ids["expired"] = p["packet_id"]
    t = await transfers.send(ctx, key="t-acc", sender_id=1, recipient_id=2, amount=2_500, pin=PIN)
    await transfers.accept(ctx, key="t-acc-a", user_id=2, transfer_id=t["transfer_id"])
    ids["accepted"] = t["transfer_id"]
    ids["pending"] = (await transfers.send(ctx, key="t-pen", sender_id=2, recipient_id=1, amount=700,
                                           pin=PIN))["transfer_id"]
    ids["settled"] = (await cards.withdraw(ctx, key="w-ok", user_id=1, card_id=card["card_id"], amount=150_000,
                                           pin=PIN))["op_id"]
    ctx.bank.fail_next("payout", "declined")
    with pytest.raises(errors.BankDeclined):
        await cards.withdraw(ctx, key="w-fail", user_id=1, card_id=card["card_id"], amount=1_000, pin=PIN)
    ctx.bank.fail_next("payout", errors.BankTimeout)
    with pytest.raises(errors.BankTimeout) as timeout:
        await cards.withdraw(ctx, key="w-unk", user_id=1, card_id=card["card_id"], amount=2_000, pin=PIN)
    ids["in_flight"] = timeout.value.op_id
    p = await rp.create(ctx, key="p-open", sender_id=1, kind="lucky", amount=1_000, shares=3, pin=PIN)
    for uid in (2, 3):
        await rp.claim(ctx, key=f"p-open-{uid}", packet_id=p["packet_id"], user_id=uid)
    ids["open"] = p["packet_id"]
    p = await rp.create(ctx, key="p-fin", sender_id=1, kind="equal", amount=300, shares=2, pin=PIN)
    for uid in (2, 3):
        await rp.claim(ctx, key=f"p-fin-{uid}", packet_id=p["packet_id"], user_id=uid)
    ids["finished"] = p["packet_id"]
    for k in ("wallet1", "wallet2"):
        ids[k] = await wallet_id(ctx, int(k[-1]))
    return ids


async def violations(ctx) -> dict[str, list[str]]:
    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert [c.name for c in checks] == CHECK_NAMES
    return {c.name.split()[0]: c.violations for c in checks if not c.ok}


async def one(ctx, statement: str, **params):
    async with ctx.engine.connect() as conn:
        return (await conn.execute(text(statement), params)).one()


_planted = itertools.count()


async def plant_tx(ctx, kind: str, legs, *, ref_type=None, ref_id=None) -> int:
    """A journal transaction written straight into the tables (no ledger checks), its entries
    and the cached balances kept in step: only what the test means to break is broken."""
    async with ctx.engine.begin() as conn:
        tx = (await conn.execute(journal.insert().values(
            idem_key=f"planted-{next(_planted)}", kind=kind, ref_type=ref_type, ref_id=ref_id,
            created_at=ctx.now()).returning(journal.c.id))).scalar_one()
        for account, amount in legs:
            await conn.execute(entries.insert().values(tx_id=tx, account_id=account, amount=amount))
            await conn.execute(text("UPDATE accounts SET balance = balance + :m WHERE id = :a"),
                               {"m": amount, "a": account})
    return tx


async def escrow_of_packet(ctx, packet_id: int) -> int:
    return (await one(ctx, "SELECT escrow_account_id FROM red_packets WHERE id = :p", p=packet_id))[0]


async def system_total(ctx, code: str) -> int:
    return (await one(ctx, "SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE code = :c", c=code))[0]


async def any_shard(ctx, code: str) -> int:
    return (await one(ctx, "SELECT MIN(id) FROM accounts WHERE code = :c", c=code))[0]


PLANTS: dict = {}


def plant(fn):
    PLANTS[fn.__name__] = fn
    return fn


# check 2: three conditions
@plant
async def tx_in_two_currencies(ctx, ids):
    tx, = await one(ctx, "SELECT MAX(tx_id) FROM entries WHERE account_id = :a", a=ids["wallet2"])
    await execute(ctx, "UPDATE entries SET currency = 'USD' WHERE id = (SELECT MIN(id) FROM entries WHERE tx_id = :t)",
                  t=tx)
    return {"2": [f"tx {tx}: sum 0, 2 entries, 2 currencies"]}


@plant
async def tx_without_entries(ctx, ids):
    tx = (await execute(ctx, journal.insert().values(idem_key="empty", kind="transfer_hold", created_at=ctx.now())
                        .returning(journal.c.id))).scalar_one()
    return {"2": [f"tx {tx}: sum 0, 0 entries, 0 currencies"]}


@plant
async def tx_unbalanced(ctx, ids):
    tx = await plant_tx(ctx, "transfer_hold", [(ids["wallet1"], -5), (ids["wallet2"], 3)])
    return {"1": ["sum of balances is -2"], "2": [f"tx {tx}: sum -2, 2 entries, 1 currencies"]}


# check 4: an escrow-like system account below zero (user accounts: see the test above)
@plant
async def fee_income_below_zero(ctx, ids):
    shard, balance = await one(ctx, "SELECT id, balance FROM accounts WHERE code = 'fee_income' AND balance > 0")
    await plant_tx(ctx, "fee_refund", [(shard, -(balance + 5)), (ids["wallet1"], balance + 5)])
    return {"4": [f"account {shard} (system fee_income): -5"]}


# check 5, with the unique index that normally refuses it dropped
@plant
async def idempotency_key_used_twice(ctx, ids):
    await execute(ctx, "DROP INDEX uq_journal_idem_key")
    send_key = caller_key("t-acc", op="transfer_send", user_id=1)
    accept_key = caller_key("t-acc-a", op="transfer_accept", user_id=2)
    await execute(ctx, "UPDATE journal SET idem_key = :s WHERE idem_key = :a", s=send_key, a=accept_key)
    return {"5": [f"key {send_key}: 2 transactions"]}


# check 6: six conditions
@plant
async def pending_transfer_amount_drifts_from_escrow(ctx, ids):
    await execute(ctx, "UPDATE transfers SET amount = amount + 1 WHERE id = :t", t=ids["pending"])
    return {"6": [f"transfer escrow holds 700, pending transfers total 701"]}


@plant
async def transfer_held_twice(ctx, ids):
    await plant_tx(ctx, "transfer_hold", [(ids["wallet1"], -1), (ids["wallet2"], 1)],
                   ref_type="transfer", ref_id=ids["accepted"])
    return {"6": [f"transfer {ids['accepted']} (accepted): 2 holds, 1 endings (want 1 and 1)"]}


@plant
async def pending_transfer_with_an_ending(ctx, ids):
    await plant_tx(ctx, "transfer_refund", [(ids["wallet2"], -1), (ids["wallet1"], 1)],
                   ref_type="transfer", ref_id=ids["pending"])
    return {"6": [f"transfer {ids['pending']} (pending): 1 holds, 1 endings (want 1 and 0)"]}


@plant
async def in_flight_withdrawal_drifts_from_its_hold(ctx, ids):
    await execute(ctx, "UPDATE bank_ops SET amount = amount + 1 WHERE id = :o", o=ids["in_flight"])
    return {"6": ["withdrawals in flight total 2001, withdraw_pending holds 2000"]}


@plant
async def withdrawal_held_twice(ctx, ids):
    await plant_tx(ctx, "withdraw_hold", [(ids["wallet1"], -1), (ids["wallet2"], 1)],
                   ref_type="bank_op", ref_id=ids["settled"])
    return {"6": [f"withdrawal {ids['settled']} (succeeded): 2 holds, 1 endings (want 1 and 1)"]}


@plant
async def in_flight_withdrawal_with_an_ending(ctx, ids):
    await plant_tx(ctx, "withdraw_fail", [(ids["wallet2"], -1), (ids["wallet1"], 1)],
                   ref_type="bank_op", ref_id=ids["in_flight"])
    return {"6": [f"withdrawal {ids['in_flight']} (unknown): 1 holds, 1 endings (want 1 and 0)"]}


# check 7: ten conditions
@plant
async def packet_counter_behind_its_claims(ctx, ids):
    await execute(ctx, "UPDATE red_packets SET claimed_count = 1 WHERE id = :p", p=ids["open"])
    return {"7": [f"packet {ids['open']}: counter 1, claims 2, claimers 2, shares 3"]}


@plant
async def packet_claimed_twice_by_one_person(ctx, ids):
    await execute(ctx, "DROP INDEX uq_red_packet_claims_packet_id_user_id")
    await execute(ctx, "UPDATE red_packet_claims SET user_id = 2 WHERE packet_id = :p AND user_id = 3", p=ids["open"])
    return {"7": [f"packet {ids['open']}: counter 2, claims 2, claimers 1, shares 3"]}


@plant
async def packet_with_more_claims_than_shares(ctx, ids):
    await execute(ctx, "UPDATE red_packets SET shares = 1 WHERE id = :p", p=ids["open"])
    return {"7": [f"packet {ids['open']}: counter 2, claims 2, claimers 2, shares 1"]}


@plant
async def claim_amounts_drift_from_the_packet(ctx, ids):
    await execute(ctx, "UPDATE red_packet_claims SET amount = amount + 1 WHERE packet_id = :p AND user_id = 2",
                  p=ids["open"])
    claimed, = await one(ctx, "SELECT claimed_amount FROM red_packets WHERE id = :p", p=ids["open"])
    low, = await one(ctx, "SELECT MIN(amount) FROM red_packet_claims WHERE packet_id = :p", p=ids["open"])
    return {"7": [f"packet {ids['open']}: claims sum {claimed + 1} (min {low}) but claimed_amount {claimed}"]}


@plant
async def claim_of_nothing(ctx, ids):
    a, = await one(ctx, "SELECT amount FROM red_packet_claims WHERE packet_id = :p AND user_id = 2", p=ids["open"])
    await execute(ctx, "UPDATE red_packet_claims SET amount = 0 WHERE packet_id = :p AND user_id = 2", p=ids["open"])
    await execute(ctx, "UPDATE red_packet_claims SET amount = amount + :a WHERE packet_id = :p AND user_id = 3",
                  a=a, p=ids["open"])
    claimed, = await one(ctx, "SELECT claimed_amount FROM red_packets WHERE id = :p", p=ids["open"])
    return {"7": [f"packet {ids['open']}: claims sum {claimed} (min 0) but claimed_amount {claimed}"]}


@plant
async def drawn_shares_drift_from_the_total(ctx, ids):
    await execute(ctx, "UPDATE red_packet_shares SET amount = amount + 1 WHERE packet_id = :p AND seq = 3",
                  p=ids["open"])
    return {"7": [f"packet {ids['open']}: drawn shares sum 1001, total 1000"]}


@plant
async def packet_escrow_postings_drift(ctx, ids):
    # one posting into the packet's escrow names the packet, its counterpart does not: the
    # escrow accounts as a whole still hold what the packets owe
    escrow = await escrow_of_packet(ctx, ids["open"])
    await plant_tx(ctx, "rp_create", [(ids["wallet1"], -1), (escrow, 1)], ref_type="red_packet", ref_id=ids["open"])
    await plant_tx(ctx, "rp_claim", [(escrow, -1), (ids["wallet1"], 1)])
    _, _, claimed, _ = await one(ctx, "SELECT id, total, claimed_amount, refunded_amount FROM red_packets WHERE id = :p",
                                 p=ids["open"])
    left = 1_000 - claimed
    return {"7": [f"packet {ids['open']}: escrow holds {left + 1}, expected {left}"]}


@plant
async def open_packet_marked_finished(ctx, ids):
    await execute(ctx, "UPDATE red_packets SET status = 'finished' WHERE id = :p", p=ids["open"])
    claimed, = await one(ctx, "SELECT claimed_amount FROM red_packets WHERE id = :p", p=ids["open"])
    return {"7": [f"packet {ids['open']} (finished): claimed {claimed} + refunded 0 != total 1000"]}


@plant
async def finished_packet_with_money_left_in_escrow(ctx, ids):
    # claimed + refunded = total, but its escrow postings leave 1 behind (and the escrow as a whole holds 1 more)
    escrow = await escrow_of_packet(ctx, ids["finished"])
    await plant_tx(ctx, "rp_create", [(ids["wallet1"], -1), (escrow, 1)], ref_type="red_packet",
                   ref_id=ids["finished"])
    total = await system_total(ctx, "redpacket_escrow")
    p = ids["finished"]
    return {"7": [f"packet {p}: escrow holds 1, expected 0",
                  f"packet {p} (finished): claimed 600 + refunded 0 != total 600",
                  f"red-packet escrow holds {total}, open packets hold {total - 1}"]}


@plant
async def finished_packet_refunded_too_much(ctx, ids):
    # its escrow is empty, but claimed + refunded exceeds the total
    await execute(ctx, "UPDATE red_packets SET refunded_amount = 1 WHERE id = :p", p=ids["finished"])
    total = await system_total(ctx, "redpacket_escrow")
    p = ids["finished"]
    return {"7": [f"packet {p}: escrow holds 0, expected -1",
                  f"packet {p} (finished): claimed 600 + refunded 1 != total 600",
                  f"red-packet escrow holds {total}, open packets hold {total - 1}"]}


@plant
async def packet_refunded_twice(ctx, ids):
    await plant_tx(ctx, "rp_refund", [(ids["wallet1"], -1), (ids["wallet2"], 1)], ref_type="red_packet",
                   ref_id=ids["expired"])
    return {"7": [f"packet {ids['expired']}: refunded 2 times"]}


@plant
async def red_packet_escrow_holds_more_than_the_packets(ctx, ids):
    shard = await escrow_of_packet(ctx, ids["open"])
    await plant_tx(ctx, "rp_create", [(ids["wallet1"], -1), (shard, 1)])
    total = await system_total(ctx, "redpacket_escrow")
    return {"7": [f"red-packet escrow holds {total}, open packets hold {total - 1}"]}


# check 8: three conditions
@plant
async def bank_clearing_moved_without_the_bank(ctx, ids):
    clearing = await any_shard(ctx, "bank_clearing")
    before = await system_total(ctx, "bank_clearing")
    await plant_tx(ctx, "withdraw_settle", [(clearing, -1), (ids["wallet1"], 1)])
    return {"8": [f"bank clearing is {before - 1}, expected payouts 150000 - charges 301000 = {before}"]}


@plant
async def top_up_without_a_charge(ctx, ids):
    await plant_tx(ctx, "topup", [(ids["wallet1"], -1), (ids["wallet2"], 1)])
    return {"8": ["2 succeeded charges but 3 top-up transactions"]}


@plant
async def unknown_bank_op_past_the_window(ctx, ids):
    ctx.clock.advance(seconds=ctx.rules.bank_reconcile_seconds)  # exactly the window: not yet
    assert await violations(ctx) == {}
    ctx.clock.advance(seconds=1)
    return {"8": [f"bank op {ids['in_flight']} (payout) still unknown past the reconciliation window"]}


# check 11: entries have no foreign keys (migration 0013); the audit finds an orphan entry
@plant
async def entries_of_a_transaction_that_does_not_exist(ctx, ids):
    # balanced and kept in step with the cached balances: only the missing transaction is wrong
    missing, = await one(ctx, "SELECT MAX(id) + 1000 FROM journal")
    async with ctx.engine.begin() as conn:
        for account, amount in ((ids["wallet1"], -1), (ids["wallet2"], 1)):
            await conn.execute(entries.insert().values(tx_id=missing, account_id=account, amount=amount))
            await conn.execute(text("UPDATE accounts SET balance = balance + :m WHERE id = :a"),
                               {"m": amount, "a": account})
    async with ctx.engine.connect() as conn:
        orphans = (await conn.execute(text("SELECT id FROM entries WHERE tx_id = :t ORDER BY id"),
                                      {"t": missing})).scalars().all()
    return {"11": [f"entry {e}: transaction {missing} does not exist" for e in orphans]}


@plant
async def entry_on_an_account_that_does_not_exist(ctx, ids):
    missing, = await one(ctx, "SELECT MAX(id) + 1000 FROM accounts")
    tx = await plant_tx(ctx, "savings_in", [(ids["wallet1"], -1), (missing, 1)])
    orphan, = await one(ctx, "SELECT id FROM entries WHERE tx_id = :t AND account_id = :a", t=tx, a=missing)
    # the missing account holds no cached balance, so the balances no longer sum to zero
    return {"1": ["sum of balances is -1"], "11": [f"entry {orphan}: account {missing} does not exist"]}


@pytest.mark.parametrize("name", PLANTS)
async def test_each_condition_alone(unguarded, name):
    ctx, ids = unguarded
    expected = await PLANTS[name](ctx, ids)
    assert await violations(ctx) == expected
