"""Paying a shop in the web chat (headless Chromium): the shop's payment link posted in a group is
clicked, the private chat opens on the payment, Pay, the PIN on the keypad, paid; the shop is told.
Screenshot in tests/artifacts/webchat-pay.png."""
from __future__ import annotations

import pytest

from emulator.seed import seed_demo
from tests.e2e.flows import bot, opened  # noqa: F401 (bot: the fixture, on the suite's wallet)
from tests.e2e.test_browser import ARTIFACTS, _bot_says, _type_pin, page  # noqa: F401 (page: the fixture)
from tests.people import Person
from tests.wallet.helpers import PIN, wallet_balance
from wallet.services import merchants

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


async def test_web_chat_pays_a_shop_by_clicking_its_payment_link(emulator, bot, ctx, people, page):
    from playwright.async_api import expect

    from chat.render.qr import pay_link

    world = emulator.world
    seed_demo(world)
    alice = next(u for u in world.users.values() if u.first_name == "Alice")
    bob = next(u for u in world.users.values() if u.first_name == "Bob")
    group = next(c for c in world.chats.values() if c.type == "group")
    await opened(ctx, Person(people, {"id": alice.id, "first_name": "Alice", "language_code": "zh-CN"}))
    await opened(ctx, Person(people, {"id": bob.id, "first_name": "Bob", "language_code": "en"}), balance=10_000)
    owner = Person(people, {"id": alice.id, "first_name": "Alice", "language_code": "zh-CN"})
    await owner.send("/start")
    shop = await merchants.register_shop(ctx, key="s1", owner_id=alice.id, name="街角咖啡 Corner Café", category="food")
    code = await merchants.create_code(ctx, key="c1", owner_id=alice.id, shop_id=shop["shop_id"], amount=1_880)
    link = pay_link(world.bot.username, code["code"])
    world.user_sends(alice.id, group.id, f"咖啡 ¥18.80，点这里付款 Pay here: {link}")

    await page.goto(f"{emulator.url}/?user={bob.id}")
    await page.wait_for_selector("body[data-ready='1']", timeout=15000)
    await page.locator(".chat-item[data-type='group']").click()
    anchor = page.locator(".msg .bubble a").filter(has_text="start=pay_")
    await expect(anchor).to_have_count(1, timeout=10000)
    await anchor.click()
    await expect(page.locator(".chat-item.active")).to_have_attribute("data-type", "private", timeout=10000)
    screen = await _bot_says(page, "Pay ¥18.80 to")
    await expect(screen).to_contain_text("Corner Café")
    await screen.get_by_role("button", name="Pay ¥18.80").click()
    await _type_pin(page, "Enter your payment PIN", PIN)
    done = await _bot_says(page, "Paid")
    await expect(done).to_contain_text("¥18.80")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-pay.png"))
    texts = await page.locator(".msg").all_inner_texts()
    assert not [t for t in texts if PIN in t]

    assert await wallet_balance(ctx, bob.id) == 10_000 - 1_880
    assert await wallet_balance(ctx, alice.id) == 1_880
    told = await owner.expect(contains="向你的店铺", since=0)
    assert "¥18.80" in told.text
