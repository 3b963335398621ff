"""Facts for the risk tests: a quiet payer whose every field is harmless, changed per case."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from wallet.risk.facts import Facts
from wallet.risk.settings import load

SETTINGS = load()  # the shipped settings.toml: the tests read every threshold from it
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)  # 20:00 in Shanghai
LONG_AGO = NOW - timedelta(days=400)


def quiet(**changes) -> Facts:
    """A payer with a year of history, a ¥10 transfer to someone paid before: nothing fires."""
    base = Facts(payer_id=1, kind="transfer", amount=1_000, now=NOW, payer_opened_at=LONG_AGO,
                 payer_timezone="Asia/Shanghai", recent_count=0, recent_sum=0, period_count=20,
                 period_sum=20 * 5_000, period_max=20_000, pin_set_at=LONG_AGO, recipient_id=2,
                 paid_recipient_before=True, recipient_opened_at=LONG_AGO)
    return replace(base, **changes)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)
