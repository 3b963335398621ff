"""Bank cards in the chat, through the emulator: list (masked), bind another with the bank's
checks (identity mismatch, unsupported, typo), set the default, unbind with the PIN."""
from __future__ import annotations

import re

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import PIN, phone_for
from wallet.services import cards

MISMATCH = "6222020000000000992"
VISA = "4111111111111111"
TYPO = "6217000000000000021"
CCB = "6217000000000000020"


async def test_bind_another_card_set_default_and_unbind(bot, ctx, bob):
    first = await opened(ctx, bob)
    phone = phone_for(bob.id)
    await bob.send("/cards")
    listing = await bob.expect(contains="Your bank cards")
    assert f"ICBC debit ****{first['last4']} (default)" in listing.text

    await bob.press(listing, "Bind another card")
    await bob.expect(contains="Send the number of the card")
    sent_before = len(ctx.sms.inbox(phone))
    await bob.send("6222 0200 0000 0000 992")
    await bob.expect(contains="Card recognised: ICBC debit ****0992")
    await bob.expect(contains="does not belong to the name and ID number")  # checked before any code
    assert len(ctx.sms.inbox(phone)) == sent_before

    await bob.send("4111 1111 1111 1111")
    await bob.expect(contains="not supported")
    await bob.send(TYPO)
    await bob.expect(contains="typo")
    await bob.send("6217 0000 0000 0000 020")
    await bob.expect(contains="Card recognised: CCB debit ****0020")
    await bob.expect(contains="The bank sent a 6-digit code for CCB debit ****0020")
    await bob.send("000000" if ctx.sms.last_code(phone) != "000000" else "111111")
    await bob.expect(contains="Wrong code")
    await bob.send(ctx.sms.last_code(phone))
    listing = await bob.expect(contains="CCB debit ****0020 is bound")
    assert [c["last4"] for c in await cards.list_cards(ctx, bob.id)] == [first["last4"], "0020"]

    await bob.press(listing, "Default ****0020")
    listing = await bob.expect(contains="is now your default card", edited=True)
    assert "CCB debit ****0020 (default)" in listing.text
    assert (await cards.default_card(ctx, bob.id))["last4"] == "0020"

    await bob.press(listing, f"Unbind ****{first['last4']}")
    await enter_pin(bob, PIN, pad=await keypad(bob))
    await bob.expect(contains="The card is unbound")
    assert [c["last4"] for c in await cards.list_cards(ctx, bob.id)] == ["0020"]
    await scan_secrets(bob, extra=(MISMATCH, VISA, TYPO, CCB))


async def test_an_old_list_button_is_refused_with_a_popup(bot, ctx, alice):
    await opened(ctx, alice)
    await alice.send("/cards")
    old = await alice.expect(contains="我的银行卡")
    await alice.send("/cards")
    await alice.expect(contains="我的银行卡", where=lambda m: m.id != old.id)
    answer = await alice.press(old, "解绑")
    assert answer.show_alert and "已过期" in answer.text
    assert len(await cards.list_cards(ctx, alice.id)) == 1
    await scan_secrets(alice)


async def test_a_card_number_goes_to_bind_even_when_a_withdrawal_still_waits_for_an_amount(bot, ctx, bob):
    await opened(ctx, bob)
    await bob.send("/withdraw")
    await bob.expect(contains="How much do you want to withdraw")
    await bob.send("/bind")
    await bob.expect(contains="Send the number of the card")
    typed = await bob.send("6217 0000 0000 0000 020")
    await bob.expect(contains="Card recognised: CCB debit ****0020")
    assert typed.id not in [m.id for m in await bob.messages()]  # deleted by the bind flow
    await bob.expect_none(contains="too large")  # not read as an amount
    await scan_secrets(bob, extra=(CCB,))


async def test_a_card_bound_within_60_s_of_opening_gets_its_own_code(bot, ctx, alice):
    """The first card's code went out a moment ago: another card gets its own code at once (the
    60 s wait is for the same card's code again), and its Resend button says when it can resend."""
    await opened(ctx, alice)  # its card's code was sent just now, and the clock stands still
    phone = phone_for(alice.id)
    await alice.send("/cards")
    listing = await alice.expect(contains="我的银行卡")
    await alice.press(listing, "添加银行卡")
    await alice.expect(contains="卡号")
    codes = len(ctx.sms.inbox(phone))
    await alice.send(CCB)
    sent = await alice.expect(contains="银行已向你的手机")
    assert "建设银行" in sent.text and "0020" in sent.text and "秒" not in sent.text
    assert len(ctx.sms.inbox(phone)) == codes + 1
    answer = await alice.press(sent, "重新发送")  # the same card's code again: not yet, and it says when
    assert answer.show_alert and re.search(r"\d+ 秒后", answer.text)
    assert len(ctx.sms.inbox(phone)) == codes + 1
    ctx.clock.advance(seconds=61)
    answer = await alice.press(sent, "重新发送")
    assert answer.text == "新的验证码已发送。"
    assert len(ctx.sms.inbox(phone)) == codes + 2
    await alice.expect(contains="银行已向你的手机", where=lambda m: m.id != sent.id)
    await alice.send(ctx.sms.last_code(phone))
    await alice.expect(contains="已绑定")
    assert [c["last4"] for c in await cards.list_cards(ctx, alice.id)][-1] == "0020"
    await scan_secrets(alice, extra=(CCB,))
