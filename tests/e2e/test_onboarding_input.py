"""Bad input at every step of opening a wallet: a reason, the same step, nothing stored; and
the SMS code's tries, expiry and resend."""
from __future__ import annotations

import pytest

from tests.e2e.steps import GOOD_CARDS, Opening, assert_no_secrets, default_id_number, use_fake_clock
from tests.e2e.test_onboarding import audit_clean
from wallet.errors import WalletNotOpen
from wallet.services import people as people_service

PIN = "258036"


async def _no_wallet(bot, person) -> None:
    with pytest.raises(WalletNotOpen):
        await people_service.profile(bot.bot_data["wallet"], person.id)


async def test_bad_input_at_every_step_is_refused_with_the_reason(bot, people, emulator, alice, bob):
    o = Opening(people, alice)
    await o.start()
    # someone else's contact, and a typed number, are refused at the phone step
    emulator.world.user_sends(alice.id, alice.id, None, contact={
        "phone_number": bob.phone_number, "first_name": "Bob", "user_id": bob.id})
    await alice.expect(contains="别人的联系人")
    await alice.send("13800000001")
    await alice.expect(contains="不要手动输入")
    assert await alice.sms() == []
    await o.share_phone()
    # letters for the code
    await alice.send("abcdef")
    await alice.expect(contains="6 位数字")
    await o.type_phone_code()
    # a name that is not a name
    await alice.send("12345")
    await alice.expect(contains="真实姓名")
    await o.type_name("张三")
    # a 17-digit ID number, then a wrong check character: deleted at once, reason given
    good_id = default_id_number(alice)
    await alice.send(good_id[:17])
    await alice.expect(contains="应为 18 位")
    wrong = good_id[:17] + ("1" if good_id[17] != "1" else "2")
    await alice.send(wrong)
    await alice.expect(contains="校验码不符")
    texts = [m.text for m in await alice.messages()]
    assert not [t for t in texts if good_id[:17] in t], texts
    await o.type_id(good_id)
    # a card number with a bad Luhn digit
    bad_card = GOOD_CARDS[0][:-1] + str((int(GOOD_CARDS[0][-1]) + 1) % 10)
    await alice.send(bad_card)
    await alice.expect(contains="校验位不符")
    await _no_wallet(bot, alice)  # nothing is stored before the bank verified the card
    await o.type_card(GOOD_CARDS[0])
    await alice.send("12ab56")
    await alice.expect(contains="6 位数字")
    await _no_wallet(bot, alice)
    keypad = await o.type_card_code()
    # the PIN: typed as text (deleted, reminded), all-same, a straight run, the birthday, two that differ
    sent = await alice.send(PIN)
    await alice.expect(contains="请使用上方键盘")
    assert sent.id not in [m.id for m in await alice.messages()]
    for weak, reason in (("111111", "相同数字"), ("123456", "连续数字"), ("900307", "生日")):
        await o.type_pin(weak)
        await o.next_keypad(contains=reason)
        profile = await people_service.profile(bot.bot_data["wallet"], alice.id)
        assert not profile["pin_set"]
    await o.type_pin(PIN)
    await o.next_keypad()
    await o.type_pin("258037")
    await o.next_keypad(contains="不一致")
    assert not (await people_service.profile(bot.bot_data["wallet"], alice.id))["pin_set"]
    home = await o.set_pin(PIN)
    assert "我的钱包" in home.text
    await assert_no_secrets(people, alice, [PIN, good_id, wrong, GOOD_CARDS[0], bad_card], world=emulator.world)
    await audit_clean(bot)


async def test_wrong_code_five_times_then_a_new_code_after_60_seconds(bot, people, emulator, bob):
    clock = use_fake_clock(bot)
    o = Opening(people, bob)
    await o.start()
    prompt = await o.share_phone()
    code = await o.sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        await bob.send(wrong)
        await bob.expect(contains=f"{left} tries left")
    await bob.send(wrong)
    expired = await bob.expect(contains="expired")
    await bob.send(code)  # the right code no longer works: it was used up
    await bob.expect(contains="expired")
    answer = await bob.press(expired, callback_data="ob:resend")
    assert answer.show_alert and "s." in answer.text
    clock.advance(61)
    answer = await bob.press(prompt, callback_data="ob:resend")
    assert answer.text == "A new code is on its way."
    await o.type_phone_code()  # the new code
    await bob.send("12")
    await bob.expect(contains="real name")


async def test_an_expired_code_asks_for_a_new_one(bot, people, emulator, bob):
    clock = use_fake_clock(bot)
    o = Opening(people, bob)
    await o.start()
    await o.share_phone()
    code = await o.sms_code()
    clock.advance(301)
    await bob.send(code)
    expired = await bob.expect(contains="expired")
    await bob.press(expired, callback_data="ob:resend")
    await o.type_phone_code()
