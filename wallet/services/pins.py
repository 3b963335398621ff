"""Payment PIN: set, verify (with lockout), change, reset. bcrypt runs off the event loop
and outside any database transaction, so a PIN check never holds a lock."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_

from wallet import pin as pinlib
from wallet.context import Context
from wallet.errors import IdentityMismatch, PinAlreadySet, PinLocked, PinNotSet, PinWrong
from wallet.idnumber import validate_id_number
from wallet.models import users
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
                                 .values(pin_hash=hashed, pin_failed=0, pin_locked_until=None))
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
    """Raise PinWrong(tries_left) or PinLocked(until) unless ``pin`` is right. Five wrong
    tries in a row lock the PIN for three hours (settings); the count is in the database."""
    now = ctx.now()
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.pin_locked_until is not None and user.pin_locked_until > now:
        raise PinLocked(until=user.pin_locked_until)
    if user.pin_hash is None:
        raise PinNotSet()
    ok = bool(pin) and await pinlib.verify_pin(pin, user.pin_hash)
    max_tries = ctx.rules.pin_max_tries
    not_locked = or_(users.c.pin_locked_until.is_(None), users.c.pin_locked_until <= now)

    async def body(conn):
        if ok:
            if user.pin_failed == 0 and user.pin_locked_until is None:
                return None  # nothing to reset: no write, no row lock on the hot path
            res = await conn.execute(users.update().where(and_(users.c.id == user_id, not_locked))
                                     .values(pin_failed=0, pin_locked_until=None))
            if res.rowcount == 1:
                return None
            fresh = await load_user(conn, user_id)
            return PinLocked(until=fresh.pin_locked_until)
        # a lock that has run out starts a fresh count
        await conn.execute(users.update().where(and_(users.c.id == user_id, users.c.pin_locked_until <= now))
                           .values(pin_failed=0, pin_locked_until=None))
        # count the try only while not locked: tries that raced past the lock check above
        # must not start a fresh count (nor lock again) under a lock set meanwhile
        failed = (await conn.execute(users.update().where(and_(users.c.id == user_id, not_locked))
                                     .values(pin_failed=users.c.pin_failed + 1)
                                     .returning(users.c.pin_failed))).scalar_one_or_none()
        if failed is None:
            fresh = await load_user(conn, user_id)
            return PinLocked(until=fresh.pin_locked_until)
        if failed >= max_tries:
            until = now + timedelta(seconds=ctx.rules.pin_lock_seconds)
            await conn.execute(users.update().where(users.c.id == user_id)
                               .values(pin_failed=0, pin_locked_until=until))
            return PinLocked(until=until)
        return PinWrong(tries_left=max_tries - failed)

    error = await transaction(ctx, body)
    if error is not None:
        raise error


async def change_pin(ctx: Context, user_id: int, old_pin: str, new_pin: str) -> None:
    await verify_pin(ctx, user_id, old_pin)
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
