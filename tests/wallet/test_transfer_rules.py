"""The transfer rules stated once (wallet/services/transfer_rules.py, the debit rule in
wallet/ledger.py) give the same answers in every form the paths use: the Python rule, the Core
condition of the general path and the SQL text the fast paths' statements are built from, each
evaluated by the database under test (SQLite, or PostgreSQL with WALLET_TEST_DB=postgres)."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, select, text

from tests.wallet.helpers import PIN, make_person
from wallet import ledger
from wallet.models import UTCDateTime, accounts
from wallet.services import limits, red_packets, transfer_rules, transfers

DAY_CAP, YEAR_CAP = 1_000, 5_000
CASES = list(itertools.product((0, 400, 999, 1_000), (0, 4_000, 4_999, 5_000), (0, 1, 600)))


def test_cap_exceeded_names_the_day_before_the_year():
    assert transfer_rules.cap_exceeded(0, 0, 1_000, day_cap=DAY_CAP, year_cap=YEAR_CAP) is None
    assert transfer_rules.cap_exceeded(0, 0, 1_001, day_cap=DAY_CAP, year_cap=YEAR_CAP) == "day"
    assert transfer_rules.cap_exceeded(0, 4_500, 600, day_cap=DAY_CAP, year_cap=YEAR_CAP) == "year"
    assert transfer_rules.cap_exceeded(900, 4_900, 200, day_cap=DAY_CAP, year_cap=YEAR_CAP) == "day"


async def test_the_cap_rule_in_sql_answers_as_in_python(ctx):
    n = "CAST(:{} AS bigint)".format  # typed parameters, as the statements' columns are
    cond = transfer_rules.within_caps_sql(day_used=n("d"), year_used=n("y"), amount=n("a"),
                                          day_cap=n("dc"), year_cap=n("yc"))
    async with ctx.engine.connect() as conn:
        for d, y, a in CASES:
            got = (await conn.execute(text(f"SELECT CASE WHEN {cond} THEN 1 ELSE 0 END"),
                                      {"d": d, "y": y, "a": a, "dc": DAY_CAP, "yc": YEAR_CAP})).scalar_one()
            want = transfer_rules.cap_exceeded(d, y, a, day_cap=DAY_CAP, year_cap=YEAR_CAP) is None
            assert bool(got) is want, (d, y, a)


async def test_the_debit_rule_in_core_and_in_sql_answers_alike(ctx):
    """On real accounts: a wallet with ¥10.00 and the bank clearing account (may go negative)."""
    await make_person(ctx, 1, balance=1_000)
    async with ctx.engine.connect() as conn:
        wallet_id = (await conn.execute(select(accounts.c.id).where(
            accounts.c.user_id == 1, accounts.c.kind == "wallet"))).scalar_one()
        clearing = await ledger.system_account(ctx, conn, "bank_clearing")
        sql = ledger.debit_allowed_sql(amount=":amount")
        for account_id, amount in itertools.product((wallet_id, clearing), (1, 999, 1_000, 1_001, 10**9)):
            core = (await conn.execute(select(ledger.debit_allowed(amount)).where(
                accounts.c.id == account_id))).scalar_one()
            txt = (await conn.execute(text(f"SELECT CASE WHEN {sql} THEN 1 ELSE 0 END FROM accounts WHERE id = :id"),
                                      {"amount": amount, "id": account_id})).scalar_one()
            want = account_id == clearing or amount <= 1_000
            assert bool(core) is want and bool(txt) is want, (account_id, amount)


async def test_spent_sql_counts_what_the_general_path_counts(ctx):
    """Money gone out by a transfer, a red packet and a transfer accepted by someone else: the
    statements' ``spent_sql`` and the general path's query agree, today and this year."""
    await make_person(ctx, 1, balance=50_000)
    await make_person(ctx, 2, balance=50_000)
    await transfers.send(ctx, key="k-t1", sender_id=1, recipient_id=2, amount=1_234, note=None, pin=PIN)
    await red_packets.create(ctx, key="k-rp1", sender_id=1, kind="lucky", amount=2_000, shares=2,
                             chat_id=-100, pin=PIN)
    incoming = await transfers.send(ctx, key="k-t2", sender_id=2, recipient_id=1, amount=777, note=None, pin=PIN)
    await transfers.accept(ctx, key="k-a2", user_id=1, transfer_id=incoming["transfer_id"])
    now = ctx.now()
    day = limits.local_day_start(ctx, now)
    year = day.replace(month=1, day=1)
    async with ctx.engine.connect() as conn:
        wallet_id = (await conn.execute(select(accounts.c.id).where(
            accounts.c.user_id == 1, accounts.c.kind == "wallet"))).scalar_one()
        general = await limits._spent_day_and_year(conn, wallet_id, day, year)
        tomorrow = await limits._spent_day_and_year(conn, wallet_id, day + timedelta(days=1), year)
        stmt = text(transfer_rules.spent_sql(account=":acc", day=":day", year=":year")).bindparams(
            bindparam("day", type_=UTCDateTime()), bindparam("year", type_=UTCDateTime()))
        fast = tuple((await conn.execute(stmt, {"acc": wallet_id, "day": day, "year": year})).one())
        fast_tomorrow = tuple((await conn.execute(stmt, {"acc": wallet_id, "day": day + timedelta(days=1),
                                                         "year": year})).one())
    assert general == (3_234, 3_234)
    assert fast == general and fast_tomorrow == tomorrow == (0, 3_234)


@pytest.mark.parametrize("kind", transfer_rules.OUTGOING_KINDS)
def test_the_outgoing_kinds_are_the_limits(kind):
    assert kind in limits.OUTGOING_KINDS and kind in transfer_rules.OUTGOING_KINDS_SQL
