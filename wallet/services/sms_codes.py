"""SMS verification codes: 6 digits, valid 5 minutes, 5 tries, 60 s before a resend.
Only a hash of the code is stored; the phone is looked up by its blind index.

The resend interval holds back a second code for the same phone and purpose while the last one
is fresh; a purpose may name its subject (``bind:<card>``: each card its own code), and a code
already used does not hold the next one back (it reached its phone and did its job)."""
from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy import and_, select

from wallet.context import Context
from wallet.errors import SmsCodeExpired, SmsCodeWrong, SmsTooSoon
from wallet.models import sms_codes
from wallet.pii import normalize_phone
from wallet.sms import generate_code, sms_text
from wallet.uow import transaction


def _code_hash(ctx: Context, phone: str, code: str) -> str:
    """Keyed with the PII secret: a leaked table does not give codes away by brute force."""
    return ctx.pii.blind_index(f"{phone}:{code}", purpose="sms_code")


def _latest(phone_index: str, purpose: str):
    return (select(sms_codes).where(and_(sms_codes.c.phone_index == phone_index, sms_codes.c.purpose == purpose))
            .order_by(sms_codes.c.id.desc()).limit(1))


async def request_code(ctx: Context, *, phone: str, purpose: str, lang: str = "zh-CN") -> dict:
    """Send a new code to ``phone`` for ``purpose`` (open, ``bind:<card>``, unfreeze, reset_pin).
    ``SmsTooSoon`` (nothing sent) says in how many seconds, and whether the last code still works."""
    phone = normalize_phone(phone)
    index = ctx.pii.blind_index(phone)
    code = generate_code()
    now = ctx.now()

    async def body(conn):
        last = (await conn.execute(_latest(index, purpose))).one_or_none()
        if last is not None and last.used_at is None:
            wait = ctx.rules.sms_resend_seconds - (now - last.sent_at).total_seconds()
            if wait > 0:
                live = last.expires_at > now and last.tries < ctx.rules.sms_code_max_tries
                raise SmsTooSoon(retry_after=int(wait + 0.999), live=live)
        return (await conn.execute(sms_codes.insert().values(
            phone_index=index, purpose=purpose, code_hash=_code_hash(ctx, phone, code), tries=0,
            sent_at=now, expires_at=now + timedelta(seconds=ctx.rules.sms_code_ttl_seconds))
            .returning(sms_codes.c.id))).scalar_one()

    row_id = await transaction(ctx, body)
    try:
        await ctx.sms.send(phone, sms_text(code, lang))
    except Exception:
        # never sent: forget it, so nobody is told "a code was just sent" and a retry goes at once
        async def forget(conn):
            await conn.execute(sms_codes.delete().where(sms_codes.c.id == row_id))
        await transaction(ctx, forget)
        raise
    return {"expires_in": ctx.rules.sms_code_ttl_seconds, "resend_in": ctx.rules.sms_resend_seconds}


async def check_code(ctx: Context, *, phone: str, purpose: str, code: str) -> None:
    """Accept the newest code once. A wrong code uses a try (and the count is kept even though
    the caller sees an error); after the last try or past 5 minutes, a new code is needed."""
    phone = normalize_phone(phone)
    index = ctx.pii.blind_index(phone)
    now = ctx.now()
    max_tries = ctx.rules.sms_code_max_tries

    async def body(conn):
        latest = _latest(index, purpose)
        if conn.dialect.name == "postgresql":  # concurrent checks queue here: single use, 5 tries
            latest = latest.with_for_update()
        row = (await conn.execute(latest)).one_or_none()
        if row is None or row.used_at is not None or row.expires_at <= now or row.tries >= max_tries:
            return SmsCodeExpired()
        if hmac.compare_digest(row.code_hash, _code_hash(ctx, phone, code.strip())):
            await conn.execute(sms_codes.update().where(sms_codes.c.id == row.id).values(used_at=now))
            return None
        await conn.execute(sms_codes.update().where(sms_codes.c.id == row.id).values(tries=sms_codes.c.tries + 1))
        left = max_tries - row.tries - 1
        return SmsCodeWrong(tries_left=left) if left > 0 else SmsCodeExpired()

    error = await transaction(ctx, body)
    if error is not None:
        raise error
