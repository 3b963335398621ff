"""Transfers in chat through the emulator: pick a person, amount, note, arrival, confirm, PIN; the
recipient's card with Accept / Return; delayed arrival and Revoke; a group transfer by reply;
someone else's button, crafted callback_data and a double tap on Confirm."""
from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from jobs.sweeps import sweep_once
from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import wallet_balance


async def crafted(bot, person, data: str):
    """A button with ``data`` in ``person``'s private chat (as a modified client could send any
    callback_data): the bot must refuse what this person may not do."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])
    sent = await bot.bot.send_message(person.id, "crafted", reply_markup=markup)
    msg = await person.expect(where=lambda m: m.id == sent.message_id)
    return await person.press(msg, callback_data=data)


async def _send(alice, bob, amount: str = "20", *, note: str | None = None, delay: str = "实时到账"):
    """Alice (in Chinese) transfers to Bob in the private chat; returns the confirm screen."""
    await alice.send("/transfer")
    await alice.expect(contains="转给谁")
    await alice.share_users(bob)
    await alice.expect(contains="要转给")
    await alice.send(amount)
    ask_note = await alice.expect(contains="添加转账说明")
    if note is None:
        await alice.press(ask_note, "跳过")
    else:
        await alice.send(note)
    ask_delay = await alice.expect(contains="什么时候到账")
    await alice.press(ask_delay, delay)
    return await alice.expect(contains="确认向")


async def test_private_transfer_accepted(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=10_000)
    await opened(ctx, bob)
    await bob.send("/start")
    screen = await _send(alice, bob, "20", note="dinner")
    assert "¥20.00" in screen.text and "dinner" in screen.text
    await alice.press(screen, "确认")
    await enter_pin(alice, pad=await keypad(alice))
    await alice.expect(contains="→", regex=r"¥20\.00")
    card = await bob.expect(contains="→", regex=r"¥20\.00")
    assert any("Accept" in b for b in card.buttons) and any("Return" in b for b in card.buttons)
    assert await wallet_balance(ctx, alice.id) == 8_000

    answer = await bob.press(card, "Accept")
    assert "¥20.00" in answer.text
    assert await wallet_balance(ctx, bob.id) == 2_000
    await bob.expect(contains="Accepted")  # the card, edited
    await alice.expect(contains="¥20.00", regex="已收下")  # the outbox notice
    again = await crafted(bot, bob, card.keyboard[0][0]["callback_data"])
    assert "¥20.00" in again.text and await wallet_balance(ctx, bob.id) == 2_000  # replayed, not paid twice
    await scan_secrets(alice)
    await scan_secrets(bob)


async def test_private_transfer_returned_and_others_refused(bot, ctx, alice, bob, carol):
    await opened(ctx, alice, balance=10_000)
    await opened(ctx, bob)
    await opened(ctx, carol, balance=1_000)
    await bob.send("/start")
    await carol.send("/start")
    screen = await _send(alice, bob, "30")
    await alice.press(screen, "确认")
    await enter_pin(alice)
    card = await bob.expect(contains="→", regex=r"¥30\.00")
    tid = card.keyboard[0][0]["callback_data"].split(":")[2]

    # Alice (the sender) presses the recipient's button: refused, nothing moves
    refused = await crafted(bot, alice, f"tf:acc:{tid}")
    assert refused.show_alert and "不是给你的" in refused.text
    # Carol crafts callback_data with Alice's transfer id, in her own chat: refused too
    forged = await crafted(bot, carol, f"tf:acc:{tid}")
    assert forged.show_alert and "不是给你的" in forged.text
    forged = await crafted(bot, carol, f"tf:rev:{tid}")
    assert forged.show_alert
    forged = await crafted(bot, carol, f"tf:ret:{tid}")
    assert forged.show_alert
    assert await wallet_balance(ctx, carol.id) == 1_000 and await wallet_balance(ctx, bob.id) == 0

    answer = await bob.press(card, "Return")
    assert "¥30.00" in answer.text
    assert await wallet_balance(ctx, alice.id) == 10_000 and await wallet_balance(ctx, bob.id) == 0
    await alice.expect(contains="¥30.00", regex="退还")
    await scan_secrets(alice)


async def test_transfer_left_to_expire_is_refunded_and_both_told(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await bob.send("/start")
    screen = await _send(alice, bob, "12")
    await alice.press(screen, "确认")
    await enter_pin(alice)
    await bob.expect(contains="→", regex=r"¥12\.00")
    assert await wallet_balance(ctx, alice.id) == 3_800
    ctx.clock.advance(hours=25)
    assert len((await sweep_once(bot))["transfers"]) == 1
    assert await wallet_balance(ctx, alice.id) == 5_000
    await alice.expect(contains="¥12.00", regex="24 小时内未被收款")
    await bob.expect(contains="¥12.00", regex="went back")


async def test_delayed_transfer_revoked(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await bob.send("/start")
    screen = await _send(alice, bob, "15", delay="2 小时后")
    await alice.press(screen, "确认")
    await enter_pin(alice)
    mine = await alice.expect(contains="到账时间", regex=r"¥15\.00")
    card = await bob.expect(contains="→", regex=r"¥15\.00")
    early = await bob.press(card, "Accept")
    assert early.show_alert and await wallet_balance(ctx, bob.id) == 0
    # Bob cannot revoke Alice's transfer
    sneaky = await crafted(bot, bob, mine.keyboard[0][0]["callback_data"])
    assert sneaky.show_alert and "Only the sender can revoke" in sneaky.text  # not "only its recipient"
    answer = await alice.press(mine, "撤回")
    assert "¥15.00" in answer.text
    assert await wallet_balance(ctx, alice.id) == 5_000
    edited = await bob.expect(edited=True, where=lambda m: m.id == card.id, since=0)  # the card says so
    assert "Revoked" in edited.text and not edited.keyboard
    late = await crafted(bot, bob, card.keyboard[0][0]["callback_data"])  # the old Accept button
    assert late.show_alert and await wallet_balance(ctx, bob.id) == 0


async def test_double_tap_on_confirm_pays_once_and_stale_screen_refused(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    screen = await _send(alice, bob, "10")
    ok = screen.keyboard[0][0]["callback_data"]
    await asyncio.gather(alice.press(screen, callback_data=ok), alice.press(screen, callback_data=ok))
    await enter_pin(alice, pad=await keypad(alice))
    await alice.expect(contains="→", regex=r"¥10\.00")
    assert await wallet_balance(ctx, alice.id) == 4_000
    again = await crafted(bot, alice, ok)
    assert again.show_alert  # the draft is gone: a stale nonce
    assert await wallet_balance(ctx, alice.id) == 4_000
    stale = await crafted(bot, alice, "tf:ok:0:AAAAAAAAAAAA")
    assert stale.show_alert and await wallet_balance(ctx, alice.id) == 4_000


async def test_group_transfer_by_reply(bot, ctx, people, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await alice.send("/start")
    group = await people.group("Dinner", alice, bob)
    said = await bob.send(group, "who pays?")
    await alice.send(group, "/transfer 20 dinner", reply_to=said)
    note = await alice.expect(group, contains="私聊")
    # a button to the private chat, where the confirmation waits
    assert [b.get("url") for row in note.keyboard for b in row] == [f"https://t.me/{bot.bot.username}"]
    screen = await alice.expect(contains="确认向")
    await alice.press(screen, "确认")
    await enter_pin(alice)
    card = await alice.expect(group, contains="→", regex=r"¥20\.00")
    assert "dinner" in card.text
    # read by the whole group: in both languages, the sender's first; so are its buttons
    assert card.text.index("等待对方收款") < card.text.index("Waiting for the recipient to accept")
    assert card.buttons == ["✅ 收款 Accept", "↩️ 退还 Return"]
    refused = await alice.press(card, "Accept")
    assert refused.show_alert
    answer = await bob.press(card, "Accept")
    assert "¥20.00" in answer.text
    assert await wallet_balance(ctx, bob.id) == 2_000 and await wallet_balance(ctx, alice.id) == 3_000
    edited = await bob.expect(group, edited=True, where=lambda m: m.id == card.id, since=0)
    assert "已收款" in edited.text and "Accepted" in edited.text and not edited.keyboard
    await scan_secrets(alice)
