"""A person's anti-theft settings (防盗设置, table ``risk_prefs``) and what the risk engine decided
about them ("why was I stopped"), for the chat's /security.

Changing a setting needs the PIN (``set_prefs``). Amounts in fen; None turns a setting off:
- ``sms_above``: payments above it also need an SMS code;
- ``night_lock``: no money out between 00:00 and 06:00 local time (the risk settings' hours);
- ``new_recipient_delay_above``: a first transfer above it to someone new arrives after 2 h
  (revocable, as any delayed transfer);
- ``no_pin_max`` / ``no_pin_daily`` (免密支付): payments up to the first, and up to the second in
  a day, without the PIN; both or neither; never for withdrawals. Off by default.
"""
from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy import select

from wallet.context import Context
from wallet.errors import InvalidAmount
from wallet.models import risk_decisions, risk_prefs
from wallet.risk.guard import prefs_of
from wallet.risk.prefs import Prefs
from wallet.services.guards import load_user
from wallet.services.pins import verify_pin
from wallet.uow import caller_key, idempotent, insert_ignore, read

FIELDS = ("sms_above", "night_lock", "new_recipient_delay_above", "no_pin_max", "no_pin_daily")


async def get_prefs(ctx: Context, user_id: int) -> Prefs:
    return await read(ctx, lambda conn: prefs_of(conn, user_id))


def _amount(ctx: Context, value, name: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value <= 0 or value > ctx.rules.max_amount:
        raise InvalidAmount(reason="not_an_integer" if type(value) is not int else
                            ("zero" if value == 0 else "negative" if value < 0 else "too_large"), text=name)
    return value


async def set_prefs(ctx: Context, *, key: str, user_id: int, pin: str | None, pin_checked: bool = False,
                    **changes) -> dict:
    """Change some of the person's anti-theft settings (the others stay); the PIN first."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown anti-theft settings: {sorted(unknown)}")
    if ("no_pin_max" in changes) != ("no_pin_daily" in changes):
        raise TypeError("no_pin_max and no_pin_daily change together")
    key = caller_key(key, op="risk_prefs", user_id=user_id)
    clean = {name: (bool(v) if name == "night_lock" else _amount(ctx, v, name)) for name, v in changes.items()}
    if (clean.get("no_pin_max") is None) != (clean.get("no_pin_daily") is None) or \
            (clean.get("no_pin_max") or 0) > (clean.get("no_pin_daily") or 0):
        raise InvalidAmount(reason="too_large", text="no_pin_max")  # a payment above the day's limit
    if not pin_checked:
        await verify_pin(ctx, user_id, pin or "")

    async def body(conn):
        await load_user(conn, user_id)
        current = asdict(await prefs_of(conn, user_id))
        new = {**current, **clean}
        now = ctx.now()
        await conn.execute(insert_ignore(conn, risk_prefs, user_id=user_id, updated_at=now))
        await conn.execute(risk_prefs.update().where(risk_prefs.c.user_id == user_id).values(**new, updated_at=now))
        return new

    return await idempotent(ctx, key=key, op="risk_prefs", user_id=user_id, fn=body,
                            request={"user_id": user_id, **clean})


async def recent_decisions(ctx: Context, user_id: int, *, limit: int = 5) -> list[dict]:
    """The engine's latest decisions about this person (newest first): what, when, why."""
    async def body(conn):
        rows = (await conn.execute(select(risk_decisions).where(risk_decisions.c.user_id == user_id)
                                   .order_by(risk_decisions.c.id.desc()).limit(limit))).all()
        return [{"id": r.id, "kind": r.kind, "amount": r.amount, "action": r.action, "score": r.score,
                 "rules": [f["rule"] for f in json.loads(r.fired)], "created_at": r.created_at.isoformat()}
                for r in rows]

    return await read(ctx, body)


async def recent_freezes(ctx: Context, *, limit: int = 20) -> list[dict]:
    """The engine's latest freezes of anyone (the admins' /risk)."""
    async def body(conn):
        rows = (await conn.execute(select(risk_decisions).where(risk_decisions.c.action == "freeze")
                                   .order_by(risk_decisions.c.id.desc()).limit(limit))).all()
        return [{"id": r.id, "user_id": r.user_id, "kind": r.kind, "amount": r.amount,
                 "rules": [f["rule"] for f in json.loads(r.fired)], "created_at": r.created_at.isoformat()}
                for r in rows]

    return await read(ctx, body)
