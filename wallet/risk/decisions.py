"""Storing the risk engine's decisions (table ``risk_decisions``), in the operation's own
transaction, with the rules that fired and their inputs as JSON: "why was I stopped" is read
back from here."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.models import risk_decisions
from wallet.risk.engine import Decision
from wallet.risk.rules import Fired


def fired_json(fired: tuple[Fired, ...]) -> str:
    """The fired rules as stored: a list of {rule, weight, inputs[, floor][, delay_seconds]}."""
    def one(f: Fired) -> dict:
        d = {"rule": f.rule, "weight": f.weight, "inputs": f.inputs}
        if f.floor is not None:
            d["floor"] = f.floor
        if f.delay_seconds:
            d["delay_seconds"] = f.delay_seconds
        return d
    return json.dumps([one(f) for f in fired], sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def record(conn: AsyncConnection, decision: Decision, *, user_id: int, kind: str, amount: int,
                 key: str | None, now: datetime, pin_waived: bool = False) -> int:
    """Store ``decision`` about ``user_id``'s operation (its idempotency key ``key``); its id.
    ``pin_waived``: the operation goes without the PIN (counted against the no-PIN limits)."""
    return (await conn.execute(risk_decisions.insert().values(
        user_id=user_id, kind=kind, amount=amount, action=decision.action, score=decision.score,
        fired=fired_json(decision.fired), op_key=key, pin_waived=pin_waived, created_at=now,
    ).returning(risk_decisions.c.id))).scalar_one()
