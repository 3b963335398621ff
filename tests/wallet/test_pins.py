"""Payment PIN service on the real database: strength, lockout after 5 wrong tries for 3 hours,
change with the old PIN, reset with an SMS code and the ID number, bcrypt at rest."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import bcrypt
import pytest
from sqlalchemy import select

from tests.wallet.helpers import PIN, bind, id_for, make_person, phone_for
from wallet import errors
from wallet.idnumber import validate_id_number
from wallet.models import users
from wallet.services import people, pins, sms_codes
from wallet.uow import read

UID = 13  # born 1990-02-14 (helpers.id_for)
WRONG = "246810"


async def user_row(ctx, user_id):
    return await read(ctx, lambda conn: _row(conn, user_id))


async def _row(conn, user_id):
    return (await conn.execute(select(users).where(users.c.id == user_id))).one()


async def bound_without_pin(ctx, user_id=UID):
    await people.open_wallet(ctx, key=f"open-{user_id}", user_id=user_id)
    await bind(ctx, user_id)


async def reset_code(ctx, user_id=UID):
    ctx.clock.advance(seconds=60)
    await sms_codes.request_code(ctx, phone=phone_for(user_id), purpose="reset_pin")
    return ctx.sms.last_code(phone_for(user_id))


async def lock(ctx, user_id=UID):
    for _ in range(4):
        with pytest.raises(errors.PinWrong):
            await pins.verify_pin(ctx, user_id, WRONG)
    with pytest.raises(errors.PinLocked) as e:
        await pins.verify_pin(ctx, user_id, WRONG)
    return e.value.until


def test_the_test_person_is_born_on_valentines_day_1990():
    assert str(validate_id_number(id_for(UID)).birth_date) == "1990-02-14"


@pytest.mark.parametrize("weak, reason", [
    ("111111", "all_same"), ("000000", "all_same"),
    ("123456", "sequence"), ("654321", "sequence"), ("012345", "sequence"), ("987654", "sequence"),
    ("900214", "birthday"), ("021490", "birthday"), ("140290", "birthday"),
    ("12345", "length"), ("1357902", "length"), ("12a456", "not_digits"), ("", "not_digits"),
])
async def test_weak_pins_are_refused_with_their_reason(ctx, weak, reason):
    await bound_without_pin(ctx)
    with pytest.raises(errors.PinWeak) as e:
        await pins.set_pin(ctx, UID, weak)
    assert e.value.reason == reason
    assert (await people.profile(ctx, UID))["pin_set"] is False


async def test_someone_elses_birthday_is_fine(ctx):
    await bound_without_pin(ctx)
    await pins.set_pin(ctx, UID, "900215")
    await pins.verify_pin(ctx, UID, "900215")


async def test_pin_is_stored_as_bcrypt_not_the_pin(ctx):
    await make_person(ctx, UID)
    row = await user_row(ctx, UID)
    assert row.pin_hash.startswith("$2b$") and PIN not in row.pin_hash
    assert bcrypt.checkpw(PIN.encode(), row.pin_hash.encode())
    assert (await people.profile(ctx, UID))["pin_set"] is True


async def test_set_pin_twice_is_refused(ctx):
    await make_person(ctx, UID)
    with pytest.raises(errors.PinAlreadySet):
        await pins.set_pin(ctx, UID, "975313")
    await pins.verify_pin(ctx, UID, PIN)


async def test_no_pin_yet(ctx):
    await bound_without_pin(ctx)
    with pytest.raises(errors.PinNotSet):
        await pins.verify_pin(ctx, UID, PIN)


async def test_five_wrong_tries_lock_for_three_hours(ctx):
    await make_person(ctx, UID)
    for left in (4, 3, 2, 1):
        with pytest.raises(errors.PinWrong) as e:
            await pins.verify_pin(ctx, UID, WRONG)
        assert e.value.tries_left == left
    now = ctx.now()
    with pytest.raises(errors.PinLocked) as e:
        await pins.verify_pin(ctx, UID, WRONG)
    assert e.value.until == now + timedelta(hours=3)
    # locked: even the right PIN is refused, and the message keeps the same "until"
    ctx.clock.advance(hours=2, minutes=59)
    for pin in (PIN, WRONG):
        with pytest.raises(errors.PinLocked) as e:
            await pins.verify_pin(ctx, UID, pin)
        assert e.value.until == now + timedelta(hours=3)
    ctx.clock.advance(minutes=1)
    await pins.verify_pin(ctx, UID, PIN)
    # a fresh count after the lock
    with pytest.raises(errors.PinWrong) as e:
        await pins.verify_pin(ctx, UID, WRONG)
    assert e.value.tries_left == 4


async def test_a_wrong_try_after_the_lock_ran_out_starts_a_fresh_count(ctx):
    await make_person(ctx, UID)
    await lock(ctx)
    ctx.clock.advance(hours=3)
    with pytest.raises(errors.PinWrong) as e:
        await pins.verify_pin(ctx, UID, WRONG)
    assert e.value.tries_left == 4


async def test_a_right_pin_resets_the_count(ctx):
    await make_person(ctx, UID)
    for _ in range(4):
        with pytest.raises(errors.PinWrong):
            await pins.verify_pin(ctx, UID, WRONG)
    await pins.verify_pin(ctx, UID, PIN)
    assert (await user_row(ctx, UID)).pin_failed == 0
    for left in (4, 3, 2, 1):
        with pytest.raises(errors.PinWrong) as e:
            await pins.verify_pin(ctx, UID, WRONG)
        assert e.value.tries_left == left


async def test_concurrent_wrong_tries_never_get_more_than_five(ctx):
    await make_person(ctx, UID)
    now = ctx.now()
    results = await asyncio.gather(*(pins.verify_pin(ctx, UID, WRONG) for _ in range(10)), return_exceptions=True)
    wrong = [r for r in results if isinstance(r, errors.PinWrong)]
    locked = [r for r in results if isinstance(r, errors.PinLocked)]
    assert len(wrong) == 4 and len(locked) == 6, results
    assert sorted(r.tries_left for r in wrong) == [1, 2, 3, 4]
    assert {r.until for r in locked} == {now + timedelta(hours=3)}
    with pytest.raises(errors.PinLocked):
        await pins.verify_pin(ctx, UID, PIN)
    row = await user_row(ctx, UID)
    assert row.pin_locked_until == now + timedelta(hours=3)


async def test_concurrent_wrong_tries_with_the_right_pin_among_them(ctx):
    # whatever the order, the count never passes five, and the right PIN either went
    # through before the lock or was refused as locked
    await make_person(ctx, UID)
    attempts = [WRONG] * 4 + [PIN] + [WRONG] * 5
    results = await asyncio.gather(*(pins.verify_pin(ctx, UID, p) for p in attempts), return_exceptions=True)
    assert all(r is None or isinstance(r, (errors.PinWrong, errors.PinLocked)) for r in results), results
    assert sum(isinstance(r, errors.PinWrong) for r in results) <= 8
    row = await user_row(ctx, UID)
    assert 0 <= row.pin_failed < 5


async def test_change_pin_needs_the_old_pin(ctx):
    await make_person(ctx, UID)
    with pytest.raises(errors.PinWrong):
        await pins.change_pin(ctx, UID, WRONG, "975313")
    with pytest.raises(errors.PinWeak) as e:
        await pins.change_pin(ctx, UID, PIN, "900214")
    assert e.value.reason == "birthday"
    await pins.verify_pin(ctx, UID, PIN)  # unchanged so far
    await pins.change_pin(ctx, UID, PIN, "975313")
    await pins.verify_pin(ctx, UID, "975313")
    with pytest.raises(errors.PinWrong):
        await pins.verify_pin(ctx, UID, PIN)


async def test_a_new_pin_equal_to_the_old_one_is_refused(ctx):
    await make_person(ctx, UID)
    with pytest.raises(errors.PinWeak) as e:
        await pins.change_pin(ctx, UID, PIN, PIN)
    assert e.value.reason == "same_as_old"
    with pytest.raises(errors.PinWrong):  # the old PIN is checked first: a wrong one says so
        await pins.change_pin(ctx, UID, WRONG, WRONG)
    await pins.verify_pin(ctx, UID, PIN)


async def test_locked_until_tells_a_lock_in_force_only(ctx):
    await make_person(ctx, UID)
    assert await pins.locked_until(ctx, UID) is None
    until = await lock(ctx)
    assert await pins.locked_until(ctx, UID) == until
    ctx.clock.advance(hours=3)
    assert await pins.locked_until(ctx, UID) is None  # ran out
    with pytest.raises(errors.WalletNotOpen):
        await pins.locked_until(ctx, 999_999)


async def test_change_pin_is_refused_while_locked(ctx):
    await make_person(ctx, UID)
    await lock(ctx)
    with pytest.raises(errors.PinLocked):
        await pins.change_pin(ctx, UID, PIN, "975313")


async def test_reset_pin_with_sms_code_and_id_number_lifts_the_lock(ctx):
    await make_person(ctx, UID)
    await lock(ctx)
    code = await reset_code(ctx)
    with pytest.raises(errors.IdentityMismatch):
        await pins.reset_pin(ctx, UID, sms_code=code, id_number=id_for(UID + 1), new_pin="975313")
    with pytest.raises(errors.SmsCodeWrong):
        await pins.reset_pin(ctx, UID, sms_code=f"{(int(code) + 1) % 10**6:06d}", id_number=id_for(UID),
                             new_pin="975313")
    await pins.reset_pin(ctx, UID, sms_code=code, id_number=id_for(UID), new_pin="975313")
    await pins.verify_pin(ctx, UID, "975313")  # no longer locked
    row = await user_row(ctx, UID)
    assert row.pin_failed == 0 and row.pin_locked_until is None
    with pytest.raises(errors.SmsCodeExpired):  # the code was used
        await pins.reset_pin(ctx, UID, sms_code=code, id_number=id_for(UID), new_pin="864202")


async def test_reset_pin_needs_a_reset_code_not_another_purpose(ctx):
    await make_person(ctx, UID)  # a 'bind' code was sent to this phone while binding
    ctx.clock.advance(seconds=60)
    await sms_codes.request_code(ctx, phone=phone_for(UID), purpose="unfreeze")
    code = ctx.sms.last_code(phone_for(UID))
    with pytest.raises(errors.SmsCodeExpired):
        await pins.reset_pin(ctx, UID, sms_code=code, id_number=id_for(UID), new_pin="975313")
    await pins.verify_pin(ctx, UID, PIN)


async def test_reset_pin_refuses_a_weak_pin(ctx):
    await make_person(ctx, UID)
    code = await reset_code(ctx)
    with pytest.raises(errors.PinWeak):
        await pins.reset_pin(ctx, UID, sms_code=code, id_number=id_for(UID), new_pin="222222")
    await pins.verify_pin(ctx, UID, PIN)


async def test_reset_pin_without_a_verified_identity(ctx):
    await people.open_wallet(ctx, key="o", user_id=UID)
    with pytest.raises(errors.IdentityMismatch):
        await pins.reset_pin(ctx, UID, sms_code="123456", id_number=id_for(UID), new_pin="975313")
