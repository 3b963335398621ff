"""People: open a wallet, language, time zone, freeze and unfreeze."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from wallet.context import Context
from wallet.errors import IdentityMismatch, NotFrozen, NotVerified
from wallet.idnumber import validate_id_number
from wallet.models import accounts, users
from wallet.services import sms_codes
from wallet.services.guards import load_user
from wallet.services.pins import verify_pin
from wallet.uow import caller_key, idempotent, read, transaction


async def open_wallet(ctx: Context, *, key: str, user_id: int, language: str = "zh-CN",
                      first_name: str | None = None) -> dict:
    """Create the person and their wallet account. Opening twice is harmless: the second
    call reports ``created: False``."""
    key = caller_key(key, op="open_wallet", user_id=user_id)

    async def body(conn):
        exists = (await conn.execute(select(users.c.id).where(users.c.id == user_id))).scalar_one_or_none()
        if exists is not None:
            return {"user_id": user_id, "created": False}
        await conn.execute(users.insert().values(
            id=user_id, language=language, first_name=first_name, created_at=ctx.now()))
        await conn.execute(accounts.insert().values(user_id=user_id, kind="wallet", balance=0))
        return {"user_id": user_id, "created": True}

    return await idempotent(ctx, key=key, op="open_wallet", user_id=user_id,
                            request={"language": language, "first_name": first_name}, fn=body)


async def profile(ctx: Context, user_id: int) -> dict:
    """What the wallet knows of a person, masked for display."""
    async def body(conn):
        u = await load_user(conn, user_id)
        return {
            "user_id": u.id, "language": u.language, "first_name": u.first_name,
            "phone": u.phone_masked, "id_number": u.id_masked,
            "verified": u.verified_at is not None, "frozen": bool(u.frozen),
            "pin_set": u.pin_hash is not None, "timezone": u.timezone,
            "pin_locked_until": u.pin_locked_until,
        }
    return await read(ctx, body)


async def readers(ctx: Context, ids: set[int]) -> dict[int, tuple[str | None, bool, str | None, str | None]]:
    """What a notice needs of each reader: language, blocked the bot, first name, time zone (a
    person missing from the answer has no wallet)."""
    if not ids:
        return {}

    async def body(conn):
        rows = await conn.execute(select(users.c.id, users.c.language, users.c.blocked_bot, users.c.first_name,
                                         users.c.timezone).where(users.c.id.in_(ids)))
        return {r.id: (r.language, bool(r.blocked_bot), r.first_name, r.timezone) for r in rows}
    return await read(ctx, body)


async def set_language(ctx: Context, user_id: int, language: str) -> None:
    if language not in ("zh-CN", "en"):
        raise ValueError("language must be zh-CN or en")

    async def body(conn):
        await load_user(conn, user_id)
        await conn.execute(users.update().where(users.c.id == user_id).values(language=language))

    await transaction(ctx, body)


def valid_timezone(name: str) -> bool:
    """An IANA time zone name this machine knows (``Asia/Shanghai``, ``Europe/Berlin``)."""
    if not name or len(name) > 64 or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def set_timezone(ctx: Context, user_id: int, timezone: str) -> None:
    """Times are shown to the person in this zone (default Asia/Shanghai)."""
    if not valid_timezone(timezone):
        raise ValueError("unknown time zone")

    async def body(conn):
        await load_user(conn, user_id)
        await conn.execute(users.update().where(users.c.id == user_id).values(timezone=timezone))

    await transaction(ctx, body)


async def birth_date(ctx: Context, user_id: int) -> date | None:
    """The birth date of the ID number on file (a new PIN may not be the birthday), or None."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.id_number_enc is None:
        return None
    return validate_id_number(ctx.pii.decrypt(user.id_number_enc)).birth_date


async def send_code(ctx: Context, user_id: int, *, purpose: str, lang: str = "zh-CN") -> dict:
    """Send an SMS code to the person's bound phone (unfreeze, reset_pin, bind another card).
    Returns ``phone`` masked, and ``expires_in`` / ``resend_in`` seconds."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.phone_enc is None:
        raise NotVerified(user_id=user_id)
    sent = await sms_codes.request_code(ctx, phone=ctx.pii.decrypt(user.phone_enc), purpose=purpose, lang=lang)
    return {**sent, "phone": user.phone_masked}


async def check_code(ctx: Context, user_id: int, *, purpose: str, code: str) -> None:
    """Check a code ``send_code`` sent to the person's bound phone (single use)."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.phone_enc is None:
        raise NotVerified(user_id=user_id)
    await sms_codes.check_code(ctx, phone=ctx.pii.decrypt(user.phone_enc), purpose=purpose, code=code)


async def mark_blocked(ctx: Context, user_id: int, blocked: bool = True) -> None:
    """The person blocked the bot (Telegram answered 403): skip them in broadcasts."""
    async def body(conn):
        await conn.execute(users.update().where(users.c.id == user_id).values(blocked_bot=blocked))

    await transaction(ctx, body)


async def freeze(ctx: Context, *, key: str, user_id: int) -> dict:
    """Anyone may freeze their own account at once, without the PIN (a stolen phone)."""
    key = caller_key(key, op="freeze", user_id=user_id)

    async def body(conn):
        await load_user(conn, user_id)
        await conn.execute(users.update().where(users.c.id == user_id)
                           .values(frozen=True, frozen_at=ctx.now()))
        return {"user_id": user_id, "frozen": True}

    return await idempotent(ctx, key=key, op="freeze", user_id=user_id, request={}, fn=body)


async def unfreeze(ctx: Context, *, key: str, user_id: int, pin: str, sms_code: str, id_number: str) -> dict:
    """Unfreezing needs the PIN, an SMS code sent to the bound phone, and the ID number."""
    key = caller_key(key, op="unfreeze", user_id=user_id)
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if not user.frozen:
        raise NotFrozen(user_id=user_id)
    given = validate_id_number(id_number)
    if user.id_number_enc is None or ctx.pii.decrypt(user.id_number_enc) != given.number:
        raise IdentityMismatch()
    await verify_pin(ctx, user_id, pin)
    await sms_codes.check_code(ctx, phone=ctx.pii.decrypt(user.phone_enc), purpose="unfreeze", code=sms_code)

    async def body(conn):
        await conn.execute(users.update().where(users.c.id == user_id).values(frozen=False, frozen_at=None))
        return {"user_id": user_id, "frozen": False}

    return await idempotent(ctx, key=key, op="unfreeze", user_id=user_id, request={}, fn=body)
