"""免密支付 through the emulator: Bob turned on small payments without the PIN (¥10 a payment, ¥15 a
day); paying Alice's shop ¥8 goes at once with no keypad; ¥9 more passes the day's limit, so the
keypad comes after all and the PIN pays it; ¥12 is above the amount per payment: the keypad at
once. The audit runs after the test; the chat is scanned for secrets."""
from __future__ import annotations

from sqlalchemy import select

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_shop import code_and_link, register_shop
from tests.wallet.helpers import PIN, wallet_balance
from wallet.models import risk_decisions
from wallet.risk import settings as risk_settings
from wallet.services import risk_settings as prefs
from wallet.uow import read


async def test_small_payments_without_the_pin_and_the_keypad_beyond_the_limits(bot, ctx, alice, bob, tmp_path):
    ctx.risk = risk_settings.load()
    await opened(ctx, alice)
    await opened(ctx, bob, balance=10_000)
    await bob.send("/start")
    await prefs.set_prefs(ctx, key="np", user_id=bob.id, pin=PIN, no_pin_max=1_000, no_pin_daily=1_500)
    await register_shop(alice, "花店", "零售百货")
    link, _ = await code_and_link(alice, tmp_path)

    async def pay(amount: str):
        await bob.open_link(link)
        await bob.expect(contains="Type the amount")
        await bob.send(amount)
        screen = await bob.expect(contains=f"¥{amount}.00")
        await bob.press(screen, "Pay")
        return screen

    screen = await pay("8")
    await bob.expect(contains="Paid")
    pads = [m for m in await bob.messages() if m.id > screen.id and "○" in m.text]
    assert pads == [] and await wallet_balance(ctx, bob.id) == 9_200  # no keypad: paid at once

    await pay("9")  # 8 + 9 > the day's 15: the PIN after all
    await bob.expect(contains="outside your no-PIN payments")
    await enter_pin(bob, pad=await keypad(bob))
    await bob.expect(contains="Paid")
    assert await wallet_balance(ctx, bob.id) == 8_300

    await pay("12")  # above ¥10 a payment: the keypad at once
    await enter_pin(bob, pad=await keypad(bob))
    await bob.expect(contains="Paid")
    assert await wallet_balance(ctx, bob.id) == 7_100 and await wallet_balance(ctx, alice.id) == 2_900
    waived = await read(ctx, lambda conn: conn.execute(select(risk_decisions.c.amount).where(risk_decisions.c.pin_waived)))
    assert [r.amount for r in waived.all()] == [800]
    await scan_secrets(bob)
