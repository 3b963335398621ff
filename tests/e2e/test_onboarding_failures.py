"""The sandbox's opening failures: each card gives its own message naming the cause and a way
forward, and the opening continues with another card (wallet/SANDBOX_CARDS.md)."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.e2e.steps import GOOD_CARDS, Opening, assert_no_secrets, default_id_number, has_callback, use_fake_clock
from tests.e2e.test_onboarding import audit_clean
from wallet.errors import BankTimeout
from wallet.models import cards as cards_table
from wallet.services import cards, people as people_service

PIN = "258036"


async def _until_card(people, person, name="张三"):
    o = Opening(people, person)
    await o.start()
    await o.share_phone()
    await o.type_phone_code()
    await o.type_name(name)
    await o.type_id(default_id_number(person))
    return o


async def _finish(o: Opening, card: str):
    await o.type_card(card)
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
    clock = use_fake_clock(bot)
    o = await _until_card(people, bob, name="Li Lei")
    await o.type_card("6222020000000000992")
    await bob.send(await o.sms_code())
    mismatch = await bob.expect(contains="do not match")
    assert "name, ID number and phone" in mismatch.text and "**** 0992" in mismatch.text
    assert has_callback("ob:card")(mismatch) and has_callback("ob:name")(mismatch)
    await bob.press(mismatch, callback_data="ob:card")
    await bob.expect(contains="4/5")
    clock.advance(61)  # a new card code may be sent 60 s after the last one
    home = await _finish(o, GOOD_CARDS[1])
    assert "My wallet" in home.text
    bound = await cards.list_cards(bot.bot_data["wallet"], bob.id)
    assert [c["last4"] for c in bound] == [GOOD_CARDS[1][-4:]]
    await assert_no_secrets(people, bob, [PIN, default_id_number(bob), "6222020000000000992", GOOD_CARDS[1]],
                            world=emulator.world)
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
    clock = use_fake_clock(bot)
    wallet = bot.bot_data["wallet"]
    o = await _until_card(people, alice)
    await o.type_card(GOOD_CARDS[2])
    wallet.bank.fail_next("verify", BankTimeout())
    await alice.send(await o.sms_code())
    timeout = await alice.expect(contains="银行未能及时响应")
    assert "无需重新输入" in timeout.text
    assert not (await people_service.profile(wallet, alice.id))["verified"]
    answer = await alice.press(timeout, callback_data="ob:retry")  # too soon for a new code
    assert answer.show_alert and "秒后" in answer.text
    clock.advance(61)
    answer = await alice.press(timeout, callback_data="ob:retry")
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
