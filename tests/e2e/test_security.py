"""Security in the chat, through the emulator: five wrong PINs lock the keypad, freezing works
without a PIN while locked, unfreezing later needs PIN + ID number + SMS code; change and forgot PIN."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import PIN, id_for, phone_for, wallet_balance
from wallet.errors import PinWrong
from wallet.services import people, pins

import pytest

WRONG = "246802"


async def test_five_wrong_pins_lock_then_freeze_without_pin_and_unfreeze_later(bot, ctx, bob):
    await opened(ctx, bob, balance=5_000)
    await bob.send("/pin")
    for left in (4, 3, 2, 1):
        await enter_pin(bob, WRONG, pad=await keypad(bob))
        await bob.expect(contains=f"Wrong PIN. {left} tries left")
    await enter_pin(bob, WRONG, pad=await keypad(bob))
    locked = await bob.expect(contains="locked until")
    until = (await people.profile(ctx, bob.id))["pin_locked_until"]
    assert until - ctx.now() == timedelta(hours=3)
    shown = until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")  # the person's zone
    assert shown in locked.text and shown != until.strftime("%Y-%m-%d %H:%M")

    await bob.send("/security")
    menu = await bob.expect(contains="Security")
    await bob.press(menu, "Freeze now")
    ask = await bob.expect(contains="Freeze your wallet now?", edited=True)
    await bob.press(ask, "Yes, freeze now")
    await bob.expect(contains="Your wallet is frozen", edited=True)
    assert (await people.profile(ctx, bob.id))["frozen"] is True

    await bob.send("/topup")  # a frozen wallet cannot top up
    await bob.expect(contains="frozen")

    sent = await bob.send("/unfreeze")  # still locked: says until when, in Shanghai time, before any keypad
    told = await bob.expect(contains=f"locked until {shown}")
    assert any("Reset my PIN" in b for b in told.buttons)
    assert not [m for m in await bob.messages() if m.id > sent.id and any(re.fullmatch(r"\d", b) for b in m.buttons)]

    ctx.clock.advance(hours=3, seconds=1)
    await bob.send("/unfreeze")
    await enter_pin(bob, PIN, pad=await keypad(bob))
    await bob.expect(contains="send the ID number")
    await bob.send("12345")
    await bob.expect(contains="18 characters")  # the reason, same step
    await bob.send(id_for(bob.id))
    await bob.expect(contains="received (I deleted your message)")
    await bob.expect(contains="I sent a 6-digit code")
    await bob.send("12ab")
    await bob.expect(contains="The code has 6 digits")
    await bob.send(ctx.sms.last_code(phone_for(bob.id)))
    await bob.expect(contains="unfrozen")
    assert (await people.profile(ctx, bob.id))["frozen"] is False
    await scan_secrets(bob, pins=(PIN, WRONG))


async def test_change_pin_old_then_new_twice_with_reasons(bot, ctx, alice):
    await opened(ctx, alice)
    await alice.send("/security")
    menu = await alice.expect(contains="安全中心")
    await alice.press(menu, "修改支付密码")
    await enter_pin(alice, PIN, pad=await keypad(alice))
    await enter_pin(alice, "111111", pad=await keypad(alice, contains="请设置新的"))
    await alice.expect(contains="不能是相同数字")  # all-same refused with the reason
    await enter_pin(alice, "123456", pad=await keypad(alice, contains="请设置新的"))
    await alice.expect(contains="不能是连续数字")
    birthday = await people.birth_date(ctx, alice.id)
    born = f"{birthday.year % 100:02d}{birthday.month:02d}{birthday.day:02d}"
    await enter_pin(alice, born, pad=await keypad(alice, contains="请设置新的"))
    await alice.expect(contains="不能是你的生日")
    await enter_pin(alice, "314159", pad=await keypad(alice, contains="请设置新的"))
    await enter_pin(alice, "314158", pad=await keypad(alice, contains="再输入一次"))
    await alice.expect(contains="不一致")
    await enter_pin(alice, "314159", pad=await keypad(alice, contains="请设置新的"))
    await enter_pin(alice, "314159", pad=await keypad(alice, contains="再输入一次"))
    await alice.expect(contains="支付密码已修改")
    await pins.verify_pin(ctx, alice.id, "314159")
    with pytest.raises(PinWrong):
        await pins.verify_pin(ctx, alice.id, PIN)
    await scan_secrets(alice, pins=(PIN, "314159", "314158", "111111", "123456", born))


async def test_forgot_pin_with_id_number_and_sms_code_lifts_a_lock(bot, ctx, bob):
    await opened(ctx, bob)
    for _ in range(5):
        with pytest.raises(Exception):
            await pins.verify_pin(ctx, bob.id, WRONG)
    await bob.send("/forgotpin")
    await bob.expect(contains="Forgot PIN: send the ID number")
    typed = await bob.send(id_for(bob.id))
    await bob.expect(contains="I sent a 6-digit code")
    assert typed.id not in [m.id for m in await bob.messages()]  # the ID number message is gone
    await bob.send(ctx.sms.last_code(phone_for(bob.id)))
    await enter_pin(bob, "975318", pad=await keypad(bob, contains="Choose a new"))
    await enter_pin(bob, "975318", pad=await keypad(bob, contains="once more"))
    await bob.expect(contains="Your new payment PIN is set")
    await pins.verify_pin(ctx, bob.id, "975318")  # no lock any more
    await scan_secrets(bob, pins=(PIN, "975318", WRONG))


async def test_a_pin_typed_as_text_is_deleted_and_the_keypad_named(bot, ctx, alice):
    await opened(ctx, alice)
    await alice.send("/pin")
    pad = await keypad(alice)
    typed = await alice.send(PIN)
    await alice.expect(contains="请使用上方键盘")
    assert typed.id not in [m.id for m in await alice.messages()]
    await enter_pin(alice, PIN, pad=pad)  # the keypad still works
    await keypad(alice, contains="请设置新的")
    await scan_secrets(alice)


async def test_the_lock_says_until_when_in_the_persons_own_time_zone(bot, ctx, bob):
    await opened(ctx, bob)
    await people.set_timezone(ctx, bob.id, "America/New_York")
    for _ in range(5):
        with pytest.raises(Exception):
            await pins.verify_pin(ctx, bob.id, WRONG)
    until = (await people.profile(ctx, bob.id))["pin_locked_until"]
    await bob.send("/topup")
    await bob.expect(contains="How much")
    await bob.send("5")
    choose = await bob.expect(contains="from which card")
    await bob.press(choose, "****")
    shown = until.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    told = await bob.expect(contains=f"locked until {shown}")  # said at once: no keypad to type six digits on
    assert not [m for m in await bob.messages() if m.id > choose.id and any(re.fullmatch(r"\d", b) for b in m.buttons)]
    await bob.send("5")  # the top-up has ended: nothing waits for a PIN or an amount
    await bob.expect_none(contains="from which card")
    await bob.press(told, "Reset my PIN")  # the way out: the forgot-PIN flow
    await bob.expect(contains="Forgot PIN: send the ID number")
    assert await wallet_balance(ctx, bob.id) == 0
    await scan_secrets(bob, pins=(PIN, WRONG))


async def test_a_wrong_pin_when_the_lock_comes_offers_the_reset_button(bot, ctx, bob):
    await opened(ctx, bob)
    for _ in range(4):
        with pytest.raises(PinWrong):
            await pins.verify_pin(ctx, bob.id, WRONG)
    await bob.send("/pin")
    await enter_pin(bob, WRONG, pad=await keypad(bob))
    told = await bob.expect(contains="locked until")
    assert any("Reset my PIN" in b for b in told.buttons)
    await bob.press(told, "Reset my PIN")
    await bob.expect(contains="Forgot PIN: send the ID number")
    await scan_secrets(bob, pins=(PIN, WRONG))


async def test_a_new_pin_equal_to_the_old_one_is_refused_with_the_reason(bot, ctx, bob):
    await opened(ctx, bob)
    await bob.send("/pin")
    await enter_pin(bob, PIN, pad=await keypad(bob, contains="current payment PIN"))
    await enter_pin(bob, PIN, pad=await keypad(bob, contains="Choose a new"))
    await keypad(bob, contains="same as your current one")  # told at the first entry, asked again
    await enter_pin(bob, "975318", pad=await keypad(bob, contains="Choose a new"))
    await enter_pin(bob, "975318", pad=await keypad(bob, contains="once more"))
    await bob.expect(contains="Your payment PIN has been changed")
    await pins.verify_pin(ctx, bob.id, "975318")
    await scan_secrets(bob, pins=(PIN, "975318"))


async def test_a_frozen_wallet_is_told_what_is_refused_and_how_to_unfreeze(bot, ctx, alice, bob):
    await opened(ctx, bob, balance=1_000)
    await people.freeze(ctx, key=f"freeze-{bob.id}", user_id=bob.id)
    await bob.send("/topup")
    told = await bob.expect(contains="frozen")
    assert "a top-up is not possible" in told.text and "/unfreeze" in told.text
    assert told.buttons == ["🔓 Unfreeze", "🏠 Wallet"]
    await bob.send("/withdraw")
    assert "a withdrawal is not possible" in (await bob.expect(contains="frozen")).text
    await bob.send("/security")  # the frozen state and Unfreeze, not "press Freeze now"
    menu = await bob.expect(contains="Security")
    assert "Freeze now" not in menu.text and "Unfreeze" in menu.text and "frozen" in menu.text
    assert "🔓 Unfreeze" in menu.buttons and not any("Freeze now" in b for b in menu.buttons)
    await bob.press(told, "Unfreeze")  # the button on the refusal starts unfreezing
    await keypad(bob, contains="Unfreeze: enter your payment PIN")
    await bob.send("/cancel")

    await opened(ctx, alice)
    await people.freeze(ctx, key=f"freeze-{alice.id}", user_id=alice.id)
    await alice.send("/topup")
    assert "暂时不能充值" in (await alice.expect(contains="冻结")).text
    await scan_secrets(bob)
