"""The risk engine in the money path: every outgoing operation's general path calls ``screen``
inside its own transaction, after the payer's row is locked and before any money moves.

    verdict = await guard.screen(ctx, conn, payer_id=…, kind="transfer", amount=…, key=key,
                                 recipient_id=…, stepped_up=…)
    if verdict.action == "hold":
        return await risk_holds.hold(ctx, conn, …, decision_id=verdict.decision_id)  # waits for review

What each action does:
- ``allow``: the operation goes on (a decision is stored only when something fired);
- ``ask``: without ``stepped_up`` (an SMS code checked by ``verify_step_up`` just before) nothing
  moves: the transaction is rolled back, the decision stored and a code sent to the bound phone
  (``StepUpRequired``); with it, the operation goes on;
- ``hold``: the caller moves the money into the risk_hold escrow instead (wallet/services/risk_holds.py);
- ``refuse`` (the person's own night lock): nothing moves (``RiskRefused``);
- ``freeze``: nothing moves, the account is frozen at once, the person and the admins are told
  (``RiskFrozen``).
A stop (ask, refuse, freeze) raises ``Stop`` inside the transaction, so the operation's writes
roll back; ``guarded`` turns it into the stored decision, the freeze or the code, and the error
the chat explains. With ``ctx.risk`` None the engine is off and ``screen`` answers None.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet import outbox
from wallet.context import Context
from wallet.errors import PinRequired, RiskFrozen, RiskRefused, StepUpRequired
from wallet.models import risk_prefs, users
from wallet.risk import decisions, engine, facts
from wallet.risk.engine import Decision
from wallet.risk.prefs import Prefs
from wallet.services import people
from wallet.uow import internal_key, transaction

log = logging.getLogger("wallet.risk")
T = TypeVar("T")
STEP_UP_PURPOSE = "risk_step_up"


@dataclass(frozen=True)
class Verdict:
    """What ``screen`` decided for an operation that goes on: ``allow`` (or ``ask`` answered with
    the code), or ``hold``; ``delay_seconds`` a wait the person's settings add; ``decision_id``
    the stored decision (None when nothing fired or the engine is off)."""
    action: str = "allow"
    delay_seconds: int = 0
    decision_id: int | None = None
    decision: Decision | None = None


ALLOW = Verdict()


class Stop(Exception):
    """Raised inside an operation's transaction: roll it back; ``guarded`` acts on the decision."""

    def __init__(self, decision: Decision, *, user_id: int, kind: str, amount: int, key: str):
        super().__init__(decision.action)
        self.decision, self.user_id, self.kind, self.amount, self.key = decision, user_id, kind, amount, key


async def prefs_of(conn: AsyncConnection, user_id: int) -> Prefs:
    row = (await conn.execute(select(risk_prefs).where(risk_prefs.c.user_id == user_id))).one_or_none()
    if row is None:
        return Prefs()
    return Prefs(sms_above=row.sms_above, night_lock=row.night_lock,
                 new_recipient_delay_above=row.new_recipient_delay_above, no_pin_max=row.no_pin_max,
                 no_pin_daily=row.no_pin_daily)


async def screen(ctx: Context, conn: AsyncConnection, *, payer_id: int, kind: str, amount: int, key: str,
                 recipient_id: int | None = None, card_id: int | None = None, group_chat_id: int | None = None,
                 stepped_up: bool = False, can_hold: bool = False, no_pin: bool = False) -> Verdict:
    """The engine's verdict on this operation (``ALLOW`` when the engine is off). Raises ``Stop``
    for ask (unless ``stepped_up``), refuse and freeze, and for hold where the operation cannot be
    held (``can_hold`` False: nothing moves, as a refusal until a review); stores the decision when
    something fired. ``no_pin``: the payment goes without the PIN (免密支付): PinRequired unless the
    person's setting covers it and nothing fired; then the decision is stored as a PIN waived (the
    day's no-PIN sum counts it)."""
    if ctx.risk is None:
        if no_pin:
            raise PinRequired()
        return ALLOW
    now = ctx.now()
    found = await facts.gather(conn, payer_id=payer_id, kind=kind, amount=amount, recipient_id=recipient_id,
                               card_id=card_id, group_chat_id=group_chat_id, now=now, rules=ctx.risk)
    decision = engine.decide(found, ctx.risk, await prefs_of(conn, payer_id))
    if no_pin:
        if not decision.pin_optional:
            raise PinRequired()
        decision_id = await decisions.record(conn, decision, user_id=payer_id, kind=kind, amount=amount, key=key,
                                             now=now, pin_waived=True)
        return Verdict(decision_id=decision_id, decision=decision)
    if decision.action in ("refuse", "freeze") or (decision.action == "ask" and not stepped_up) \
            or (decision.action == "hold" and not can_hold):
        raise Stop(decision, user_id=payer_id, kind=kind, amount=amount, key=key)
    if not decision.fired:
        return ALLOW
    decision_id = await decisions.record(conn, decision, user_id=payer_id, kind=kind, amount=amount, key=key, now=now)
    log.info("risk %s for user=%s op=%s key=%s score=%s rules=%s", decision.action, payer_id, kind, key,
             decision.score, ",".join(decision.rules))
    action = "hold" if decision.action == "hold" else "allow"
    return Verdict(action=action, delay_seconds=decision.delay_seconds, decision_id=decision_id, decision=decision)


async def guarded(ctx: Context, run: Callable[[], Awaitable[T]]) -> T:
    """Run an operation whose transaction may ``screen`` a stop; act on the stop and raise the
    error that says what happened (nothing moved in any case)."""
    try:
        return await run()
    except Stop as stop:
        raise await _stopped(ctx, stop) from None


async def _stopped(ctx: Context, stop: Stop) -> Exception:
    d, uid = stop.decision, stop.user_id
    rules = tuple(d.rules)
    log.warning("risk %s for user=%s op=%s key=%s score=%s rules=%s", d.action, uid, stop.kind, stop.key,
                d.score, ",".join(rules))

    async def body(conn):
        now = ctx.now()
        decision_id = await decisions.record(conn, d, user_id=uid, kind=stop.kind, amount=stop.amount,
                                             key=stop.key, now=now)
        if d.action != "freeze":
            return decision_id
        await conn.execute(users.update().where(users.c.id == uid).values(frozen=True, frozen_at=now))
        reason = f"risk.rule.{max(d.fired, key=lambda f: f.weight).rule}" if d.fired else "risk.rule.score"
        for reader in (uid, *ctx.admin_ids):
            await outbox.enqueue(conn, key=internal_key("notice", "risk_freeze", decision_id, reader), user_id=reader,
                                 msgid="risk.notice.frozen" if reader == uid else "risk.notice.frozen_admin", now=now,
                                 amount=stop.amount, counterparty_id=uid, reason_msgid=reason,
                                 kind_msgid=f"risk.kind.{stop.kind}")
        return decision_id

    await transaction(ctx, body)
    if d.action == "freeze":
        return RiskFrozen(rules=",".join(rules))
    if d.action == "refuse":
        night = next((f for f in d.fired if f.rule == "pref_night_lock"), None)
        return RiskRefused(reason="pref_night_lock" if night else "refuse", until=night.inputs.get("end", "") if night else "")
    if d.action == "hold":  # an operation that cannot be held: refused until a review
        return RiskRefused(reason="hold")
    sent = await people.send_code(ctx, uid, purpose=STEP_UP_PURPOSE)
    return StepUpRequired(phone=sent["phone"], rules=",".join(rules))


async def verify_step_up(ctx: Context, user_id: int, code: str) -> None:
    """Check the step-up SMS code sent to the person's bound phone (single use; SmsCodeWrong /
    SmsCodeExpired as for any code)."""
    await people.check_code(ctx, user_id, purpose=STEP_UP_PURPOSE, code=code)
