"""Each person's alert preferences (wallet/services/alerts.py sends the alerts): low-balance
threshold (off until set), security tips daily / weekly / off, quiet hours (local minutes, may
wrap midnight), PIN-age reminder days. No row: the defaults."""
from __future__ import annotations

import logging

from sqlalchemy import select

from wallet.context import Context
from wallet.errors import WalletNotOpen
from wallet.models import alert_prefs, users
from wallet.uow import insert_ignore, read, transaction

log = logging.getLogger("wallet.alerts")

TIPS = ("daily", "weekly", "off")
DEFAULTS = {"low_balance": None, "tips": "weekly", "quiet_start": 22 * 60, "quiet_end": 8 * 60,
            "pin_age_days": 180, "last_tip": None}
MAX_THRESHOLD = 10_000_000  # ¥100,000


def prefs_of(row) -> dict:
    if row is None or row.tips is None:
        return dict(DEFAULTS)
    return {k: getattr(row, k) for k in DEFAULTS}


async def prefs(ctx: Context, user_id: int) -> dict:
    """The person's alert preferences (the defaults until they change one)."""
    async def body(conn):
        if (await conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none() is None:
            raise WalletNotOpen(user_id=user_id)
        return prefs_of((await conn.execute(select(alert_prefs).where(alert_prefs.c.user_id == user_id))).first())
    return await read(ctx, body)


def check_prefs(changes: dict) -> dict:
    """Validate changes (ValueError names what is wrong)."""
    out = {}
    for name, value in changes.items():
        if name == "low_balance":
            if value is not None and not (isinstance(value, int) and 0 < value <= MAX_THRESHOLD):
                raise ValueError("low_balance")
        elif name == "tips":
            if value not in TIPS:
                raise ValueError("tips")
        elif name == "quiet":
            if value is not None:
                start, end = value
                if not all(isinstance(v, int) and 0 <= v < 1440 for v in (start, end)) or start == end:
                    raise ValueError("quiet")
            out["quiet_start"], out["quiet_end"] = value if value is not None else (None, None)
            continue
        elif name == "pin_age_days":
            if value is not None and not (isinstance(value, int) and 0 < value <= 3650):
                raise ValueError("pin_age_days")
        else:
            raise ValueError(name)
        out[name] = value
    return out


async def set_prefs(ctx: Context, user_id: int, **changes) -> dict:
    """Change some preferences: ``low_balance`` (fen or None), ``tips`` (daily|weekly|off),
    ``quiet`` ((start, end) local minutes, or None), ``pin_age_days`` (or None)."""
    values = check_prefs(changes)

    async def body(conn):
        if (await conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none() is None:
            raise WalletNotOpen(user_id=user_id)
        defaults = {k: v for k, v in DEFAULTS.items() if k != "last_tip"}
        await conn.execute(insert_ignore(conn, alert_prefs, user_id=user_id, **defaults))
        if values:
            await conn.execute(alert_prefs.update().where(alert_prefs.c.user_id == user_id).values(**values))
        row = (await conn.execute(select(alert_prefs).where(alert_prefs.c.user_id == user_id))).first()
        log.info("alert prefs user=%s changed %s", user_id, sorted(values))
        return prefs_of(row)
    return await transaction(ctx, body)
