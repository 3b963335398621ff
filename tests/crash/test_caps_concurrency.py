"""Spending caps under concurrency: many sends from one person at once never pass the daily
cap together (on PostgreSQL through the one-statement fast path with group commit, and through
the general path). Regression: the fast path once computed the caps in a snapshot taken before
it waited for the sender's row, and let 25 × ¥1 through a ¥10 cap."""
from __future__ import annotations

import asyncio

import pytest

from tests.conftest import make_context
from tests.wallet.helpers import make_person
from wallet import errors
from wallet.audit import audit_engine, report
from wallet.bootstrap import bootstrap
from wallet.services import transfer_fastpath, transfers


@pytest.mark.parametrize("fast", [True, False])
async def test_concurrent_sends_respect_the_daily_cap(engine, monkeypatch, fast):
    monkeypatch.setattr(transfer_fastpath, "FAST_PATH", fast)
    ctx = make_context(engine, daily_cap_verified=1_000)
    await bootstrap(ctx)
    for uid in (401, 402, 403):
        await make_person(ctx, uid, balance=100_000)
    results = await asyncio.gather(*(
        transfers.send(ctx, key=f"cap-{i}", sender_id=401, recipient_id=402 + i % 2, amount=100,
                       pin=None, pin_checked=True) for i in range(25)), return_exceptions=True)
    sent = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, errors.LimitExceeded)]
    assert len(sent) == 10 and len(refused) == 15, results
    checks = await audit_engine(engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), report(checks)
