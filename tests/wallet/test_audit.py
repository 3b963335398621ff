"""The audit (DESIGN §2 invariants): `wallet-bot audit` as a subprocess, and wallet.audit.audit
directly against each kind of corruption. Corrupting tests use their own SQLite file, never the
shared `ctx` fixture (whose audit runs at teardown)."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import make_context
from tests.wallet.helpers import PIN, bind, make_person
from wallet import errors, ledger
from wallet.audit import audit_engine
from wallet.bootstrap import bootstrap
from wallet.db import create_engine
from wallet.migrate import upgrade_head
from wallet.models import accounts, entries, journal, metadata, red_packet_claims, red_packets, transfers as transfers_t
from wallet.services import cards, merchants, transfers

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
@pytest.fixture
async def own(tmp_path):
    """A context on a database of this test's own, with some activity; all invariants hold."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    ctx = make_context(engine)
    await bootstrap(ctx)
    await activity(ctx)
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
