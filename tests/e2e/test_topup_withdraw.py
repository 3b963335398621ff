"""Top up and withdraw in the chat, through the emulator: amount -> card -> PIN keypad -> result."""
from __future__ import annotations

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_shop import crafted
from tests.wallet.helpers import card_for, wallet_balance


async def test_top_up_100_then_withdraw_20_in_chinese(bot, ctx, alice):
    card = await opened(ctx, alice)
    await alice.send("/topup")
    await alice.expect(contains="要向零钱充值多少")
    await alice.send("abc")
    await alice.expect(contains="不是")  # the reason, same step
    await alice.send("100")
    choose = await alice.expect(contains="从哪张卡充值 ¥100.00")
    await alice.press(choose, f"****{card['last4']}")
    await enter_pin(alice, pad=await keypad(alice))
    done = await alice.expect(contains="已从尾号", regex=r"¥100\.00")
    assert "¥100.00" in done.text.split("余额")[-1]
    assert await wallet_balance(ctx, alice.id) == 10_000

    await alice.send("/withdraw")
    await alice.expect(contains="要提现多少")
    await alice.send("20")
    preview = await alice.expect(contains="手续费：¥0.00")
    assert "到账金额：¥20.00" in preview.text
    await alice.press(preview, f"****{card['last4']}")
    await enter_pin(alice)
    done = await alice.expect(contains="已向尾号")
    assert "¥80.00" in done.text
    assert await wallet_balance(ctx, alice.id) == 8_000
    await scan_secrets(alice)


async def test_a_card_choice_that_is_not_the_persons_card_shows_the_choice_again(bot, ctx, bob, carol):
    mine = await opened(ctx, bob, balance=5_000)
    theirs = await opened(ctx, carol)
    await bob.send("/topup")
    await bob.expect(contains="How much")
    await bob.send("5")
    choose = await bob.expect(contains="from which card")
    data = next(b["callback_data"] for row in choose.keyboard for b in row if mine["last4"] in b["text"])
    await crafted(bot, bob, data.replace(f":{mine['card_id']}:", f":{theirs['card_id']}:"))  # Carol's card
    again = await bob.expect(contains="not one of the cards bound to your wallet")
    assert "no bank card bound" not in again.text and any(mine["last4"] in b for b in again.buttons)
    await bob.press(again, f"****{mine['last4']}")
    await enter_pin(bob, pad=await keypad(bob))
    await bob.expect(contains="Topped up ¥5.00")

    await bob.send("/withdraw")
    await bob.expect(contains="How much")
    await bob.send("20")
    preview = await bob.expect(contains="Arrives on your card")
    data = next(b["callback_data"] for row in preview.keyboard for b in row if mine["last4"] in b["text"])
    await crafted(bot, bob, data.replace(f":{mine['card_id']}:", ":99999:"))  # no such card
    again = await bob.expect(contains="not one of the cards bound to your wallet")
    assert "¥20.00" in again.text and any(mine["last4"] in b for b in again.buttons)
    await bob.press(again, f"****{mine['last4']}")
    await enter_pin(bob)
    await bob.expect(contains="Withdrawal of ¥20.00 sent")
    assert await wallet_balance(ctx, bob.id) == 5_000 + 500 - 2_000
    assert await wallet_balance(ctx, carol.id) == 0
    await scan_secrets(bob)
