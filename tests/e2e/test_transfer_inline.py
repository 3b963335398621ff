"""Inline transfers through the emulator: ``@bot 20`` offers a transfer and a red packet; the
chosen card waits for the sender's PIN in the private chat, then goes live; the first person
other than the sender with an open wallet who presses Accept receives it (the rest get a popup);
the sender may take it back; unaccepted it is refunded after 24 h and the card says so."""
from __future__ import annotations

import asyncio

from jobs.sweeps import sweep_once
from tests.e2e.flows import bot, enter_pin, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_red_packet_more import crafted_press
from tests.wallet.helpers import wallet_balance


async def post_inline_transfer(alice, chat, query: str = "20 dinner"):
    """Alice types ``@bot <query>``, picks the transfer, confirms with her PIN; returns the live card."""
    query_id, results = await alice.inline(query)
    result = next(r for r in results if r["id"].startswith("tf:"))
    posted = await alice.choose(query_id, result["id"], chat)
    assert posted.inline_message_id and "等待发送人确认" in posted.text
    url = next(b["url"] for row in posted.keyboard for b in row if b.get("url"))
    await alice.open_link(url)
    screen = await alice.expect(contains="确认向")
    assert "第一个收款的人" in screen.text
    await alice.press(screen, "确认")
    await enter_pin(alice)
    await alice.expect(contains="已在聊天中生效")
    live = await alice.expect(chat, edited=True, from_bot=None, since=0,
                              where=lambda m: m.inline_message_id == posted.inline_message_id and "take" in str(m.keyboard))
    return live


async def test_inline_query_offers_a_transfer_and_a_red_packet(bot, alice):
    _, results = await alice.inline("20")
    titles = {r["id"].split(":")[0]: r["title"] for r in results}
    assert set(titles) == {"tf", "hb"} and all("¥20.00" in title for title in titles.values())
    _, shares = await alice.inline("20 5 新年快乐")
    assert [r["id"].split(":")[0] for r in shares] == ["hb"]  # five shares: a red packet only
    _, nothing = await alice.inline("hello")
    assert nothing == []


async def test_inline_transfer_goes_to_the_first_taker_only(bot, ctx, people, emulator, alice, bob, carol):
    dave = await people.person("Dave", "en", username="dave")
    eve = await people.person("Eve", "en", username="eve")
    group = await people.group("Inline transfer", alice, bob, carol, dave, eve)
    await opened(ctx, alice, balance=5_000)
    for p in (bob, dave, eve):
        await opened(ctx, p)
    live = await post_inline_transfer(alice, group)
    assert "¥20.00" in live.text and "dinner" in live.text and "第一个" in live.text
    assert await wallet_balance(ctx, alice.id) == 3_000
    tid = next(b["callback_data"] for row in live.keyboard for b in row if b.get("callback_data", "").startswith("tf:take"))
    tid = tid.split(":")[2]

    own = await alice.press(live, "收款")  # the sender cannot take her own transfer
    assert own.show_alert and await wallet_balance(ctx, alice.id) == 3_000
    newcomer = await carol.press(live, "收款")  # no wallet: told how to open one; the card stays open
    assert newcomer.show_alert and "开通钱包" in newcomer.text
    # the card's callback_data pressed on another message (no inline_message_id): refused
    msg = await bob.send("/start")
    forged = await crafted_press(emulator, bob, msg, f"tf:take:{tid}")
    assert forged.get("show_alert") and "not valid" in forged["text"]

    answers = await asyncio.gather(*(p.press(live, "收款") for p in (bob, dave, eve)))
    won = [a for a in answers if not a.show_alert]
    assert len(won) == 1 and "¥20.00" in won[0].text
    assert all("someone else" in a.text for a in answers if a.show_alert)
    balances = {p.first_name: await wallet_balance(ctx, p.id) for p in (bob, dave, eve)}
    assert sorted(balances.values()) == [0, 0, 2_000]
    winner = next(name for name, fen in balances.items() if fen)
    final = await alice.expect(group, edited=True, from_bot=None, contains="已收款",
                               where=lambda m: m.inline_message_id == live.inline_message_id)
    assert winner in final.text and not final.keyboard
    await alice.expect(contains="¥20.00", regex="已收下")  # the sender is told (outbox)
    await scan_secrets(alice)


async def test_inline_transfer_taken_back_or_refunded_and_the_card_edited(bot, ctx, people, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    pair = await people.group("Alice & Bob", alice, bob)  # the emulator's chats between two people are groups
    live = await post_inline_transfer(alice, pair, "12")
    refused = await bob.press(live, "收回")  # only the sender may take it back
    assert refused.show_alert and await wallet_balance(ctx, alice.id) == 3_800
    assert "Only the sender can revoke" in refused.text
    back = await alice.press(live, "收回")
    assert "¥12.00" in back.text and await wallet_balance(ctx, alice.id) == 5_000
    revoked = await alice.expect(pair, edited=True, from_bot=None, contains="撤回",
                                 where=lambda m: m.inline_message_id == live.inline_message_id)
    assert not revoked.keyboard

    left = await post_inline_transfer(alice, pair, "7")
    assert await wallet_balance(ctx, alice.id) == 4_300
    ctx.clock.advance(hours=25)
    assert len((await sweep_once(bot))["transfers"]) == 1
    assert await wallet_balance(ctx, alice.id) == 5_000
    gone = await alice.expect(pair, edited=True, from_bot=None, contains="已退回",
                              where=lambda m: m.inline_message_id == left.inline_message_id)
    assert not gone.keyboard
    await alice.expect(contains="¥7.00", regex="24 小时内未被收款")
    await scan_secrets(alice)
