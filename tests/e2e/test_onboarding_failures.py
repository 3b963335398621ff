"""The sandbox's opening failures: each card gives its own message naming the cause and a way
forward, and the opening continues with another card (wallet/SANDBOX_CARDS.md)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.e2e.steps import (GOOD_CARDS, Opening, assert_no_secrets, default_card, default_id_number, default_name,
                             has_callback, open_wallet, use_fake_clock)
from tests.e2e.test_onboarding import audit_clean
from wallet.errors import BankTimeout, IdentityMismatch, WalletNotOpen
from wallet.models import cards as cards_table
from wallet.services import cards, people as people_service

PIN = "258036"


async def _until_card(people, person, name="张三", id_number=None):
    o = Opening(people, person)
    await o.start()
    await o.share_phone()
    await o.type_phone_code()
    await o.type_name(name)
    await o.type_id(id_number or default_id_number(person))
    return o


async def _finish(o: Opening, card: str):
    await o.type_card(card)
    return await _finish_code(o)


async def _finish_code(o: Opening):
    await o.type_card_code()
    return await o.set_pin(PIN)


async def test_foreign_and_prepaid_cards_are_refused_then_a_good_card_opens(bot, people, emulator, alice):
    o = await _until_card(people, alice)
    await alice.send("4111 1111 1111 1111")
    refused = await alice.expect(contains="暂不支持")
    assert "境外 Visa 卡" in refused.text and "另一张卡" in refused.text
    await alice.send("6200 0000 0000 0096")
    refused = await alice.expect(contains="暂不支持")
    assert "预付卡" in refused.text
    assert not [m for m in await alice.messages() if not m.from_bot and "6200" in m.text.replace(" ", "")]
    home = await _finish(o, GOOD_CARDS[0])
    assert "我的钱包" in home.text
    await assert_no_secrets(people, alice, [PIN, default_id_number(alice), "4111111111111111", "6200000000000096",
                                            GOOD_CARDS[0]], world=emulator.world)
    await audit_clean(bot)


async def test_identity_mismatch_card_names_the_cause_and_another_card_binds(bot, people, emulator, bob):
    use_fake_clock(bot)  # no time passes: the new card's code comes within 60 s of the phone's
    o = await _until_card(people, bob, name="Li Lei")
    await bob.send("6222020000000000992")
    mismatch = await bob.expect(contains="do not match")  # the bank checks before any code is sent
    assert "name and ID number" in mismatch.text and "**** 0992" in mismatch.text
    assert has_callback("ob:card")(mismatch) and has_callback("ob:name")(mismatch)
    assert len(await bob.sms()) == o.sms_seen  # no code for a card the bank refused
    await bob.press(mismatch, callback_data="ob:card")
    await bob.expect(contains="4/5")
    home = await _finish(o, GOOD_CARDS[1])
    assert "My wallet" in home.text
    bound = await cards.list_cards(bot.bot_data["wallet"], bob.id)
    assert [c["last4"] for c in bound] == [GOOD_CARDS[1][-4:]]
    await assert_no_secrets(people, bob, [PIN, default_id_number(bob), "6222020000000000992", GOOD_CARDS[1]],
                            world=emulator.world)
    await audit_clean(bot)


async def test_an_identity_failure_after_the_code_then_another_card_within_60_s_gets_a_fresh_code(
        bot, people, emulator, alice):
    """The bank refuses the identity only when the code comes back (its records changed in
    between): "Use another card" at once gets the new card its own code, and binding completes."""
    use_fake_clock(bot)  # the clock stands still: everything below is within 60 s
    wallet = bot.bot_data["wallet"]
    o = await _until_card(people, alice)
    await o.type_card(GOOD_CARDS[2])
    wallet.bank.fail_next("verify", IdentityMismatch())
    await alice.send(await o.sms_code())
    mismatch = await alice.expect(contains="不一致")
    await alice.press(mismatch, callback_data="ob:card")
    await alice.expect(contains="4/5")
    await alice.send(GOOD_CARDS[3])
    sent = await alice.expect(where=has_callback("ob:resend"))
    assert "银行已向" in sent.text and "尾号 0034" in sent.text and "秒" not in sent.text
    home = await _finish_code(o)  # the new card's code is in the phone's inbox
    assert "我的钱包" in home.text
    bound = await cards.list_cards(wallet, alice.id)
    assert [c["last4"] for c in bound] == [GOOD_CARDS[3][-4:]]
    await audit_clean(bot)


async def test_the_same_card_again_within_60_s_keeps_its_code_and_resend_says_when(bot, people, emulator, bob):
    clock = use_fake_clock(bot)
    o = await _until_card(people, bob, name="Li Lei")
    await o.type_card(GOOD_CARDS[3])
    first = await o.sms_code()
    await bob.press(o.last, callback_data="ob:card")
    await bob.expect(contains="4/5")
    await bob.send(GOOD_CARDS[3])
    live = await bob.expect(contains="still valid")  # not "the bank sent a code": none was sent
    assert "**** 0034" in live.text and re.search(r"in \d+ s", live.text)
    assert has_callback("ob:resend")(live)
    assert len(await bob.sms()) == o.sms_seen
    answer = await bob.press(live, callback_data="ob:resend")
    assert answer.show_alert and re.search(r"in \d+ s", answer.text)
    clock.advance(61)
    answer = await bob.press(live, callback_data="ob:resend")
    assert answer.text == "A new code is on its way."
    await bob.expect(contains="The bank sent a code")
    second = await o.sms_code()
    if second != first:  # the new code replaced the old one
        await bob.send(first)
        await bob.expect(contains="Wrong code")
    await o.type_card_code(second)
    home = await o.set_pin(PIN)
    assert "My wallet" in home.text
    await audit_clean(bot)


async def test_bob_cannot_bind_alices_card_with_her_name_and_id_from_his_phone(bot, people, emulator, alice, bob):
    """The bank sends a card's code only to the phone it holds for the card (预留手机号)."""
    await open_wallet(people, alice)
    wallet = bot.bot_data["wallet"]
    o = await _until_card(people, bob, name=default_name(alice), id_number=default_id_number(alice))
    await bob.send(default_card(alice))
    refused = await bob.expect(contains="is not the phone number")
    assert "138****0002" in refused.text and f"**** {default_card(alice)[-4:]}" in refused.text
    assert "registered with" in refused.text and has_callback("ob:card")(refused)
    assert len(await bob.sms()) == o.sms_seen  # no code reached Bob's phone
    assert await cards.list_cards(wallet, bob.id) == []
    with pytest.raises(WalletNotOpen):  # nothing was opened nor bound for Bob
        await people_service.profile(wallet, bob.id)
    assert [c["last4"] for c in await cards.list_cards(wallet, alice.id)] == [default_card(alice)[-4:]]
    await assert_no_secrets(people, bob, [default_id_number(alice), default_card(alice)], world=emulator.world)
    await audit_clean(bot)


async def test_credit_card_binds_with_a_note_that_withdrawals_need_a_debit_card(bot, people, emulator, bob):
    o = await _until_card(people, bob, name="Li Lei")
    ok = await o.type_card("6253 3000 0000 0013")
    assert "credit card" in ok.text
    note = [m for m in await bob.messages() if "withdrawals can only go to a debit card" in m.text]
    assert note
    await o.type_card_code()
    home = await o.set_pin(PIN)
    assert "My wallet" in home.text
    bound = await cards.list_cards(bot.bot_data["wallet"], bob.id)
    assert [(c["card_type"], c["last4"]) for c in bound] == [("credit", "0013")]
    await audit_clean(bot)


async def test_bank_timeout_offers_a_retry_without_typing_everything_again(bot, people, emulator, alice):
    use_fake_clock(bot)
    wallet = bot.bot_data["wallet"]
    o = await _until_card(people, alice)
    await o.type_card(GOOD_CARDS[2])
    wallet.bank.fail_next("verify", BankTimeout())
    await alice.send(await o.sms_code())
    timeout = await alice.expect(contains="银行未能及时响应")
    assert "无需重新输入" in timeout.text
    assert not (await people_service.profile(wallet, alice.id))["verified"]
    answer = await alice.press(timeout, callback_data="ob:retry")  # the last code was used: a new one at once
    assert answer.text == "新的验证码已发送。"
    await alice.expect(where=has_callback("ob:resend"))
    await o.type_card_code()
    home = await o.set_pin(PIN)
    assert "我的钱包" in home.text
    async with wallet.engine.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(cards_table)
                                .where(cards_table.c.user_id == alice.id))).scalar_one()
    assert n == 1
    await assert_no_secrets(people, alice, [PIN, default_id_number(alice), GOOD_CARDS[2]], world=emulator.world)
    await audit_clean(bot)
