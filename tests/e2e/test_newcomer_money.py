"""A newcomer opens a wallet in the chat (tests/e2e/steps.open_wallet), then tops up ¥100 and
withdraws ¥20 from the wallet home's buttons and sees the balance right; the audit is clean
(the ``ctx`` fixture audits the bot's database at the end)."""
from __future__ import annotations

import pytest

from tests.e2e.steps import assert_no_secrets, open_wallet
from tests.wallet.helpers import wallet_balance

TEXTS = {
    "zh_CN": {"ask": "要向零钱充值多少", "choose": "从哪张卡充值 ¥100.00", "topped": "已从尾号",
              "wd_ask": "要提现多少", "preview": "到账金额：¥20.00", "withdrawn": "已向尾号", "home": "🏠 钱包"},
    "en": {"ask": "How much do you want to add", "choose": "Top up ¥100.00 from which card", "topped": "Topped up",
           "wd_ask": "How much do you want to withdraw", "preview": "Arrives on your card: ¥20.00",
           "withdrawn": "Withdrawal of ¥20.00 sent", "home": "🏠 Wallet"},
}


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_open_top_up_100_withdraw_20(bot, ctx, people, emulator, who, alice, bob):
    person = alice if who == "alice" else bob
    opened = await open_wallet(people, person)
    lang = "zh_CN" if who == "alice" else "en"
    text = TEXTS[lang]
    last4 = opened.card[-4:]

    await person.press(opened.home, callback_data="home:topup")
    await person.expect(contains=text["ask"], edited=True)  # the home message turns into the step
    await person.send("100")
    choose = await person.expect(contains=text["choose"])
    await person.press(choose, f"****{last4}")
    pad = await person.expect(where=lambda m: any(b.startswith("pin:d:") for row in m.keyboard
                                                  for b in [x.get("callback_data", "") for x in row]))
    for digit in opened.pin:
        await person.press(pad, digit)
    done = await person.expect(contains=text["topped"])
    assert "¥100.00" in done.text

    await person.press(done, text["home"])
    home = await person.expect(contains="¥100.00", edited=True, where=lambda m: "home:withdraw" in str(m.keyboard))
    await person.press(home, callback_data="home:withdraw")
    await person.expect(contains=text["wd_ask"], edited=True)
    await person.send("20")
    preview = await person.expect(contains=text["preview"])
    await person.press(preview, f"****{last4}")
    pad = await person.expect(where=lambda m: any(x.get("callback_data", "").startswith("pin:d:")
                                                  for row in m.keyboard for x in row))
    for digit in opened.pin:
        await person.press(pad, digit)
    done = await person.expect(contains=text["withdrawn"])
    assert "¥80.00" in done.text
    assert await wallet_balance(bot.bot_data["wallet"], person.id) == 8_000
    await assert_no_secrets(people, person, opened.secrets, world=emulator.world)
