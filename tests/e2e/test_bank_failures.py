"""Every bank failure card of the sandbox through the chat: a declined top-up or withdrawal says
why and the flow goes on with another card; a credit card gets no withdrawal; a bank time-out
answers "processing" and the reconcile sweep tells the outcome later."""
from __future__ import annotations

from jobs.sweeps import sweep_once
from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import bind, wallet_balance

CHARGE_DECLINED = "6227000000000000227"
PAYOUT_DECLINED = "6225880000000000119"
CREDIT = "6253300000000013"
TIMEOUT_OK = "6222020000000000331"
TIMEOUT_FAIL = "6228480000000000448"


async def _top_up(person, amount: str, last4: str) -> None:
    await person.send("/topup")
    await person.expect(contains="Top up")
    await person.send(amount)
    choose = await person.expect(contains="from which card")
    await person.press(choose, f"****{last4}")
    await enter_pin(person, pad=await keypad(person))


async def test_declined_top_up_says_why_and_another_card_works(bot, ctx, bob):
    good = await opened(ctx, bob)
    await bind(ctx, bob.id, card=CHARGE_DECLINED)
    await _top_up(bob, "100", "0227")
    again = await bob.expect(contains="does not have enough money")
    assert "from which card" in again.text and any("0227" in b for b in again.buttons)
    await bob.press(again, f"****{good['last4']}")
    await enter_pin(bob, pad=await keypad(bob))
    await bob.expect(contains="Topped up ¥100.00")
    assert await wallet_balance(ctx, bob.id) == 10_000
    await scan_secrets(bob, extra=(CHARGE_DECLINED,))


async def test_declined_withdrawal_refunds_says_why_and_another_card_works(bot, ctx, bob):
    good = await opened(ctx, bob, balance=5_000)
    await bind(ctx, bob.id, card=PAYOUT_DECLINED)
    await bob.send("/withdraw")
    await bob.expect(contains="How much do you want to withdraw")
    await bob.send("20")
    preview = await bob.expect(contains="Arrives on your card: ¥20.00")
    await bob.press(preview, "****0119")
    await enter_pin(bob, pad=await keypad(bob))
    again = await bob.expect(contains="restricted at the bank")
    assert await wallet_balance(ctx, bob.id) == 5_000  # amount and fee back
    await bob.press(again, f"****{good['last4']}")
    await enter_pin(bob, pad=await keypad(bob))
    await bob.expect(contains="Withdrawal of ¥20.00 sent")
    assert await wallet_balance(ctx, bob.id) == 3_000
    await scan_secrets(bob, extra=(PAYOUT_DECLINED,))


async def test_withdraw_refuses_bad_amounts_and_an_empty_balance_on_the_same_step(bot, ctx, alice):
    await opened(ctx, alice, balance=1_000)
    await alice.send("/withdraw")
    await alice.expect(contains="要提现多少")
    await alice.send("-5")
    await alice.expect(contains="金额不能为负数")
    await alice.send("12.345")
    await alice.expect(contains="两位小数")
    await alice.send("20")  # more than the balance
    await alice.expect(contains="余额不足：需要 ¥20.00，零钱余额 ¥10.00")
    await alice.send("10")  # still the amount step
    await alice.expect(contains="到账金额：¥10.00")
    assert await wallet_balance(ctx, alice.id) == 1_000
    await scan_secrets(alice)


async def test_withdraw_all_with_a_credit_card_listed_apart(bot, ctx, alice):
    await opened(ctx, alice, balance=150_000)  # ¥1,500: ¥1,000 free, the rest pays 0.1 %
    await bind(ctx, alice.id, card=CREDIT)
    await alice.send("/withdraw")
    await alice.expect(contains="要提现多少")
    await alice.send("全部")
    preview = await alice.expect(contains="信用卡不能接收提现")
    assert "工商银行 信用卡 ****0013" in preview.text
    assert not any("0013" in b for b in preview.buttons)
    assert "从零钱扣除：¥1500.00" in preview.text and "手续费：¥0.50" in preview.text
    await alice.press(preview, "储蓄卡")
    await enter_pin(alice, pad=await keypad(alice))
    await alice.expect(contains="已向尾号")
    assert await wallet_balance(ctx, alice.id) == 0
    await scan_secrets(alice, extra=(CREDIT,))


async def _withdraw(person, amount: str, last4: str) -> None:
    await person.send("/withdraw")
    await person.expect(contains="How much do you want to withdraw")
    await person.send(amount)
    preview = await person.expect(contains="Arrives on your card")
    await person.press(preview, f"****{last4}")
    await enter_pin(person, pad=await keypad(person))


async def test_bank_time_outs_answer_processing_and_the_sweep_tells_the_outcome(bot, ctx, bob):
    await opened(ctx, bob, balance=10_000)
    await bind(ctx, bob.id, card=TIMEOUT_OK)
    await bind(ctx, bob.id, card=TIMEOUT_FAIL)
    await _top_up(bob, "30", "0331")
    await bob.expect(contains="Your top-up of ¥30.00 is processing")
    await _top_up(bob, "40", "0448")
    await bob.expect(contains="Your top-up of ¥40.00 is processing")
    await _withdraw(bob, "10", "0331")
    await bob.expect(contains="Your withdrawal of ¥10.00 is processing")
    await _withdraw(bob, "20", "0448")
    await bob.expect(contains="Your withdrawal of ¥20.00 is processing")
    assert await wallet_balance(ctx, bob.id) == 10_000 - 1_000 - 2_000  # withdrawals set aside

    ctx.clock.advance(seconds=120)
    settled = await sweep_once(bot)
    assert sorted((op["kind"], op["status"]) for op in settled["bank_ops"]) == [
        ("charge", "failed"), ("charge", "succeeded"), ("payout", "failed"), ("payout", "succeeded")]
    await bob.expect(contains="¥30.00", regex="has arrived")
    await bob.expect(contains="¥40.00", regex="did not go through")
    await bob.expect(contains="¥10.00", regex="has been paid to your card")
    await bob.expect(contains="¥20.00", regex="back in your balance")
    assert await wallet_balance(ctx, bob.id) == 10_000 + 3_000 - 1_000
    assert (await sweep_once(bot))["bank_ops"] == []  # told once
    await scan_secrets(bob, extra=(TIMEOUT_OK, TIMEOUT_FAIL))
