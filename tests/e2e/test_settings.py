"""Settings in the chat, through the emulator: language, time zone (button and typed), default card."""
from __future__ import annotations

from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import bind, card_for
from wallet.services import cards, people


async def test_language_time_zone_and_default_card(bot, ctx, alice):
    first = await opened(ctx, alice)
    second = await bind(ctx, alice.id, card=card_for(alice.id, "621700"))
    await alice.send("/settings")
    menu = await alice.expect(contains="设置")
    assert "时区：Asia/Shanghai（当前 20:" in menu.text  # the fake clock's 12:0x UTC, in Shanghai

    await alice.press(menu, "Switch to English")
    menu = await alice.expect(contains="Language: English", edited=True)
    assert (await people.profile(ctx, alice.id))["language"] == "en"

    await alice.press(menu, "Time zone")
    zones = await alice.expect(contains="Choose your time zone", edited=True)
    await alice.press(zones, "Europe/London")
    menu = await alice.expect(contains="Time zone set to Europe/London", edited=True)
    assert "(now 12:" in menu.text
    assert (await people.profile(ctx, alice.id))["timezone"] == "Europe/London"

    await alice.press(menu, "Time zone")
    zones = await alice.expect(contains="Choose your time zone", edited=True)
    await alice.press(zones, "Type another")
    await alice.expect(contains="Send the name of your time zone", edited=True)
    await alice.send("Mars/Olympus")
    await alice.expect(contains="is not a time zone I know")
    await alice.send("America/New_York")
    await alice.expect(contains="Time zone set to America/New_York")
    assert (await people.profile(ctx, alice.id))["timezone"] == "America/New_York"

    await alice.send("/settings")
    menu = await alice.expect(contains="Default card: ICBC debit ****" + first["last4"])
    await alice.press(menu, "Default card")
    choose = await alice.expect(contains="Choose your default card", edited=True)
    await alice.press(choose, "****" + second["last4"])
    menu = await alice.expect(contains="Default card changed", edited=True)
    assert "CCB debit ****" + second["last4"] in menu.text
    assert (await cards.default_card(ctx, alice.id))["card_id"] == second["card_id"]
    await scan_secrets(alice, extra=(card_for(alice.id, "621700"),))


async def test_a_card_unbound_meanwhile_cannot_become_the_default(bot, ctx, alice):
    await opened(ctx, alice)
    second = await bind(ctx, alice.id, card=card_for(alice.id, "621700"))
    await alice.send("/settings")
    menu = await alice.expect(contains="设置")
    await alice.press(menu, "默认卡")
    choose = await alice.expect(contains="请选择默认卡", edited=True)
    await cards.unbind_card(ctx, key="gone", user_id=alice.id, card_id=second["card_id"], pin="135790")
    await alice.press(choose, "****" + second["last4"])
    await alice.expect(contains="/cards", edited=True)
    assert all(not c["default"] for c in await cards.list_cards(ctx, alice.id))
    await scan_secrets(alice)


async def test_the_home_button_ends_a_flow_without_a_time_out_later(bot, ctx, bob):
    await opened(ctx, bob)
    await bob.send("/withdraw")
    await bob.expect(contains="How much do you want to withdraw")
    await bob.send("1")  # more than the balance: still on the amount step
    await bob.expect(contains="Not enough money")
    await bob.send("/settings")
    menu = await bob.expect(contains="Settings")
    await bob.press(menu, "Wallet")
    await bob.expect(contains="¥0.00", edited=True)
    await bob.send("12")  # the withdrawal flow is over: no amount step waits
    await bob.expect_none(contains="Arrives on your card")
    await scan_secrets(bob)


async def test_cards_security_and_settings_open_from_the_home_message_in_place(bot, ctx, bob):
    await opened(ctx, bob)
    await bob.send("/wallet")
    home = await bob.expect(where=lambda m: "home:cards" in str(m.keyboard))
    for button, title in (("home:cards", "Your bank cards"), ("home:security", "Security"),
                          ("home:settings", "Settings")):
        await bob.press(home, callback_data=button)
        page = await bob.expect(contains=title, edited=True)
        assert page.id == home.id  # one message, edited in place
        await bob.press(page, "Wallet")
        home = await bob.expect(where=lambda m: "home:cards" in str(m.keyboard), edited=True)
        assert home.id == page.id
    await scan_secrets(bob)
