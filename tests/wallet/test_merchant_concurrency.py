"""Payments to shops under real concurrency: they share the payer's lock and the tier caps with
transfers (on PostgreSQL both through the transfer fast path and the general path), a shop is
never paid twice for one key, and a balance is never overspent."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from tests.conftest import make_context
from tests.wallet.helpers import make_person, wallet_balance
from wallet import errors
from wallet.audit import audit_engine, report
from wallet.bootstrap import bootstrap
from wallet.models import payments
from wallet.services import merchants, transfer_fastpath, transfers
from wallet.uow import read

PAYER, SHOP, FRIEND = 401, 402, 403


async def setup(engine, *, balance: int, **rules):
    ctx = make_context(engine, **rules)
    await bootstrap(ctx)
    await make_person(ctx, PAYER, balance=balance)
    await make_person(ctx, SHOP)
    await make_person(ctx, FRIEND)
    shop = await merchants.register_shop(ctx, key="shop", owner_id=SHOP, name="Shop", category="retail")
    return ctx, shop["code"]["code"]


async def audit_ok(ctx):
    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), report(checks)


async def n_payments(ctx) -> int:
    return await read(ctx, lambda conn: _count(conn))


async def _count(conn):
    return (await conn.execute(select(func.count()).select_from(payments))).scalar_one()


@pytest.mark.parametrize("fast", [True, False])
async def test_payments_and_transfers_together_never_pass_the_daily_cap(engine, monkeypatch, fast):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", fast)
    ctx, code = await setup(engine, balance=100_000, daily_cap_verified=1_000)

    def op(i):
        if i % 2:
            return transfers.send(ctx, key=f"t{i}", sender_id=PAYER, recipient_id=FRIEND, amount=100,
                                  pin=None, pin_checked=True)
        return merchants.pay(ctx, key=f"p{i}", payer_id=PAYER, code=code, amount=100, pin=None, pin_checked=True)

    results = await asyncio.gather(*(op(i) for i in range(25)), return_exceptions=True)
    done = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, errors.LimitExceeded)]
    assert len(done) == 10 and len(refused) == 15, results
    assert await wallet_balance(ctx, PAYER) == 100_000 - 1_000
    await audit_ok(ctx)


async def test_many_payers_of_one_balance_never_overspend_it(engine):
    ctx, code = await setup(engine, balance=1_000)
    results = await asyncio.gather(*(
        merchants.pay(ctx, key=f"p{i}", payer_id=PAYER, code=code, amount=100, pin=None, pin_checked=True)
        for i in range(20)), return_exceptions=True)
    assert sum(isinstance(r, dict) for r in results) == 10
    assert sum(isinstance(r, errors.InsufficientBalance) for r in results) == 10, results
    assert await wallet_balance(ctx, PAYER) == 0 and await wallet_balance(ctx, SHOP) == 1_000
    assert await n_payments(ctx) == 10
    await audit_ok(ctx)


async def test_a_double_tap_pays_once(engine):
    ctx, code = await setup(engine, balance=10_000)
    results = await asyncio.gather(*(
        merchants.pay(ctx, key="same", payer_id=PAYER, code=code, amount=2_000, pin=None, pin_checked=True)
        for _ in range(8)), return_exceptions=True)
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["payment_id"] for r in results}) == 1
    assert await wallet_balance(ctx, SHOP) == 2_000 and await n_payments(ctx) == 1
    await audit_ok(ctx)
