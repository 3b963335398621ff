"""Real-name tier caps on money going out (wallet/services/limits.py and, on PostgreSQL, the
transfer fast path's own copy of the check in transfer_fastpath.py).

Every test runs on both paths: ``fast`` toggles the transfer fast path, which exists on
PostgreSQL only (on SQLite every test runs once, on the general path). Days and years are
counted in the wallet's time zone (Asia/Shanghai): a local day starts at 16:00 UTC of the day
before.
Caps count every kind of money going out, whatever kind of send came first: transfers
(immediate or delayed) and red packets (lucky, equal at their total, exclusive)."""
from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import BACKEND, make_context
from tests.wallet.helpers import PIN, audit_failures, make_person, set_now
from wallet import errors, ledger
from wallet.bootstrap import bootstrap
from wallet.services import red_packets, transfer_fastpath, transfers
from wallet.uow import read

SENDER, BOB, CAROL = 1, 2, 3
KINDS = ("transfer", "delayed", "lucky", "equal", "exclusive")
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(params=[True, False] if BACKEND == "postgres" else [False],
                ids=(lambda fast: "fast" if fast else "general"))
def fast(request, monkeypatch):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", request.param)
    return request.param


@pytest.fixture
def served_fast(monkeypatch):
    """What the fast path answered to each send it was asked (None: declined, the general path ran)."""
    answers: list = []
    real = transfer_fastpath.send

    async def spy(ctx, **kw):
        answer = await real(ctx, **kw)
        answers.append(answer)
        return answer

    monkeypatch.setattr(transfer_fastpath, "send", spy)
    return answers


async def capped(engine, **caps):
    ctx = make_context(engine, **caps)
    await bootstrap(ctx)
    await make_person(ctx, SENDER, balance=500_000)
    for uid in (BOB, CAROL):
        await make_person(ctx, uid, balance=100_000)
    return ctx


_keys = itertools.count()


async def spend(ctx, kind: str, amount: int, *, sender: int = SENDER, recipient: int = BOB) -> dict:
    """Send ``amount`` fen out of ``sender``'s wallet as one ``kind`` of outgoing money."""
    key = f"cap-{kind}-{next(_keys)}"
    if kind in ("transfer", "delayed"):
        return await transfers.send(ctx, key=key, sender_id=sender, recipient_id=recipient, amount=amount, pin=PIN,
                                    delay_seconds=2 * 3600 if kind == "delayed" else 0)
    if kind == "lucky":
        return await red_packets.create(ctx, key=key, sender_id=sender, kind="lucky", amount=amount, shares=3, pin=PIN)
    if kind == "equal":  # two shares of half the amount each: the cap sees the total
        assert amount % 2 == 0
        return await red_packets.create(ctx, key=key, sender_id=sender, kind="equal", amount=amount // 2, shares=2,
                                        pin=PIN)
    if kind == "exclusive":
        return await red_packets.create(ctx, key=key, sender_id=sender, kind="exclusive", amount=amount, shares=1,
                                        exclusive_user_id=recipient if recipient != SENDER else CAROL, pin=PIN)
    raise ValueError(kind)


async def refused(ctx, kind: str, amount: int, **kw) -> errors.LimitExceeded:
    with pytest.raises(errors.LimitExceeded) as caught:
        await spend(ctx, kind, amount, **kw)
    return caught.value


def limit(e: errors.LimitExceeded) -> tuple:
    return e.period, e.cap, e.used, e.requested


async def test_every_kind_of_outgoing_money_counts_against_the_daily_cap(engine, fast, served_fast):
    """For each pair (first, then) of kinds, on a day of its own: ¥10 sent as `first`, then ¥6
    as `then` under a ¥15 cap is refused and ¥5 (exactly the cap) goes through."""
    ctx = await capped(engine, daily_cap_verified=1_500)
    day = utc(2026, 11, 28, 16)  # 00:00 on 29 November in Shanghai
    for first, then in itertools.product(KINDS, KINDS):
        day += timedelta(days=1)
        set_now(ctx, day + timedelta(hours=3))
        await spend(ctx, first, 1_000)
        e = await refused(ctx, then, 600)
        assert limit(e) == ("day", 1_500, 1_000, 600), (first, then, e)
        await spend(ctx, then, 500)
        e = await refused(ctx, then, 4)  # nothing left today, whatever the kind
        assert limit(e) == ("day", 1_500, 1_500, 4), (first, then, e)
    if fast and ctx.engine.dialect.name == "postgresql":  # the fast path itself served the sends
        assert any(a is not None for a in served_fast) and None in served_fast
    assert not await audit_failures(ctx)


async def test_caps_are_per_person_and_count_only_money_going_out(engine, fast):
    ctx = await capped(engine, daily_cap_verified=1_000)
    set_now(ctx, utc(2026, 11, 29, 2))
    t = await spend(ctx, "transfer", 1_000, sender=SENDER, recipient=BOB)
    await transfers.accept(ctx, key="acc", user_id=BOB, transfer_id=t["transfer_id"])
    p = await spend(ctx, "lucky", 900, sender=CAROL, recipient=BOB)
    await red_packets.claim(ctx, key="clm", packet_id=p["packet_id"], user_id=BOB)
    assert limit(await refused(ctx, "transfer", 1)) == ("day", 1_000, 1_000, 1)
    # what Bob received (a transfer, a share) and what the others sent leave his cap whole
    await spend(ctx, "transfer", 1_000, sender=BOB, recipient=CAROL)
    assert limit(await refused(ctx, "lucky", 100, sender=BOB)) == ("day", 1_000, 1_000, 100)
    assert limit(await refused(ctx, "exclusive", 101, sender=CAROL, recipient=BOB)) == ("day", 1_000, 900, 101)
    assert not await audit_failures(ctx)


async def test_the_day_starts_at_midnight_in_shanghai_not_in_utc(engine, fast):
    ctx = await capped(engine, daily_cap_verified=1_000)
    set_now(ctx, utc(2026, 11, 28, 15, 59, 59))  # 23:59:59 on the 28th in Shanghai
    await spend(ctx, "transfer", 1_000)
    assert limit(await refused(ctx, "lucky", 3)) == ("day", 1_000, 1_000, 3)
    ctx.clock.advance(seconds=1)  # 00:00:00 on the 29th in Shanghai: a new day
    await spend(ctx, "lucky", 400)
    await spend(ctx, "transfer", 600)
    for when in (utc(2026, 11, 28, 23, 59, 59),  # a new day in UTC, not in Shanghai
                 utc(2026, 11, 29, 0, 0, 0),
                 utc(2026, 11, 29, 15, 59, 59)):  # the last second of the 29th in Shanghai
        set_now(ctx, when)
        assert limit(await refused(ctx, "transfer", 1)) == ("day", 1_000, 1_000, 1), when
        assert limit(await refused(ctx, "equal", 2)) == ("day", 1_000, 1_000, 2), when
    set_now(ctx, utc(2026, 11, 29, 16))  # the 30th in Shanghai
    await spend(ctx, "transfer", 1_000)
    assert not await audit_failures(ctx)


async def test_the_yearly_cap_counts_the_local_calendar_year(engine, fast):
    ctx = await capped(engine, daily_cap_verified=1_000, yearly_cap_verified=2_500)
    set_now(ctx, utc(2026, 11, 30, 4))  # 30 November: the cap counts the whole year, not the month
    await spend(ctx, "lucky", 1_000)
    set_now(ctx, utc(2026, 12, 15, 4))
    await spend(ctx, "transfer", 1_000)
    set_now(ctx, utc(2026, 12, 31, 1))  # 31 December, 09:00 in Shanghai
    await spend(ctx, "delayed", 500)
    # 500 of today's 1,000 are left, but the year is used up
    assert limit(await refused(ctx, "transfer", 1)) == ("year", 2_500, 2_500, 1)
    assert limit(await refused(ctx, "exclusive", 1)) == ("year", 2_500, 2_500, 1)
    set_now(ctx, utc(2026, 12, 31, 15, 59, 59))  # still 2026 in Shanghai
    assert limit(await refused(ctx, "transfer", 1)) == ("year", 2_500, 2_500, 1)
    set_now(ctx, utc(2026, 12, 31, 16))  # 00:00 on 1 January 2027 in Shanghai; still 2026 in UTC
    await spend(ctx, "transfer", 1_000)
    assert limit(await refused(ctx, "lucky", 3)) == ("day", 1_000, 1_000, 3)
    set_now(ctx, utc(2027, 1, 1, 16))
    await spend(ctx, "equal", 1_000)
    await spend(ctx, "transfer", 500, sender=BOB, recipient=CAROL)  # another person's year
    set_now(ctx, utc(2027, 1, 2, 16))
    await spend(ctx, "transfer", 500)
    assert limit(await refused(ctx, "transfer", 1)) == ("year", 2_500, 2_500, 1)
    assert not await audit_failures(ctx)


async def test_concurrent_sends_of_many_people_each_see_their_own_red_packets(engine, fast, monkeypatch):
    """On PostgreSQL concurrent sends of different people share one statement (group commit),
    which checks the caps of each: a ¥10 packet, then ¥6 transfers of four people at once under
    a ¥15 cap are all refused, and ¥5 ones all go through."""
    batches: list[int] = []
    real_run = transfer_fastpath._Batches.run

    async def run(self, batch):
        batches.append(len(batch))
        return await real_run(self, batch)

    monkeypatch.setattr(transfer_fastpath._Batches, "run", run)
    ctx = make_context(engine, daily_cap_verified=1_500)
    await bootstrap(ctx)
    senders = (11, 12, 13, 14)
    for uid in (*senders, BOB):
        await make_person(ctx, uid, balance=10_000)
    set_now(ctx, utc(2026, 11, 29, 2))
    for i, uid in enumerate(senders):
        await spend(ctx, KINDS[2 + i % 3], 1_000, sender=uid, recipient=BOB)
        # the fast path finds each sender's escrow shard in the cache: the sends below reach
        # the batcher together instead of one by one after a look-up each
        await read(ctx, lambda conn, uid=uid: ledger.system_account(ctx, conn, "transfer_escrow", spread_by=uid))

    async def send(uid, amount, tag):
        return await transfers.send(ctx, key=f"many-{tag}-{uid}", sender_id=uid, recipient_id=BOB, amount=amount,
                                    pin=None, pin_checked=True)

    results = await asyncio.gather(*(send(uid, 600, "six") for uid in senders), return_exceptions=True)
    assert all(isinstance(r, errors.LimitExceeded) and limit(r) == ("day", 1_500, 1_000, 600) for r in results), results
    results = await asyncio.gather(*(send(uid, 500, "five") for uid in senders), return_exceptions=True)
    assert all(isinstance(r, dict) for r in results), results
    if fast and ctx.engine.dialect.name == "postgresql":  # both rounds went as one batch each
        assert batches == [4, 4], batches
    assert not await audit_failures(ctx)


async def test_a_red_packet_and_a_transfer_at_once_never_pass_the_cap_together(engine, fast):
    """Issue 7 hole 1: a red packet (general path: locks the payer's row, then checks the cap)
    and a transfer at the same moment (on PostgreSQL the fast path) must not both commit past
    the cap: ¥10 and ¥6 under ¥15, at once, many times over; at most one of each pair goes."""
    ctx = make_context(engine, daily_cap_verified=1_500)
    await bootstrap(ctx)
    senders = list(range(21, 29))
    for uid in (*senders, BOB):
        await make_person(ctx, uid, balance=50_000)
    for round_ in range(6):
        set_now(ctx, utc(2026, 12, 1 + round_, 2))  # a new day each round
        for uid in senders:
            await read(ctx, lambda conn, uid=uid: ledger.system_account(ctx, conn, "transfer_escrow", spread_by=uid))

        async def pair(uid):
            return await asyncio.gather(
                red_packets.create(ctx, key=f"race-p-{round_}-{uid}", sender_id=uid, kind="lucky", amount=1_000,
                                   shares=2, pin=None, pin_checked=True),
                transfers.send(ctx, key=f"race-t-{round_}-{uid}", sender_id=uid, recipient_id=BOB, amount=600,
                               pin=None, pin_checked=True),
                return_exceptions=True)

        results = await asyncio.gather(*(pair(uid) for uid in senders))
        for uid, (p, t) in zip(senders, results):
            assert not (isinstance(p, dict) and isinstance(t, dict)), (round_, uid, "both went through")
            assert isinstance(p, (dict, errors.LimitExceeded)) and isinstance(t, (dict, errors.LimitExceeded)), (p, t)
    assert not await audit_failures(ctx)
