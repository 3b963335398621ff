"""People: open a wallet, profile, language, self-freeze (no PIN) and unfreeze (PIN + SMS
code to the bound phone + ID number)."""
from __future__ import annotations

import pytest

from tests.wallet.helpers import PIN, id_for, make_person, phone_for, wallet_balance
from wallet import errors
from wallet.services import cards, people, sms_codes, transfers


async def unfreeze_code(ctx, user_id):
    ctx.clock.advance(seconds=60)
    await sms_codes.request_code(ctx, phone=phone_for(user_id), purpose="unfreeze")
    return ctx.sms.last_code(phone_for(user_id))


async def test_open_twice_is_harmless(ctx):
    first = await people.open_wallet(ctx, key="o1", user_id=7, language="en", first_name="Ann")
    assert first == {"user_id": 7, "created": True}
    assert await people.open_wallet(ctx, key="o1", user_id=7, language="en", first_name="Ann") == first
    assert await people.open_wallet(ctx, key="o2", user_id=7) == {"user_id": 7, "created": False}
    prof = await people.profile(ctx, 7)
    assert prof == {"user_id": 7, "language": "en", "first_name": "Ann", "phone": None, "id_number": None,
                    "verified": False, "frozen": False, "pin_set": False, "timezone": "Asia/Shanghai",
                    "pin_locked_until": None}
    assert await wallet_balance(ctx, 7) == 0


async def test_profile_of_nobody(ctx):
    with pytest.raises(errors.WalletNotOpen):
        await people.profile(ctx, 404)


async def test_set_language(ctx):
    await people.open_wallet(ctx, key="o", user_id=7)
    assert (await people.profile(ctx, 7))["language"] == "zh-CN"
    await people.set_language(ctx, 7, "en")
    assert (await people.profile(ctx, 7))["language"] == "en"
    with pytest.raises(ValueError):
        await people.set_language(ctx, 7, "fr")
    with pytest.raises(errors.WalletNotOpen):
        await people.set_language(ctx, 404, "en")


async def test_freeze_needs_no_pin_blocks_paying_but_money_still_arrives(ctx):
    card = await make_person(ctx, 1, balance=10_000)
    await make_person(ctx, 2, balance=10_000)
    assert await people.freeze(ctx, key="f1", user_id=1) == {"user_id": 1, "frozen": True}
    assert (await people.profile(ctx, 1))["frozen"] is True
    with pytest.raises(errors.AccountFrozen):
        await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=100, pin=PIN)
    with pytest.raises(errors.AccountFrozen):
        await cards.withdraw(ctx, key="w1", user_id=1, card_id=card["card_id"], amount=100, pin=PIN)
    with pytest.raises(errors.AccountFrozen):
        await cards.top_up(ctx, key="u1", user_id=1, card_id=card["card_id"], amount=100, pin=PIN)
    t = await transfers.send(ctx, key="t2", sender_id=2, recipient_id=1, amount=300, pin=PIN)
    await transfers.accept(ctx, key="a2", user_id=1, transfer_id=t["transfer_id"])
    assert await wallet_balance(ctx, 1) == 10_300
    # freezing again is harmless
    await people.freeze(ctx, key="f2", user_id=1)
    assert (await people.profile(ctx, 1))["frozen"] is True


async def test_unfreeze_needs_pin_sms_code_and_id_number(ctx):
    await make_person(ctx, 1, balance=1_000)
    await make_person(ctx, 2)
    with pytest.raises(errors.NotFrozen):
        await people.unfreeze(ctx, key="u0", user_id=1, pin=PIN, sms_code="123456", id_number=id_for(1))
    await people.freeze(ctx, key="f", user_id=1)
    code = await unfreeze_code(ctx, 1)
    assert code is not None  # sent to the bound phone
    bad_code = f"{(int(code) + 1) % 10**6:06d}"

    with pytest.raises(errors.IdentityMismatch):
        await people.unfreeze(ctx, key="u1", user_id=1, pin=PIN, sms_code=code, id_number=id_for(2))
    with pytest.raises(errors.InvalidIdNumber):
        await people.unfreeze(ctx, key="u2", user_id=1, pin=PIN, sms_code=code, id_number="110101199001010000")
    with pytest.raises(errors.PinWrong):
        await people.unfreeze(ctx, key="u3", user_id=1, pin="246810", sms_code=code, id_number=id_for(1))
    with pytest.raises(errors.SmsCodeWrong):
        await people.unfreeze(ctx, key="u4", user_id=1, pin=PIN, sms_code=bad_code, id_number=id_for(1))
    assert (await people.profile(ctx, 1))["frozen"] is True
    with pytest.raises(errors.AccountFrozen):
        await transfers.send(ctx, key="t0", sender_id=1, recipient_id=2, amount=100, pin=PIN)

    done = await people.unfreeze(ctx, key="u5", user_id=1, pin=PIN, sms_code=code, id_number=id_for(1))
    assert done == {"user_id": 1, "frozen": False}
    assert (await people.profile(ctx, 1))["frozen"] is False
    await transfers.send(ctx, key="t1", sender_id=1, recipient_id=2, amount=100, pin=PIN)


async def test_unfreeze_code_must_be_for_unfreezing(ctx):
    await make_person(ctx, 1)  # binding sent a 'bind' code to this phone
    await people.freeze(ctx, key="f", user_id=1)
    ctx.clock.advance(seconds=60)
    await sms_codes.request_code(ctx, phone=phone_for(1), purpose="reset_pin")
    code = ctx.sms.last_code(phone_for(1))
    with pytest.raises(errors.SmsCodeExpired):
        await people.unfreeze(ctx, key="u", user_id=1, pin=PIN, sms_code=code, id_number=id_for(1))
    assert (await people.profile(ctx, 1))["frozen"] is True


async def test_unfreeze_code_sent_to_another_phone_does_not_count(ctx):
    await make_person(ctx, 1)
    await make_person(ctx, 2)
    await people.freeze(ctx, key="f", user_id=1)
    code = await unfreeze_code(ctx, 2)  # someone else's phone
    with pytest.raises(errors.SmsCodeExpired):
        await people.unfreeze(ctx, key="u", user_id=1, pin=PIN, sms_code=code, id_number=id_for(1))
    assert (await people.profile(ctx, 1))["frozen"] is True
