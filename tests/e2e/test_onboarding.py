"""Opening a wallet through the emulator: a newcomer from /start to the wallet home, in Chinese
and in English; the chat never shows the PIN, the full ID number or the full card number."""
from __future__ import annotations

from tests.e2e.steps import assert_no_secrets, open_wallet
from wallet.audit import audit_engine, report
from wallet.services import bills, people as people_service


async def audit_clean(bot) -> None:
    wallet = bot.bot_data["wallet"]
    checks = await audit_engine(wallet.engine, now=wallet.now(), reconcile_seconds=wallet.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), report(checks)


async def test_newcomer_opens_a_wallet_in_chinese(bot, people, emulator, alice):
    opened = await open_wallet(people, alice)
    home = opened.home
    assert "我的钱包" in home.text and "¥0.00" in home.text and "沙箱" in home.text
    assert [b for b in home.buttons if "充值" in b] and [b for b in home.buttons if "设置" in b]
    profile = await people_service.profile(bot.bot_data["wallet"], alice.id)
    assert profile["verified"] and profile["pin_set"] and profile["language"] == "zh-CN"
    assert profile["phone"] == "138****0001"
    await assert_no_secrets(people, alice, opened.secrets, world=emulator.world)
    await audit_clean(bot)


async def test_newcomer_opens_a_wallet_in_english_and_wallet_shows_home(bot, people, emulator, bob):
    opened = await open_wallet(people, bob)
    assert "My wallet" in opened.home.text and "Balance: ¥0.00" in opened.home.text
    wallet = bot.bot_data["wallet"]
    assert (await bills.balance(wallet, bob.id))["wallet"] == 0
    await bob.send("/wallet")
    again = await bob.expect(contains="My wallet")
    assert again.id != opened.home.id and "home:topup" in str(again.keyboard)
    answer = await bob.press(again, callback_data="home:pay")
    assert not answer.show_alert
    await bob.expect(edited=True, contains="Pay / Collect")
    await bob.send("/start")  # once open, /start is the wallet home too
    await bob.expect(contains="My wallet")
    await assert_no_secrets(people, bob, opened.secrets, world=emulator.world)
    await audit_clean(bot)
