"""With the risk engine on, the transfer fast paths take only what no rule can fire on
(wallet/risk/prescreen.py): a property holds ``clear`` to the engine (clear ⇒ allowed with nothing
fired), and on the database (SQLite's fast path, PostgreSQL's statement) the clear transfers go the
fast way while the others go the general path, where the engine decides, with the same outcomes
as the engine alone. Which path ran is seen from outside: the general path writes its transfer
through SQLAlchemy (counted by an engine event), the fast paths on their raw connections."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import event, text

from tests.wallet.helpers import PIN, make_person, wallet_balance
from tests.wallet.risk.cases import NOW, SETTINGS as S, quiet
from wallet import errors
from wallet.models import risk_prefs
from wallet.risk import engine, prescreen
from wallet.services import transfer_fastpath, transfer_rules, transfers
from wallet.uow import transaction

ALICE, BOB, CAROL = 1, 2, 3


@given(recent_count=st.integers(0, 12), recent_sum=st.integers(0, 3_000_000), amount=st.integers(1, 500_000),
       period_count=st.integers(0, 40), period_max=st.integers(0, 300_000), paid_before=st.booleans(),
       opened_days=st.integers(0, 10), wrong=st.integers(0, 6), right_ago=st.integers(0, 3_600))
def test_clear_means_the_engine_lets_it_through_with_nothing_fired(recent_count, recent_sum, amount, period_count,
                                                                   period_max, paid_before, opened_days, wrong,
                                                                   right_ago):
    f = replace(quiet(), amount=amount, recent_count=recent_count, recent_sum=recent_sum, period_count=period_count,
                period_sum=period_count * min(period_max, 50_000), period_max=period_max,
                paid_recipient_before=paid_before, recipient_opened_at=NOW - timedelta(days=opened_days),
                recipient_recent_payers=None if opened_days * 86_400 > S.collection.new_wallet_seconds else 9,
                pin_wrong_before_right=wrong, pin_right_after_wrong_at=NOW - timedelta(seconds=right_ago))
    if prescreen.clear(f, S, has_prefs=False):
        decision = engine.decide(f, S)
        assert decision.action == "allow" and decision.fired == (), decision


def test_what_is_not_clear():
    f = quiet()
    assert prescreen.clear(f, S, has_prefs=False)
    assert not prescreen.clear(f, S, has_prefs=True)
    assert not prescreen.clear(replace(f, amount=prescreen.amount_below(S)), S, has_prefs=False)
    assert not prescreen.clear(replace(f, recent_count=S.velocity.count.over), S, has_prefs=False)
    assert not prescreen.clear(replace(f, recent_sum=S.velocity.amount.over), S, has_prefs=False)
    assert not prescreen.clear(replace(f, recipient_opened_at=NOW - timedelta(seconds=S.collection.new_wallet_seconds)),
                               S, has_prefs=False)
    assert not prescreen.clear(replace(f, kind="pay"), S, has_prefs=False)


@pytest.fixture(params=["single", "batch"])
async def town(ctx, request, monkeypatch):
    """Alice and Bob, old wallets; Carol, new. On PostgreSQL each test runs twice: a lone send through
    the single statement, and through the batch statement (``BATCH_OF_ONE``); SQLite has one fast path."""
    if request.param == "batch":
        if not transfer_fastpath.enabled(ctx):
            pytest.skip("the batch statement is PostgreSQL's")
        monkeypatch.setattr(transfer_fastpath, "BATCH_OF_ONE", True)
    for uid in (ALICE, BOB):
        await make_person(ctx, uid, balance=500_000)
    ctx.clock.advance(seconds=S.collection.new_wallet_seconds + 60)  # Bob's wallet is not new any more
    await make_person(ctx, CAROL)  # Carol's is
    writes = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO TRANSFERS"):
            writes.append(statement)
    event.listen(ctx.engine.sync_engine, "before_cursor_execute", count)
    yield ctx, writes
    event.remove(ctx.engine.sync_engine, "before_cursor_execute", count)


async def send(ctx, key, to=BOB, amount=1_000):
    return await transfers.send(ctx, key=key, sender_id=ALICE, recipient_id=to, amount=amount, pin=PIN)


async def test_clear_transfers_go_the_fast_way_and_the_rest_meet_the_engine(town):
    ctx, general = town
    ctx.risk = S
    for i in range(S.velocity.count.over):
        assert (await send(ctx, f"ok{i}"))["status"] == "pending"
        ctx.clock.advance(seconds=5)
    assert general == []  # every one of them the fast way (no rule could fire)
    with pytest.raises(errors.StepUpRequired):  # one more in the window: the engine asks
        await send(ctx, "one-more")
    assert await wallet_balance(ctx, ALICE) == 500_000 - S.velocity.count.over * 1_000
    ctx.clock.advance(seconds=S.velocity.window_seconds)
    assert (await send(ctx, "new", to=CAROL))["status"] == "pending"  # a new wallet: the general path
    assert len(general) == 1
    assert (await send(ctx, "big", amount=prescreen.amount_below(S)))["status"] == "pending"  # gated: general
    assert len(general) == 2

    async def settings_on(conn):
        await conn.execute(risk_prefs.insert().values(user_id=ALICE, sms_above=100_000, updated_at=ctx.now()))
    await transaction(ctx, settings_on)
    assert (await send(ctx, "prefs"))["status"] == "pending"  # anti-theft settings: the general path
    assert len(general) == 3


async def test_the_engine_off_keeps_the_fast_way(town):
    ctx, general = town
    for i in range(S.velocity.count.over + 3):
        await send(ctx, f"off{i}")
    await send(ctx, "new", to=CAROL)
    assert general == []


async def test_one_pass_counts_the_caps_and_the_window_as_two_would(town):
    """PostgreSQL's statements count the velocity window in the caps' pass (transfer_rules.spent_sql
    with recent_since): the same figures as the caps' own query and prescreen.recent_sql."""
    ctx, _ = town
    if not transfer_fastpath.enabled(ctx):
        pytest.skip("the one-pass form is PostgreSQL's (LEAST)")
    for i in range(3):
        await send(ctx, f"w{i}", amount=300 + i)
        ctx.clock.advance(seconds=400)  # 1,200 s in all: only the last is in the 10-minute window
    async with ctx.engine.connect() as conn:
        acc = (await conn.execute(text("SELECT id FROM accounts WHERE user_id = :u AND kind = 'wallet'"),
                                  {"u": ALICE})).scalar_one()
        now = ctx.now().replace(tzinfo=None)
        day, year, since = now - timedelta(hours=1), now - timedelta(days=1), now - timedelta(seconds=600)
        ts = "CAST(:{} AS timestamp)".format
        one = (await conn.execute(text(transfer_rules.spent_sql(
            account=":acc", day=ts("day"), year=ts("year"), recent_since=ts("since"), recent_kinds=prescreen.OUT_KINDS)),
            {"acc": acc, "day": day, "year": year, "since": since})).one()
        caps = (await conn.execute(text(transfer_rules.spent_sql(account=":acc", day=ts("day"), year=ts("year"))),
                                   {"acc": acc, "day": day, "year": year})).one()
        window = (await conn.execute(text(prescreen.recent_sql(account=":acc", since=ts("since"))),
                                     {"acc": acc, "since": since})).one()
    assert tuple(one) == (*caps, *window) == (903, 903, 1, 302)  # only the last one is in the window
