"""SMS verification codes on the real database: 60 s before a resend, valid 5 minutes,
5 tries, single use, a new code replaces the old one."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from wallet import errors
from wallet.models import sms_codes as sms_table
from wallet.services import sms_codes
from wallet.uow import read

PHONE = "13912345678"


async def send(ctx, purpose="bind", phone=PHONE):
    await sms_codes.request_code(ctx, phone=phone, purpose=purpose)
    return ctx.sms.last_code(phone)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_code_is_sent_and_accepted_once(ctx):
    answer = await sms_codes.request_code(ctx, phone=PHONE, purpose="bind")
    assert answer == {"expires_in": 300, "resend_in": 60}
    code = ctx.sms.last_code(PHONE)
    assert code is not None and len(code) == 6
    assert len(ctx.sms.inbox(PHONE)) == 1
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)
    with pytest.raises(errors.SmsCodeExpired):  # single use
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)


async def test_only_a_keyed_hash_of_the_code_is_stored(ctx):
    code = await send(ctx)
    rows = await read(ctx, lambda conn: _all_rows(conn))
    assert len(rows) == 1
    row = rows[0]
    assert code not in row.code_hash and PHONE not in row.phone_index


async def _all_rows(conn):
    return list(await conn.execute(select(sms_table)))


async def test_phone_may_be_typed_in_other_forms(ctx):
    await sms_codes.request_code(ctx, phone="+86 139-1234-5678", purpose="bind")
    code = ctx.sms.last_code(PHONE)  # sent to the normalized number
    assert code is not None
    await sms_codes.check_code(ctx, phone="139 1234 5678", purpose="bind", code=f" {code} ")


async def test_resend_within_60_seconds_is_too_soon(ctx):
    await send(ctx)
    with pytest.raises(errors.SmsTooSoon) as e:
        await send(ctx)
    assert e.value.retry_after == 60
    ctx.clock.advance(seconds=20)
    with pytest.raises(errors.SmsTooSoon) as e:
        await send(ctx)
    assert e.value.retry_after == 40
    ctx.clock.advance(seconds=39.5)
    with pytest.raises(errors.SmsTooSoon) as e:
        await send(ctx)
    assert e.value.retry_after == 1  # rounded up, never 0
    # another purpose or another phone is not held back
    await send(ctx, purpose="unfreeze")
    await send(ctx, phone="13800000001")
    ctx.clock.advance(seconds=0.5)
    await send(ctx)
    assert len(ctx.sms.inbox(PHONE)) == 3


async def test_too_soon_says_whether_the_last_code_still_works(ctx):
    code = await send(ctx)
    with pytest.raises(errors.SmsTooSoon) as e:
        await send(ctx)
    assert e.value.live is True  # the code sent a moment ago may still be typed
    for _ in range(5):
        with pytest.raises((errors.SmsCodeWrong, errors.SmsCodeExpired)):
            await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=wrong(code))
    with pytest.raises(errors.SmsTooSoon) as e:
        await send(ctx)
    assert e.value.live is False  # used up by wrong tries: no code works until the new one


async def test_a_used_code_does_not_hold_back_the_next_one(ctx):
    """A code that was used reached its phone and did its job: the next attempt (the bank timed
    out, the card was refused after the code) gets a new code at once, not "a code was just sent"."""
    code = await send(ctx)
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)
    fresh = await send(ctx)
    assert len(ctx.sms.inbox(PHONE)) == 2
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=fresh)


async def test_a_code_that_could_not_be_sent_is_forgotten(ctx):
    class Down:
        async def send(self, phone, text):
            raise errors.SmsSendFailed()

    working, ctx.sms = ctx.sms, Down()
    with pytest.raises(errors.SmsSendFailed):
        await sms_codes.request_code(ctx, phone=PHONE, purpose="bind")
    ctx.sms = working
    code = await send(ctx)  # not "a code was just sent": none was
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)


async def test_code_is_valid_for_5_minutes(ctx):
    code = await send(ctx)
    ctx.clock.advance(seconds=299)
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)
    code = await send(ctx)
    ctx.clock.advance(seconds=300)
    with pytest.raises(errors.SmsCodeExpired):
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)


async def test_five_tries_then_a_new_code_is_needed(ctx):
    code = await send(ctx)
    for left in (4, 3, 2, 1):
        with pytest.raises(errors.SmsCodeWrong) as e:
            await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=wrong(code))
        assert e.value.tries_left == left
    with pytest.raises(errors.SmsCodeExpired):  # the fifth wrong try uses the code up
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=wrong(code))
    with pytest.raises(errors.SmsCodeExpired):  # even the right code is refused now
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)
    ctx.clock.advance(seconds=60)
    fresh = await send(ctx)
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=fresh)


async def test_a_wrong_try_then_the_right_code(ctx):
    code = await send(ctx)
    with pytest.raises(errors.SmsCodeWrong) as e:
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=wrong(code))
    assert e.value.tries_left == 4
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)


async def test_a_new_code_replaces_the_old_one(ctx):
    old = await send(ctx)
    ctx.clock.advance(seconds=60)
    new = await send(ctx)
    if old != new:
        with pytest.raises(errors.SmsCodeWrong):
            await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=old)
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=new)


async def test_codes_are_per_purpose_and_phone(ctx):
    code = await send(ctx, purpose="bind")
    with pytest.raises(errors.SmsCodeExpired):  # no unfreeze code was sent
        await sms_codes.check_code(ctx, phone=PHONE, purpose="unfreeze", code=code)
    with pytest.raises(errors.SmsCodeExpired):  # nor any code to another phone
        await sms_codes.check_code(ctx, phone="13800000001", purpose="bind", code=code)
    await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)


async def test_no_code_sent_is_expired(ctx):
    with pytest.raises(errors.SmsCodeExpired):
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code="123456")


async def test_concurrent_right_codes_are_accepted_once(ctx):
    code = await send(ctx)
    results = await asyncio.gather(
        *(sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code) for _ in range(8)),
        return_exceptions=True)
    assert sum(r is None for r in results) == 1, results
    assert all(isinstance(r, errors.SmsCodeExpired) for r in results if r is not None)


async def test_concurrent_wrong_guesses_get_no_more_than_five_tries(ctx):
    code = await send(ctx)
    results = await asyncio.gather(
        *(sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=wrong(code)) for _ in range(12)),
        return_exceptions=True)
    wrongs = [r for r in results if isinstance(r, errors.SmsCodeWrong)]
    assert len(wrongs) == 4, results
    assert sorted(r.tries_left for r in wrongs) == [1, 2, 3, 4]
    assert all(isinstance(r, errors.SmsCodeExpired) for r in results if not isinstance(r, errors.SmsCodeWrong))
    with pytest.raises(errors.SmsCodeExpired):
        await sms_codes.check_code(ctx, phone=PHONE, purpose="bind", code=code)
