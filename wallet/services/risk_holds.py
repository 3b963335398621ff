"""Payments the risk engine held for review (wallet/risk/guard.py): the money waits in the
``risk_hold`` escrow, nothing reaches the recipient, and the hold ends exactly once:

- ``release`` (an admin): in ONE transaction the hold becomes 'released', its money goes back to
  the payer's wallet and the operation itself runs from there (the kind's ``release_held``, e.g.
  ``transfers.release_held``), with the checks it always has except the engine's; if the
  operation cannot run now (the payer frozen, the recipient gone), nothing changes and the hold
  stays for a return;
- ``give_back`` (an admin, or the payer): the hold becomes 'returned' and the money goes back.
Each ending is a conditional update from 'held', so two admins pressing at once end it once. The
audit holds the risk_hold escrow to the sum of what is held.

Notices (outbox): the payer and the recipient when a payment is held ("in review") and when it
ends; the admins (``ctx.admin_ids``) when one is held, with Release / Return buttons.
"""
from __future__ import annotations

import importlib
import json
import logging

from sqlalchemy import and_, select

from wallet import ledger, outbox
from wallet.context import Context
from wallet.errors import HoldNotHeld, NotAdmin
from wallet.models import risk_decisions, risk_holds
from wallet.uow import caller_key, idempotent, internal_key, read

log = logging.getLogger("wallet.risk_holds")

# the module whose ``release_held(ctx, conn, *, key, request) -> dict`` runs a held operation of
# each kind (imported when a hold is released: those modules import this one to hold)
RELEASED_BY = {"transfer": "wallet.services.transfers"}


def view(h) -> dict:
    return {"hold_id": h.id, "user_id": h.user_id, "kind": h.kind, "amount": h.amount,
            "recipient_id": h.recipient_id, "status": h.status, "created_at": h.created_at.isoformat(),
            "resolved_at": h.resolved_at.isoformat() if h.resolved_at else None}


async def hold(ctx: Context, conn, *, key: str, user_id: int, kind: str, amount: int, source: int,
               recipient_id: int | None, request: dict, decision_id: int | None) -> dict:
    """In the operation's transaction: move ``amount`` from the payer's wallet account ``source``
    into the risk_hold escrow and keep the operation's ``request`` for its release."""
    if kind not in RELEASED_BY:  # pragma: no cover - guard.screen holds only the kinds listed here
        raise ValueError(f"no release for held {kind}")
    now = ctx.now()
    escrow = await ledger.system_account(ctx, conn, "risk_hold", spread_by=user_id)
    h = (await conn.execute(risk_holds.insert().values(
        user_id=user_id, kind=kind, amount=amount, recipient_id=recipient_id, op_key=key,
        request=json.dumps(request, sort_keys=True), escrow_account_id=escrow, decision_id=decision_id,
        status="held", created_at=now).returning(*risk_holds.c))).one()
    await ledger.post(conn, key=key, kind="risk_hold", legs=[(source, -amount), (escrow, amount)], now=now,
                      user_id=user_id, counterparty_id=recipient_id, ref_type="risk_hold", ref_id=h.id)
    if recipient_id is not None:
        await outbox.enqueue(conn, key=internal_key("notice", "risk_held", h.id, "recipient"), user_id=recipient_id,
                             msgid="risk.notice.held_recipient", now=now, amount=amount, counterparty_id=user_id)
    for admin in ctx.admin_ids:
        await outbox.enqueue(conn, key=internal_key("notice", "risk_held", h.id, admin), user_id=admin,
                             msgid="risk.notice.held_admin", now=now, amount=amount, counterparty_id=user_id,
                             kind_msgid=f"risk.kind.{kind}", hold=h.id,
                             buttons=[[["risk.button.release", outbox.action("risk.release", hold_id=h.id)],
                                       ["risk.button.return", outbox.action("risk.return", hold_id=h.id)]]])
    log.warning("risk hold %s: user=%s op=%s key=%s amount=%s", h.id, user_id, kind, key, amount)
    return {**view(h), "held": True}


async def _end(ctx: Context, conn, hold_id: int, *, status: str, by: int, payer_only: int | None = None):
    """The held row, now ended as ``status`` by ``by``; HoldNotHeld if it had ended (or is not
    ``payer_only``'s)."""
    now = ctx.now()
    stmt = select(risk_holds).where(risk_holds.c.id == hold_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    h = (await conn.execute(stmt)).one_or_none()
    if h is None or (payer_only is not None and h.user_id != payer_only):
        raise HoldNotHeld(hold_id=hold_id, status="unknown")
    res = await conn.execute(risk_holds.update().where(and_(risk_holds.c.id == hold_id, risk_holds.c.status == "held"))
                             .values(status=status, resolved_at=now, resolved_by=by))
    if res.rowcount != 1:
        raise HoldNotHeld(hold_id=hold_id, status=h.status)
    wallet = await ledger.wallet_account(conn, h.user_id)
    await ledger.post(conn, key=internal_key("risk_hold", hold_id, status),
                      kind="risk_return" if status == "returned" else "risk_release", legs=[(h.escrow_account_id, -h.amount), (wallet, h.amount)], now=now, user_id=h.user_id,
                      counterparty_id=h.recipient_id, ref_type="risk_hold", ref_id=h.id)
    return h


def _require_admin(ctx: Context, admin_id: int) -> None:
    if admin_id not in ctx.admin_ids:
        raise NotAdmin(user_id=admin_id)


async def release(ctx: Context, *, key: str, hold_id: int, admin_id: int) -> dict:
    """An admin lets the held payment go: it runs now, from the money held (one transaction)."""
    _require_admin(ctx, admin_id)
    key = caller_key(key, op="risk_release", user_id=admin_id)

    async def body(conn):
        h = await _end(ctx, conn, hold_id, status="released", by=admin_id)
        module = importlib.import_module(RELEASED_BY[h.kind])
        result = await module.release_held(ctx, conn, key=internal_key("risk_hold", hold_id, "op"),
                                           request=json.loads(h.request))
        await conn.execute(risk_holds.update().where(risk_holds.c.id == hold_id)
                           .values(result=json.dumps(result, sort_keys=True, default=str)))
        await outbox.enqueue(conn, key=internal_key("notice", "risk_released", hold_id), user_id=h.user_id,
                             msgid="risk.notice.released", now=ctx.now(), amount=h.amount,
                             kind_msgid=f"risk.kind.{h.kind}")
        return {**view(h), "status": "released", "resolved_by": admin_id, "result": result}

    return await idempotent(ctx, key=key, op="risk_release", user_id=admin_id, request={"hold_id": hold_id}, fn=body)


async def give_back(ctx: Context, *, key: str, hold_id: int, by_id: int) -> dict:
    """The held money back to the payer: by an admin, or by the payer themself."""
    key = caller_key(key, op="risk_return", user_id=by_id)
    payer_only = None if by_id in ctx.admin_ids else by_id

    async def body(conn):
        h = await _end(ctx, conn, hold_id, status="returned", by=by_id, payer_only=payer_only)
        now = ctx.now()
        await outbox.enqueue(conn, key=internal_key("notice", "risk_returned", hold_id), user_id=h.user_id,
                             msgid="risk.notice.returned", now=now, amount=h.amount, kind_msgid=f"risk.kind.{h.kind}")
        if h.recipient_id is not None:
            await outbox.enqueue(conn, key=internal_key("notice", "risk_returned", hold_id, "recipient"),
                                 user_id=h.recipient_id, msgid="risk.notice.returned_recipient", now=now,
                                 amount=h.amount, counterparty_id=h.user_id)
        return {**view(h), "status": "returned", "resolved_by": by_id}

    return await idempotent(ctx, key=key, op="risk_return", user_id=by_id, request={"hold_id": hold_id}, fn=body)


async def held(ctx: Context, *, user_id: int | None = None, limit: int = 50) -> list[dict]:
    """Payments held now, oldest first: one person's, or everyone's (the admins' list)."""
    stmt = select(risk_holds).where(risk_holds.c.status == "held").order_by(risk_holds.c.id).limit(limit)
    if user_id is not None:
        stmt = stmt.where(risk_holds.c.user_id == user_id)
    return await read(ctx, lambda conn: _views(conn, stmt))


async def review(ctx: Context, *, limit: int = 20) -> list[dict]:
    """Payments held now, oldest first, each with why: ``rules``, the rules that fired in the
    decision that held it (the admins' /risk)."""
    stmt = (select(risk_holds, risk_decisions.c.fired)
            .select_from(risk_holds.outerjoin(risk_decisions, risk_decisions.c.id == risk_holds.c.decision_id))
            .where(risk_holds.c.status == "held").order_by(risk_holds.c.id).limit(limit))

    async def body(conn):
        return [{**view(r), "rules": [f["rule"] for f in json.loads(r.fired)] if r.fired else []}
                for r in (await conn.execute(stmt)).all()]

    return await read(ctx, body)


async def _views(conn, stmt) -> list[dict]:
    return [view(h) for h in (await conn.execute(stmt)).all()]


async def get(ctx: Context, hold_id: int) -> dict | None:
    async def body(conn):
        h = (await conn.execute(select(risk_holds).where(risk_holds.c.id == hold_id))).one_or_none()
        return None if h is None else view(h)

    return await read(ctx, body)
