"""余额不足 through the emulator: a payment larger than the balance offers "top up the shortfall
from card ****1234 and pay" and "pay this with card ****1234", with one PIN; in a merchant payment,
a private transfer and a group red packet; a declined card and a bank time-out pay nothing; a
balance found short only after the PIN gets the same choices; crafted choices are refused."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from jobs.outbox import drain_once
from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_red_packet import five
from tests.e2e.test_shop import code_and_link, crafted, register_shop
from tests.e2e.test_transfer import _send
from tests.wallet.helpers import PIN, bind, card_for, wallet_balance
from wallet import errors
from wallet.models import bank_ops, red_packets, transfers as transfers_t
from wallet.services import cards, transfers
from wallet.uow import read


async def count(ctx, table) -> int:
    return await read(ctx, lambda conn: conn.scalar(select(func.count()).select_from(table)))


async def charges(ctx, user_id: int) -> list[tuple[int, str]]:
    rows = await read(ctx, lambda conn: conn.execute(select(bank_ops.c.amount, bank_ops.c.status).where(
        bank_ops.c.kind == "charge", bank_ops.c.user_id == user_id).order_by(bank_ops.c.id)))
    return [tuple(r) for r in rows]


async def test_a_shop_paid_by_topping_up_the_shortfall(bot, ctx, alice, bob, tmp_path):
    await opened(ctx, alice)
    await opened(ctx, bob, balance=1_000)
    await bob.send("/start")
    await register_shop(alice, "花店", "零售百货")
    link, _ = await code_and_link(alice, tmp_path)
    last4 = card_for(bob.id)[-4:]

    await bob.open_link(link)
    await bob.expect(contains="Type the amount")
    await bob.send("25")
    screen = await bob.expect(contains="is ¥15.00 short")
    await bob.press(screen, f"Top up the ¥15.00 short from card ****{last4} and pay")
    await enter_pin(bob)  # one PIN for the top-up and the payment
    done = await bob.expect(contains="Paid")
    assert f"¥15.00 was charged to card ****{last4}" in done.text
    assert await wallet_balance(ctx, bob.id) == 0 and await wallet_balance(ctx, alice.id) == 2_500
    assert await charges(ctx, bob.id) == [(1_000, "succeeded"), (1_500, "succeeded")]
    await alice.expect(contains="¥25.00", regex="向你的店铺")
    await scan_secrets(bob)


async def test_a_transfer_paid_with_the_card_and_a_declined_card(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=500)
    await opened(ctx, bob)
    await bob.send("/start")
    last4 = card_for(alice.id)[-4:]

    # the card declines: nothing is paid, the balance is untouched
    screen = await _send(alice, bob, "20")
    assert "还差 ¥15.00" in screen.text and not any("确认" in b for b in screen.buttons)
    ctx.bank.fail_next("charge", "insufficient_funds")
    await alice.press(screen, f"用尾号{last4}的卡支付 ¥20.00")
    await enter_pin(alice)
    refused = await alice.expect(contains="银行")
    assert "→" not in refused.text
    assert await wallet_balance(ctx, alice.id) == 500 and await count(ctx, transfers_t) == 0
    assert await charges(ctx, alice.id) == [(500, "succeeded"), (2_000, "failed")]
    # no other card: the ways on, as buttons that work (not a dead end)
    assert refused.buttons == ["💳 换一张卡：我的银行卡", "💰 充值", "🏠 钱包"]
    await alice.press(refused, "充值")
    await alice.expect(contains="要向零钱充值多少")
    await alice.send("/cancel")
    await alice.expect(contains="已取消")

    # again, the card pays exactly this transfer: the balance stays ¥5.00
    screen = await _send(alice, bob, "20")
    await alice.press(screen, f"用尾号{last4}的卡支付 ¥20.00")
    await enter_pin(alice)
    await alice.expect(contains=f"已从尾号{last4}的卡扣款 ¥20.00")
    card = await bob.expect(contains="→", regex=r"¥20\.00")
    await bob.press(card, "Accept")
    assert await wallet_balance(ctx, alice.id) == 500 and await wallet_balance(ctx, bob.id) == 2_000
    await scan_secrets(alice)


async def test_a_declined_card_offers_another_bound_card_and_pays_with_it(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=500)
    await opened(ctx, bob)
    await bob.send("/start")
    other = await bind(ctx, alice.id, card=card_for(alice.id, "621700"))  # a second card (CCB)
    first = card_for(alice.id)[-4:]
    screen = await _send(alice, bob, "20")
    ctx.bank.fail_next("charge", "insufficient_funds")
    await alice.press(screen, f"用尾号{first}的卡支付 ¥20.00")
    await enter_pin(alice)
    again = await alice.expect(contains="银行")  # declined: the same choices with the other card
    assert "还差 ¥15.00" in again.text and any(f"尾号{other['last4']}" in b for b in again.buttons)
    assert not any(first in b for b in again.buttons)
    await alice.press(again, f"用尾号{other['last4']}的卡支付 ¥20.00")
    await enter_pin(alice)
    await alice.expect(contains=f"已从尾号{other['last4']}的卡扣款 ¥20.00")
    card = await bob.expect(contains="→", regex=r"¥20\.00")
    await bob.press(card, "Accept")
    assert await wallet_balance(ctx, alice.id) == 500 and await wallet_balance(ctx, bob.id) == 2_000
    assert await charges(ctx, alice.id) == [(500, "succeeded"), (2_000, "failed"), (2_000, "succeeded")]
    assert await count(ctx, transfers_t) == 1
    await scan_secrets(alice, extra=(card_for(alice.id, "621700"),))


async def test_a_red_packet_topped_up_from_the_card(bot, ctx, people, alice, bob, carol):
    dave, eve, group = await five(people, alice, bob, carol)
    await opened(ctx, alice, balance=300)
    last4 = card_for(alice.id)[-4:]
    await alice.send(group, "/hongbao 10 3 恭喜发财")
    waiting = await alice.expect(group, contains="🧧")
    await alice.open_link(next(b["url"] for row in waiting.keyboard for b in row if b.get("url")))
    offer = await alice.expect(contains="还差 ¥7.00")
    assert not any(re.fullmatch(r"\d", b) for b in offer.buttons)  # no keypad before the choice
    await alice.press(offer, f"从尾号{last4}的卡充值差额 ¥7.00 并支付")
    await enter_pin(alice)
    sent = await alice.expect(contains=f"已从尾号{last4}的卡扣款 ¥7.00")
    assert "¥10.00" in sent.text
    await alice.expect(group, edited=True, where=lambda m: m.id == waiting.id and "rp:open" in str(m.keyboard), since=0)
    assert await wallet_balance(ctx, alice.id) == 0 and await count(ctx, red_packets) == 1
    await scan_secrets(alice)


async def test_short_only_after_the_pin_and_a_bank_time_out(bot, ctx, alice, bob, carol):
    await opened(ctx, alice, balance=3_000)
    await opened(ctx, bob)
    await opened(ctx, carol)
    await bob.send("/start")
    last4 = card_for(alice.id)[-4:]
    screen = await _send(alice, bob, "20")  # enough now: the plain confirm
    assert "还差" not in screen.text
    await alice.press(screen, "确认")
    pad = await keypad(alice)
    # meanwhile ¥15 leaves (another device): the PIN finds the balance short
    await transfers.send(ctx, key="elsewhere", sender_id=alice.id, recipient_id=carol.id, amount=1_500, pin=PIN)
    await enter_pin(alice, pad=pad)
    offer = await alice.expect(contains="还差 ¥5.00")
    assert await count(ctx, transfers_t) == 1

    # the bank times out: nothing is paid; the reconcile later lands the money in the balance
    ctx.bank.fail_next("charge", errors.BankTimeout, outcome="succeeded")
    await alice.press(offer, f"从尾号{last4}的卡充值差额 ¥5.00 并支付")
    await enter_pin(alice)
    told = await alice.expect(contains="本次未支付")
    assert "→" not in told.text and await count(ctx, transfers_t) == 1
    ctx.clock.advance(seconds=ctx.rules.bank_reconcile_seconds + 60)
    await cards.reconcile(ctx, older_than_seconds=0)
    await drain_once(bot)
    await alice.expect(contains="¥5.00", regex="充值")
    assert await wallet_balance(ctx, alice.id) == 2_000 and await count(ctx, transfers_t) == 1
    await scan_secrets(alice)


async def test_crafted_choices_are_refused(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=10_000)
    await opened(ctx, bob)
    await bob.send("/start")
    screen = await _send(alice, bob, "20")  # enough: no choice was offered
    ok = next(b["callback_data"] for row in screen.keyboard for b in row if ":ok:" in b["callback_data"])
    for verb in ("st", "sc"):
        answer = await crafted(bot, alice, ok.replace(":ok:", f":{verb}:"))
        assert not answer.show_alert  # the draft's nonce, but a choice it was never offered: nothing happens
    assert not [m for m in await alice.messages() if m.id > screen.id and any(re.fullmatch(r"\d", b) for b in m.buttons)]
    stale = await crafted(bot, alice, "tf:st:0:AAAAAAAAAAAA")
    assert stale.show_alert
    assert await count(ctx, transfers_t) == 0 and await charges(ctx, alice.id) == [(10_000, "succeeded")]
