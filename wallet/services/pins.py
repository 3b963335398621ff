"""Payment PIN: set, verify (with lockout), change, reset. bcrypt runs off the event loop
and outside any database transaction, so a PIN check never holds a lock."""
from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, case, literal, or_

from wallet import pin as pinlib
from wallet.context import Context
from wallet.errors import IdentityMismatch, PinAlreadySet, PinLocked, PinNotSet, PinWeak, PinWrong
from wallet.idnumber import validate_id_number
from wallet.models import UTCDateTime, users
from wallet.services import sms_codes
from wallet.services.guards import load_user
from wallet.uow import read, transaction


def _birth_date(ctx: Context, user):
    if user.id_number_enc is None:
        return None
    return validate_id_number(ctx.pii.decrypt(user.id_number_enc)).birth_date


async def _store(ctx: Context, user_id: int, new_pin: str, *, first: bool = False) -> None:
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    pinlib.check_pin_strength(new_pin, length=ctx.rules.pin_length, birth_date=_birth_date(ctx, user))
    hashed = await pinlib.hash_pin(new_pin, ctx.rules.bcrypt_cost)

    async def body(conn):
        cond = users.c.id == user_id
        if first:  # two first PINs set at once: only one wins
            cond = and_(cond, users.c.pin_hash.is_(None))
        res = await conn.execute(users.update().where(cond)
                                 .values(pin_hash=hashed, pin_failed=0, pin_locked_until=None,
                                         pin_set_at=ctx.now()))
        if res.rowcount != 1:
            raise PinAlreadySet()

    await transaction(ctx, body)


async def set_pin(ctx: Context, user_id: int, new_pin: str) -> None:
    """First PIN. Changing an existing one goes through change_pin or reset_pin."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.pin_hash is not None:
        raise PinAlreadySet()
    await _store(ctx, user_id, new_pin, first=True)


async def verify_pin(ctx: Context, user_id: int, pin: str) -> None:
    """Raise PinWrong(tries_left) or PinLocked(until) unless ``pin`` is right (see _check).

    Within this process, at most ``pin_max_tries`` checks of one person run at once; the rest
    queue here instead of polling the database. This gate orders, it decides nothing: the
    reservation in the database bounds the tries across processes."""
    gates = ctx.pin_gates
    gate_key = (id(asyncio.get_running_loop()), user_id)
    entry = gates.get(gate_key)
    if entry is None:
        entry = gates[gate_key] = [asyncio.Semaphore(ctx.rules.pin_max_tries), 0]
    entry[1] += 1
    try:
        async with entry[0]:
            await _check(ctx, user_id, pin)
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            gates.pop(gate_key, None)


async def _check(ctx: Context, user_id: int, pin: str) -> None:
    """Raise PinWrong(tries_left) or PinLocked(until) unless ``pin`` is right. Five wrong
    tries in a row lock the PIN for three hours (settings); the count is in the database.

    Checks made at once are bounded as well as checks made one after another. Each check first
    *reserves* a try in one short transaction (``pin_failed + pin_inflight < max``), then runs
    bcrypt outside any transaction, then settles in another: a wrong PIN moves its try from
    in-flight to failed (the try that reaches the limit locks), a right one releases it and
    clears the count — unless a lock was set meanwhile: a correct PIN during a lock is refused.
    A check that finds every try reserved waits for those in flight to settle, so a burst never
    gets more than ``max`` guesses evaluated and its answers are those of the same checks made in
    a row. A reservation left by a check that died (no settle within ``pin_check_stale_seconds``)
    counts as a wrong try."""
    max_tries = ctx.rules.pin_max_tries
    stale = ctx.rules.pin_check_stale_seconds
    loop = asyncio.get_running_loop()
    waited_since, seen = loop.time(), None

    def locked(user, now) -> bool:
        return user.pin_locked_until is not None and user.pin_locked_until > now

    async def reserve(conn):
        now = ctx.now()
        user = await load_user(conn, user_id, for_update=True)
        if user.pin_hash is None:
            return PinNotSet()
        if user.pin_locked_until is not None and not locked(user, now):  # a lock that ran out: fresh count
            await conn.execute(users.update().where(and_(users.c.id == user_id, users.c.pin_locked_until <= now))
                               .values(pin_failed=0, pin_locked_until=None))
            user = await load_user(conn, user_id, for_update=True)
        if locked(user, now):
            return PinLocked(until=user.pin_locked_until)
        if user.pin_failed + user.pin_inflight < max_tries:
            res = await conn.execute(users.update().where(and_(
                users.c.id == user_id, users.c.pin_failed == user.pin_failed,
                users.c.pin_inflight == user.pin_inflight, users.c.pin_locked_until.is_(None)))
                .values(pin_inflight=users.c.pin_inflight + 1, pin_inflight_at=now))
            return user.pin_hash if res.rowcount == 1 else "busy"
        dead = (user.pin_inflight_at is not None and (now - user.pin_inflight_at).total_seconds() >= stale) \
            or loop.time() - waited_since >= stale
        if not dead:
            return ("busy", user.pin_failed, user.pin_inflight)
        # the checks in flight died: their tries count as wrong
        failed = user.pin_failed + user.pin_inflight
        values = {"pin_inflight": 0, "pin_inflight_at": None, "pin_failed": failed}
        if failed >= max_tries:
            values.update(pin_failed=0, pin_locked_until=now + timedelta(seconds=ctx.rules.pin_lock_seconds))
        await conn.execute(users.update().where(users.c.id == user_id).values(**values))
        return "busy"

    while True:
        reserved = await transaction(ctx, reserve)
        if isinstance(reserved, Exception):
            raise reserved
        if isinstance(reserved, str) and reserved != "busy":
            break
        if isinstance(reserved, tuple) and reserved != seen:  # progress: wait afresh
            waited_since, seen = loop.time(), reserved
        await asyncio.sleep(0.005 if reserved == "busy" else 0.05)
    ok = bool(pin) and await pinlib.verify_pin(pin, reserved)
    release = case((users.c.pin_inflight > 0, users.c.pin_inflight - 1), else_=0)

    async def settle(conn):
        now = ctx.now()
        if ok:
            res = await conn.execute(users.update().where(and_(users.c.id == user_id, or_(
                users.c.pin_locked_until.is_(None), users.c.pin_locked_until <= now)))
                .values(pin_inflight=release, pin_failed=0, pin_locked_until=None,
                        # a right PIN after wrong tries: kept for the risk engine (pin_guessing);
                        # the SET sees the row before it, so pin_failed is the run of wrong tries
                        pin_wrong_before_right=case((users.c.pin_failed > 0, users.c.pin_failed),
                                                    else_=users.c.pin_wrong_before_right),
                        pin_right_after_wrong_at=case((users.c.pin_failed > 0, literal(now, UTCDateTime())),
                                                      else_=users.c.pin_right_after_wrong_at)))
            if res.rowcount == 1:
                return None
            await conn.execute(users.update().where(users.c.id == user_id).values(pin_inflight=release))
            return PinLocked(until=(await load_user(conn, user_id)).pin_locked_until)
        user = await load_user(conn, user_id, for_update=True)
        if locked(user, now):  # locked meanwhile (by another check): this try adds nothing
            await conn.execute(users.update().where(users.c.id == user_id).values(pin_inflight=release))
            return PinLocked(until=user.pin_locked_until)
        failed = user.pin_failed + 1
        if failed >= max_tries:
            until = now + timedelta(seconds=ctx.rules.pin_lock_seconds)
            await conn.execute(users.update().where(users.c.id == user_id)
                               .values(pin_inflight=release, pin_failed=0, pin_locked_until=until))
            return PinLocked(until=until)
        await conn.execute(users.update().where(users.c.id == user_id)
                           .values(pin_inflight=release, pin_failed=failed))
        return PinWrong(tries_left=max_tries - failed)

    error = await transaction(ctx, settle)
    if error is not None:
        raise error


async def locked_until(ctx: Context, user_id: int) -> datetime | None:
    """When the person's PIN lock (too many wrong tries) ends, or None when the PIN is not locked
    now (never locked, or the lock ran out). A read: it changes nothing (a check clears a spent lock)."""
    async def body(conn):
        user = await load_user(conn, user_id)
        until = user.pin_locked_until
        return until if until is not None and until > ctx.now() else None
    return await read(ctx, body)


async def change_pin(ctx: Context, user_id: int, old_pin: str, new_pin: str) -> None:
    """A new PIN for the right old one; the new one must pass the strength rules and differ from
    the old (``PinWeak(reason="same_as_old")``)."""
    await verify_pin(ctx, user_id, old_pin)
    if secrets.compare_digest(old_pin.encode(), new_pin.encode()):
        raise PinWeak(reason="same_as_old")
    await _store(ctx, user_id, new_pin)


async def reset_pin(ctx: Context, user_id: int, *, sms_code: str, id_number: str, new_pin: str) -> None:
    """Forgot the PIN: prove who you are with the ID number and a code sent to the bound phone.
    A reset also lifts a lockout."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    given = validate_id_number(id_number)
    if user.id_number_enc is None or ctx.pii.decrypt(user.id_number_enc) != given.number:
        raise IdentityMismatch()
    await sms_codes.check_code(ctx, phone=ctx.pii.decrypt(user.phone_enc), purpose="reset_pin", code=sms_code)
    await _store(ctx, user_id, new_pin)
