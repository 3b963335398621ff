"""Risk control in chat through the emulator, with the engine on: a person sets and clears each
anti-theft setting with the PIN (a wrong PIN, careless amounts, old and crafted buttons change
nothing) and reads the recent safety checks; admins release a held payment and return others from
the notice and from /risk (each asks first; a second press or another admin gets "already"; a
release that cannot run leaves the hold for a return); a non-admin's /risk and crafted risk buttons
are refused. Every scenario ends with the audit (the fixtures) and a scan of the chats for secrets."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup

from handlers.start import help as help_flow
from jobs.outbox import drain_once
from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.steps import bot_settings
from tests.people import Message, Person
from tests.wallet.helpers import PIN, set_now, wallet_balance
from tests.wallet.risk.cases import SETTINGS as S
from wallet.errors import RiskFrozen
from wallet.risk.prefs import Prefs
from wallet.services import people as persons
from wallet.services import risk_holds, risk_settings, transfers

WRONG = "246802"
HOLDING = S.model_copy(update={"thresholds": S.thresholds.model_copy(
    update={"ask": 25, "hold": S.velocity.count.weight, "freeze": 10_000})})  # many payments in minutes: held
FREEZING = S.model_copy(update={"thresholds": S.thresholds.model_copy(
    update={"ask": 10, "hold": 20, "freeze": S.velocity.count.weight})})  # ... frozen


def engine_on(bot, ctx, *admins: Person) -> None:
    """The risk engine on (the shipped settings, or ``HOLDING``) and these admins, for the wallet
    and the chat alike (as Settings(risk_engine=True, admin_ids=…) builds them)."""
    ctx.risk = S
    ctx.admin_ids = tuple(a.id for a in admins)
    bot_settings(bot).admin_ids = ctx.admin_ids
    set_now(ctx, datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc))  # 12:00 in Shanghai: no night


async def crafted(bot, person: Person, data: str):
    """A button with ``data`` in ``person``'s private chat (a modified client may send any callback_data)."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])
    sent = await bot.bot.send_message(person.id, "crafted", reply_markup=markup)
    msg = await person.expect(where=lambda m: m.id == sent.message_id)
    return await person.press(msg, callback_data=data)


def data_of(msg: Message, prefix: str) -> str:
    found = [b["callback_data"] for row in msg.keyboard for b in row if b.get("callback_data", "").startswith(prefix)]
    assert found, f"no button {prefix}… on {msg}"
    return found[0]


async def greet(*persons: Person) -> None:
    """Each writes to the bot first (a bot may write only to people who did: the notices)."""
    for person in persons:
        await person.send("/help")
        await person.expect(contains="/risk")


async def name(ctx, person: Person) -> str:
    """The first name the wallet knows the person by (what notices and /risk show)."""
    return (await persons.profile(ctx, person.id))["first_name"]


async def prefs(ctx, person: Person) -> Prefs:
    return await risk_settings.get_prefs(ctx, person.id)


# --- the person: anti-theft settings ----------------------------------------------------------------
async def open_settings(bob: Person) -> Message:
    await bob.send("/security")
    menu = await bob.expect(contains="Security")
    await bob.press(menu, "Anti-theft settings")
    return await bob.expect(contains="Anti-theft settings", edited=True)


async def save_with_pin(bob: Person, title: str) -> Message:
    """The keypad titled ``title``, the right PIN: the settings again, saying "Saved"."""
    await enter_pin(bob, PIN, pad=await keypad(bob, contains=title))
    return await bob.expect(contains="✅ Saved.")


async def test_a_person_sets_and_clears_each_anti_theft_setting_with_the_pin(bot, ctx, bob, alice):
    await opened(ctx, bob, balance=10_000)
    await opened(ctx, alice)
    engine_on(bot, ctx)
    screen = await open_settings(bob)
    assert "SMS code for large payments: off" in screen.text and "Night lock: off" in screen.text
    assert "between 00:00 and 06:00" in screen.text and "after 2 h" in screen.text
    assert "Small payments without the PIN (免密支付): off" in screen.text and "Never for withdrawals" in screen.text
    assert "switched off" not in screen.text  # the engine is on

    # SMS above ¥X: text, zero and a huge number are refused with the reason, same step
    await bob.press(screen, "SMS code above")
    ask = await bob.expect(contains="Send the amount above which", edited=True)
    assert "Turn it off" not in ask.buttons  # nothing to turn off yet
    await bob.send("five hundred")
    await bob.expect(contains="not an amount")
    await bob.send("0")
    await bob.expect(contains="more than ¥0")
    await bob.send("99999999999999")
    await bob.expect(contains="too large")
    await bob.send("500")
    await enter_pin(bob, WRONG, pad=await keypad(bob, contains="above ¥500.00: enter your PIN"))
    await bob.expect(contains="Wrong PIN")
    assert await prefs(ctx, bob) == Prefs()  # a wrong PIN changes nothing
    saved = await save_with_pin(bob, "above ¥500.00: enter your PIN")
    assert "SMS code for large payments: above ¥500.00" in saved.text
    assert await prefs(ctx, bob) == Prefs(sms_above=50_000)

    # the night lock: on, then off, straight to the PIN
    await bob.press(saved, "Turn night lock on")
    saved = await save_with_pin(bob, "Night lock on: enter your PIN")
    assert "Night lock: on" in saved.text and (await prefs(ctx, bob)).night_lock is True
    await bob.press(saved, "Turn night lock off")
    saved = await save_with_pin(bob, "Night lock off: enter your PIN")
    assert "Night lock: off" in saved.text and (await prefs(ctx, bob)).night_lock is False

    # new recipients: ¥1,000
    await bob.press(saved, "New recipients")
    await bob.expect(contains="arrives after 2 h, like 1000", edited=True)
    await bob.send("1000")
    saved = await save_with_pin(bob, "above ¥1000.00 wait: enter your PIN")
    assert "New recipients: above ¥1000.00" in saved.text

    # 免密支付: per payment, then a day's limit that cannot be below it
    await bob.press(saved, "Without PIN")
    await bob.expect(contains="withdrawals never do", edited=True)
    await bob.send("50")
    await bob.expect(contains="most without the PIN in a day: at least ¥50.00")
    await bob.send("20")
    await bob.expect(contains="cannot be below one payment's (¥50.00)")
    await bob.send("200")
    saved = await save_with_pin(bob, "up to ¥50.00 a payment, ¥200.00 a day")
    assert "(免密支付): up to ¥50.00 a payment and ¥200.00 a day" in saved.text
    assert await prefs(ctx, bob) == Prefs(sms_above=50_000, new_recipient_delay_above=100_000, no_pin_max=5_000,
                                          no_pin_daily=20_000)

    # clearing: the Off button, or "off" typed; a cancelled keypad changes nothing
    await bob.press(saved, "SMS code above")
    ask = await bob.expect(contains="now: above ¥500.00", edited=True)
    await bob.press(ask, "Turn it off")
    pad = await keypad(bob, contains="SMS code for large payments off")
    await bob.press(pad, "Cancel")
    await bob.expect(contains="Cancelled")
    assert (await prefs(ctx, bob)).sms_above == 50_000
    answer = await bob.press(ask, callback_data=data_of(ask, "ats:off:"))  # the old prompt, after the change ended
    assert answer.show_alert and "Nothing was changed" in answer.text
    screen = await open_settings(bob)
    await bob.press(screen, "SMS code above")
    ask = await bob.expect(contains="now: above ¥500.00", edited=True)
    await bob.press(ask, "Turn it off")
    saved = await save_with_pin(bob, "SMS code for large payments off")
    await bob.press(saved, "New recipients")
    await bob.expect(contains="now: above ¥1000.00", edited=True)
    await bob.send("off")
    saved = await save_with_pin(bob, "wait off: enter your PIN")
    await bob.press(saved, "Without PIN")
    ask = await bob.expect(contains="now: up to ¥50.00", edited=True)
    await bob.press(ask, "Turn it off")
    pad = await keypad(bob, contains="Payments without the PIN off")
    answer = await bob.press(ask, callback_data=data_of(ask, "ats:off:"))  # a double tap: answered, does nothing
    assert "still working on your last tap" in answer.text or (answer.show_alert and "Nothing was changed" in answer.text)
    await enter_pin(bob, PIN, pad=pad)
    saved = await bob.expect(contains="✅ Saved.")
    assert len([m for m in await bob.messages() if "Payments without the PIN off" in m.text]) == 1  # one keypad
    assert "免密支付): off" in saved.text and "SMS code for large payments: off" in saved.text
    assert await prefs(ctx, bob) == Prefs()

    # crafted and someone else's buttons: refused, nothing changes
    await bob.press(saved, "SMS code above")
    ask = await bob.expect(contains="Send the amount above which", edited=True)
    bobs_cancel = data_of(ask, "ats:no:")
    await greet(alice)
    answer = await crafted(bot, alice, bobs_cancel.replace(":no:", ":off:"))  # Bob's nonce, Alice's chat
    assert answer.show_alert and "没有任何改动" in answer.text
    for person in (alice, bob):  # a setting the screen never offers
        answer = await crafted(bot, person, "ats:set:withdraw")
        assert answer.show_alert and ("没有任何改动" in answer.text or "Nothing was changed" in answer.text)
    await bob.press(ask, callback_data=bobs_cancel)
    await bob.expect(contains="Cancelled", edited=True)
    assert await prefs(ctx, bob) == Prefs() and await prefs(ctx, alice) == Prefs()
    await scan_secrets(bob, pins=(PIN, WRONG))
    await scan_secrets(alice)


async def test_recent_safety_checks_say_what_happened_and_why(bot, ctx, bob, alice):
    await opened(ctx, bob, balance=50_000)
    await opened(ctx, alice)
    engine_on(bot, ctx)
    await bob.send("/security")
    menu = await bob.expect(contains="Security")
    assert "Last safety check" not in menu.text
    await bob.press(menu, "Recent safety checks")
    await bob.expect(contains="None: risk control has not questioned", edited=True)

    ctx.risk = HOLDING
    for i in range(S.velocity.count.over + 1):  # the sixth in a few minutes is held
        await transfers.send(ctx, key=f"t{i}", sender_id=bob.id, recipient_id=alice.id, amount=1_000, pin=PIN)
        ctx.clock.advance(seconds=5)
    await bob.send("/security")
    menu = await bob.expect(contains="Security")
    assert "Last safety check: 12-03 12:00, transfer ¥10.00: ⏳ held for review." in menu.text
    await bob.press(menu, "Recent safety checks")
    checks = await bob.expect(contains="Recent safety checks", edited=True)
    assert "transfer ¥10.00\n⏳ held for review. Why: many payments in a few minutes" in checks.text
    assert "/freeze" in checks.text
    assert len(await risk_holds.held(ctx, user_id=bob.id)) == 1
    await scan_secrets(bob)


# --- the admins: held payments ----------------------------------------------------------------------
async def hold_some(ctx, alice: Person, bob: Person, amounts: list[int]) -> list[dict]:
    """Alice pays Bob five small transfers in a few minutes, then each of ``amounts`` is held."""
    ctx.risk = HOLDING
    for i in range(S.velocity.count.over):
        await transfers.send(ctx, key=f"ok{i}", sender_id=alice.id, recipient_id=bob.id, amount=100, pin=PIN)
        ctx.clock.advance(seconds=5)
    held = []
    for i, amount in enumerate(amounts):
        done = await transfers.send(ctx, key=f"held{i}", sender_id=alice.id, recipient_id=bob.id, amount=amount,
                                    pin=PIN)
        assert done["held"] is True
        held.append(done)
    return held


async def test_admins_release_one_held_payment_and_return_others(bot, ctx, people, alice, bob, carol):
    first = await people.person("Admin One", "en")
    second = await people.person("Admin Two", "en")
    await opened(ctx, alice, balance=100_000)
    await opened(ctx, bob)
    await opened(ctx, carol)
    engine_on(bot, ctx, first, second)
    await greet(first, second, alice, bob, carol)
    one, two, three = await hold_some(ctx, alice, bob, [7_000, 3_000, 2_000])
    start = await wallet_balance(ctx, alice.id)
    payer, payee = await name(ctx, alice), await name(ctx, bob)
    await drain_once(bot)
    card = await first.expect(contains=f"Payment in review #{one['hold_id']}")
    assert f"A transfer of ¥70.00 by {payer}" in card.text and card.buttons == ["Release", "Return to payer"]
    await second.expect(contains=f"Payment in review #{one['hold_id']}")

    # the first admin releases #1 from the notice: asked first
    await first.press(card, "Release")
    ask = await first.expect(contains=f"Release ¥70.00 from {payer} ({alice.id})")
    assert f"to {payee} ({bob.id})" in ask.text and ask.buttons == ["✅ Yes, release", "No, keep in review"]
    assert (await risk_holds.get(ctx, one["hold_id"]))["status"] == "held"  # asking changes nothing
    answer = await first.press(ask, "Yes, release")
    assert answer.text == "Released."
    await first.expect(contains=f"Released #{one['hold_id']}: ¥70.00 from {payer}", edited=True)
    assert (await risk_holds.get(ctx, one["hold_id"]))["status"] == "released"
    again = await first.press(ask, callback_data=data_of(ask, "risk:releaseok:"), forge=True)  # a double tap
    assert again.text == "Released."  # replayed: nothing moves twice
    assert await wallet_balance(ctx, alice.id) == start  # the money left Alice when it was held
    await drain_once(bot)
    told = await alice.expect(contains="¥70.00", since=0)  # told (in her language)
    assert "放行" in told.text or "released" in told.text

    # a second press on the card, and the other admin's: already released
    answer = await first.press(card, "Release")
    assert answer.show_alert and "already released" in answer.text
    other = await second.expect(contains=f"Payment in review #{one['hold_id']}", since=0)
    answer = await second.press(other, "Return to payer")
    assert answer.show_alert and "already released" in answer.text

    # the second admin: /risk lists #2 and #3 with why, returns #2
    await second.send("/risk")
    listing = await second.expect(contains="Payments in review")
    assert f"#{two['hold_id']}" in listing.text and f"#{one['hold_id']} " not in listing.text
    assert "Why: many payments in a few minutes" in listing.text and f"{payer} ({alice.id}) → {payee} ({bob.id})" in listing.text
    assert "No risk freezes lately" in listing.text
    await second.press(listing, callback_data=data_of(listing, f"risk:return:{two['hold_id']}"))
    ask = await second.expect(contains=f"Return ¥30.00 to {payer}")
    await second.press(ask, "Yes, return")
    await second.expect(contains=f"Returned #{two['hold_id']}: ¥30.00 is back", edited=True)
    assert await wallet_balance(ctx, alice.id) == start + 3_000
    answer = await crafted(bot, first, data_of(ask, "risk:returnok:"))  # the other admin, the same button
    assert answer.show_alert and "already returned" in answer.text
    assert await wallet_balance(ctx, alice.id) == start + 3_000

    # #3: "No" leaves it; a release while Alice is frozen changes nothing and offers the return
    await second.press(listing, "Refresh")
    listing = await second.expect(contains="Payments in review", edited=True)
    assert f"#{two['hold_id']} " not in listing.text and f"#{three['hold_id']}" in listing.text
    await second.press(listing, callback_data=data_of(listing, f"risk:release:{three['hold_id']}"))
    ask = await second.expect(contains=f"Release ¥20.00 from {payer}")
    await second.press(ask, "No, keep in review")
    await second.expect(contains="Left in review", edited=True)
    await persons.freeze(ctx, key="stolen", user_id=alice.id)
    await second.press(listing, callback_data=data_of(listing, f"risk:release:{three['hold_id']}"))
    ask = await second.expect(contains=f"Release ¥20.00 from {payer}")
    answer = await second.press(ask, "Yes, release")
    assert answer.show_alert and "frozen" in answer.text
    failed = await second.expect(contains="not released", edited=True)
    assert (await risk_holds.get(ctx, three["hold_id"]))["status"] == "held"
    await second.press(failed, f"Return #{three['hold_id']}")
    ask = await second.expect(contains=f"Return ¥20.00 to {payer}")
    await second.press(ask, "Yes, return")
    await second.expect(contains=f"Returned #{three['hold_id']}", edited=True)
    assert await wallet_balance(ctx, alice.id) == start + 5_000
    assert await risk_holds.held(ctx) == []
    await drain_once(bot)
    for person in (alice, bob, carol):
        await scan_secrets(person)


async def test_a_non_admin_is_refused_risk_and_its_buttons(bot, ctx, people, alice, bob, carol):
    admin = await people.person("Admin", "en")
    await opened(ctx, alice, balance=100_000)
    await opened(ctx, bob)
    await opened(ctx, carol, balance=100_000)
    engine_on(bot, ctx, admin)
    await greet(admin, bob)
    await help_flow.set_commands(bot)  # as at start: the admins' chats get /risk in their menu, nobody else
    mine = await bot.bot.get_my_commands(scope=BotCommandScopeChat(admin.id), language_code="en")
    assert [c.command for c in mine][-1] == "risk" and "payments in review" in mine[-1].description
    assert "risk" not in [c.command for c in await bot.bot.get_my_commands(language_code="en")]
    assert "risk" not in [c.command for c in await bot.bot.get_my_commands(scope=BotCommandScopeChat(bob.id))]
    [held] = await hold_some(ctx, alice, bob, [5_000])
    hid = held["hold_id"]
    await bob.send("/risk")
    await bob.expect(contains="Only an admin can do this")
    for data in (f"risk:release:{hid}", f"risk:releaseok:{hid}", f"risk:returnok:{hid}", f"risk:keep:{hid}",
                 "risk:list:0", "risk:zap:1"):
        answer = await crafted(bot, bob, data)
        assert answer.show_alert and "Only an admin can do this" in answer.text, data
    assert (await risk_holds.get(ctx, hid))["status"] == "held"
    group = await people.group("Friends", admin, bob)
    await admin.send(group, "/risk")
    await admin.expect(group, contains="only in your private chat")
    answer = await crafted(bot, admin, "risk:zap:1")  # an admin's crafted press: refused, nothing changes
    assert answer.show_alert and "out of date" in answer.text
    ctx.risk = FREEZING  # Carol's sixth payment in minutes freezes her wallet
    for i in range(S.velocity.count.over):
        await transfers.send(ctx, key=f"c{i}", sender_id=carol.id, recipient_id=bob.id, amount=100, pin=PIN)
    with pytest.raises(RiskFrozen):
        await transfers.send(ctx, key="c-last", sender_id=carol.id, recipient_id=bob.id, amount=4_000, pin=PIN)
    await admin.send("/risk")
    listing = await admin.expect(contains=f"#{hid}")
    assert "Recent risk freezes" in listing.text
    assert f"{await name(ctx, carol)} ({carol.id}) · transfer ¥40.00\nWhy: many payments in a few minutes" in listing.text
    await admin.press(listing, callback_data=data_of(listing, f"risk:return:{hid}"))
    ask = await admin.expect(contains=f"Return ¥50.00 to {await name(ctx, alice)}")
    await admin.press(ask, "Yes, return")
    await admin.expect(contains="Returned", edited=True)
    for person in (alice, bob, carol):
        await scan_secrets(person)
