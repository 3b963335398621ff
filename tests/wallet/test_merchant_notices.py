"""The notices of merchant payments on the real database: the shop's owner is told in the payment's
own transaction (a failed payment tells nobody, a replay tells once), a receive code's owner once,
and each shop's daily summary is one outbox row per shop and local day."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.wallet.helpers import PIN, make_person
from wallet import errors
from wallet import outbox as outbox_service
from wallet.models import outbox, transfers
from wallet.services import merchants
from wallet.uow import read

SHOP, PAYER, FRIEND = 301, 302, 303


@pytest.fixture
async def shop(ctx):
    await make_person(ctx, SHOP)
    await make_person(ctx, PAYER, balance=2_000)
    return await merchants.register_shop(ctx, key="shop-1", owner_id=SHOP, name="老王面馆", category="food")


async def notices(ctx, msgid: str) -> list[dict]:
    async def body(conn):
        rows = await conn.execute(select(outbox).where(outbox.c.msgid == msgid).order_by(outbox.c.id))
        return [dict(r._mapping) for r in rows]
    return await read(ctx, body)


def set_clock(ctx, when: datetime) -> None:
    ctx.clock.advance(seconds=(when - ctx.now()).total_seconds())


async def test_the_shop_is_told_once_per_payment_and_not_for_a_refused_one(ctx, shop):
    code = shop["code"]["code"]
    paid = await merchants.pay(ctx, key="p1", payer_id=PAYER, code=code, amount=500, pin=PIN)
    again = await merchants.pay(ctx, key="p1", payer_id=PAYER, code=code, amount=500, pin=PIN)  # a double tap
    assert again == paid
    with pytest.raises(errors.InsufficientBalance):
        await merchants.pay(ctx, key="p2", payer_id=PAYER, code=code, amount=5_000, pin=PIN)
    told = await notices(ctx, "notice.shop_paid")
    assert len(told) == 1 and told[0]["user_id"] == SHOP and told[0]["status"] == "pending"
    assert '"amount": 500' in told[0]["params"] and '"counterparty_id": 302' in told[0]["params"]
    assert told[0]["key"] == f"sys:notice:shop_paid:{paid['payment_id']}"


async def test_a_receive_code_tells_its_owner_once(ctx, shop):
    await make_person(ctx, FRIEND)
    code = (await merchants.create_code(ctx, key="rc", owner_id=FRIEND))["code"]
    first = await merchants.pay(ctx, key="r1", payer_id=PAYER, code=code, amount=300, pin=PIN)
    await merchants.pay(ctx, key="r1", payer_id=PAYER, code=code, amount=300, pin=PIN)
    assert first["kind"] == "personal" and first["status"] == "accepted"
    told = await notices(ctx, "notice.receive_code_paid")
    assert [(n["user_id"], n["key"]) for n in told] == [(FRIEND, f"sys:notice:receive_code_paid:{first['transfer_id']}")]


async def test_daily_summaries_one_per_shop_and_local_day(ctx, shop):
    await make_person(ctx, FRIEND)
    other = await merchants.register_shop(ctx, key="shop-2", owner_id=FRIEND, name="花店", category="retail")
    # 2026-12-01 23:30 and 2026-12-02 00:30 in Shanghai (UTC+8)
    set_clock(ctx, datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc))
    await merchants.pay(ctx, key="a", payer_id=PAYER, code=shop["code"]["code"], amount=100, pin=PIN)
    await merchants.pay(ctx, key="b", payer_id=PAYER, code=other["code"]["code"], amount=250, pin=PIN)
    set_clock(ctx, datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc))
    await merchants.pay(ctx, key="c", payer_id=PAYER, code=shop["code"]["code"], amount=1_000, pin=PIN)

    first = await merchants.queue_daily_summaries(ctx, date(2026, 12, 1))
    assert [(s["owner_id"], s["count"], s["total"]) for s in first] == [(SHOP, 1, 100), (FRIEND, 1, 250)]
    await merchants.queue_daily_summaries(ctx, date(2026, 12, 1))  # again (another process, a restart)
    assert await merchants.queue_daily_summaries(ctx, date(2026, 11, 30)) == []  # nothing paid: no notice
    rows = await notices(ctx, "notice.shop_daily_summary")
    assert sorted(r["key"] for r in rows) == sorted(merchants.summary_key(s["shop_id"], date(2026, 12, 1)) for s in first)
    await merchants.queue_daily_summaries(ctx, date(2026, 12, 2))
    rows = await notices(ctx, "notice.shop_daily_summary")
    assert len(rows) == 3 and '"amount": 1000' in rows[-1]["params"] and '"day": "2026-12-02"' in rows[-1]["params"]


async def test_a_receive_code_accepts_and_tells_in_one_transaction(ctx, shop, monkeypatch):
    """A crash while the owner's notice is written (the fault injected in the outbox) undoes the
    accept too: the transfer stays pending, nobody is told; the payer's retry finishes both, once."""
    await make_person(ctx, FRIEND)
    code = (await merchants.create_code(ctx, key="rc", owner_id=FRIEND))["code"]
    real = outbox_service.enqueue

    async def crash(conn, **kw):
        if kw["msgid"] == "notice.receive_code_paid":
            raise RuntimeError("the process died here")
        await real(conn, **kw)

    monkeypatch.setattr(outbox_service, "enqueue", crash)
    with pytest.raises(RuntimeError):
        await merchants.pay(ctx, key="r1", payer_id=PAYER, code=code, amount=300, pin=PIN)
    monkeypatch.setattr(outbox_service, "enqueue", real)

    async def statuses(conn):
        rows = await conn.execute(select(transfers.c.status).where(transfers.c.recipient_id == FRIEND))
        return [r.status for r in rows]
    assert await read(ctx, statuses) == ["pending"]
    assert await notices(ctx, "notice.receive_code_paid") == []

    done = await merchants.pay(ctx, key="r1", payer_id=PAYER, code=code, amount=300, pin=PIN)
    assert done["status"] == "accepted" and await read(ctx, statuses) == ["accepted"]
    await merchants.pay(ctx, key="r1", payer_id=PAYER, code=code, amount=300, pin=PIN)  # a replay
    told = await notices(ctx, "notice.receive_code_paid")
    assert [(n["user_id"], n["key"]) for n in told] == [(FRIEND, f"sys:notice:receive_code_paid:{done['transfer_id']}")]
