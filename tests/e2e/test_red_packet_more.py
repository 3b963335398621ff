"""Red packets: exclusive, refusals, expiry, crafted callback_data, 60 presses at once, inline."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from jobs import sweeps
from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_red_packet import confirm, send_packet
from tests.wallet.helpers import wallet_balance
from wallet.models import journal, red_packet_claims, red_packets
from wallet.uow import read


async def crafted_press(emulator, person, message, data: str) -> dict:
    """Press a button that is not on the message: callback_data made up by a client."""
    world = emulator.world
    msg = world.get_message(message.chat_id, message.id)
    query_id = world.push_callback(world.user(person.id), msg, data, via_inline=False)
    deadline = time.monotonic() + 10
    while world.callback_answers.get(query_id) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    answer = world.callback_answers.get(query_id)
    assert answer is not None, "the crafted press was not answered"
    return answer


async def count(ctx, table, **where) -> int:
    async def body(conn):
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return (await conn.execute(q)).scalar_one()
    return await read(ctx, body)


async def test_exclusive_packet_only_for_its_person(bot, ctx, people, alice, bob, carol):
    group = await people.group("Trio", alice, bob, carol)
    for p in (alice, bob, carol):
        await opened(ctx, p, balance=2_000 if p is alice else 0)
    hello = await bob.send(group, "it's my birthday")
    card = await send_packet(alice, group, "/hongbao 8.88 生日快乐", reply_to=hello)
    assert "给 Bob 的专属红包" in card.text and "¥8.88" in card.text
    for other in (carol, alice):
        answer = await other.press(card, "Open")
        assert answer.show_alert and "专属红包" in answer.text
    assert await wallet_balance(ctx, carol.id) == 0
    got = await bob.press(card, "Open")
    assert "¥8.88" in got.text and await wallet_balance(ctx, bob.id) == 888
    await alice.expect(group, edited=True, contains="已领完 1/1")


async def test_refusals_with_the_reason_and_the_member_warning(bot, ctx, people, alice, bob):
    group = await people.group("Pair", alice, bob)
    await opened(ctx, alice, balance=50_000)
    cases = {"/hongbao": "用法", "/hongbao abc 3": "不是有效的金额", "/hongbao 10": "份数",
             "/hongbao 300 3": "¥200.00", "/hongbao 10 101": "100", "/hongbao 0.5 100": "¥0.01",
             "/hongbao 10 3 equal": "平均"}
    for command, reason in cases.items():
        await alice.send(group, command)
        said = await alice.expect(group)
        assert reason in said.text, (command, said.text)
        assert not said.keyboard  # nothing to confirm
    await alice.send(group, "/hongbao 1 5 hi")
    waiting = await alice.expect(group, contains="等待发送人确认")
    assert "⚠️" in waiting.text and "5 份比群里的成员（2 人）多" in waiting.text  # a warning, not a refusal
    assert await count(ctx, red_packets) == 0  # nothing is created before the PIN


async def test_expired_packet_refunded_once_and_its_card_edited(bot, ctx, people, alice, bob, carol):
    group = await people.group("Late", alice, bob, carol)
    for p in (alice, bob):
        await opened(ctx, p, balance=1_000 if p is alice else 0)
    card = await send_packet(alice, group, "/hongbao 5 3")
    got = await bob.press(card, "Open")
    assert "¥" in got.text
    await alice.expect(group, edited=True, contains="已领取 1/3")
    bob_has = await wallet_balance(ctx, bob.id)
    ctx.clock.advance(seconds=24 * 3600 + 1)
    late = await alice.press(card, "Open")
    assert "超过 24 小时" in late.text
    first = await sweeps.sweep_once(bot)
    again = await sweeps.sweep_once(bot)
    assert len(first["red_packets"]) == 1 and again["red_packets"] == []
    assert await wallet_balance(ctx, alice.id) == 1_000 - bob_has  # refunded exactly once
    assert await count(ctx, journal, kind="rp_refund") == 1
    edited = await alice.expect(group, edited=True, contains="已过期")
    assert "1/3" in edited.text and "Bob" in edited.text and "rp:open" not in str(edited.keyboard)
    await alice.expect(contains="已退回你的零钱")  # the sender is told (outbox)


async def test_crafted_callback_data_is_refused(bot, ctx, people, emulator, alice, bob, carol):
    group = await people.group("Tricks", alice, bob, carol)
    for p in (alice, bob, carol):
        await opened(ctx, p, balance=1_000 if p is alice else 0)
    first = await send_packet(alice, group, "/hongbao 1 1 one")
    second = await send_packet(alice, group, "/hongbao 2 1 two")
    data = next(b["callback_data"] for row in first.keyboard for b in row if b["callback_data"].startswith("rp:open"))
    _, _, first_id, token = data.split(":")
    other = next(b["callback_data"] for row in second.keyboard for b in row if b["callback_data"].startswith("rp:open"))
    second_id = other.split(":")[2]
    for forged in (f"rp:open:{second_id}:{token}",        # another packet's id with this card's token
                   f"rp:open:{first_id}:AAAAAAAAAAAA",     # a stale or made-up token
                   "rp:open:999999:AAAAAAAAAAAA", "rp:zap:1:x"):
        answer = await crafted_press(emulator, bob, first, forged)
        assert answer.get("show_alert") and "not valid" in answer["text"], forged
    # the other card's own button pressed on this card (another packet's id): refused too
    answer = await crafted_press(emulator, bob, first, other)
    assert "not valid" in answer["text"]
    assert await count(ctx, red_packet_claims) == 0 and await wallet_balance(ctx, bob.id) == 0
    # a stale deep link (a replaced draft's nonce) confirms nothing
    await alice.send(group, "/hongbao 1 1")
    old = await alice.expect(group, contains="等待")
    await alice.send(group, "/hongbao 1 1")
    await alice.expect(group, contains="等待")
    url = next(b["url"] for row in old.keyboard for b in row if b.get("url"))
    await alice.open_link(url)
    await alice.expect(contains="不在等待确认")
    assert await count(ctx, red_packets) == 2


async def test_sixty_members_press_open_at_once(bot, ctx, people, alice):
    crowd = [await people.person(f"M{i}", "en", username=f"m{i}") for i in range(60)]
    group = await people.group("Crowd", alice, *crowd)
    await opened(ctx, alice, balance=20_000)
    for p in crowd:
        await opened(ctx, p)
    card = await send_packet(alice, group, "/hongbao 20 20 rush")
    answers = await asyncio.gather(*(p.press(card, "Open", timeout=60) for p in crowd))
    assert len(answers) == 60 and all(a.text for a in answers)  # every press answered
    won = [a for a in answers if a.text.startswith("🧧 You got")]
    lost = [a for a in answers if "taken" in a.text]
    assert len(won) == 20 and len(lost) == 40
    assert await count(ctx, red_packet_claims) == 20
    total = sum([await wallet_balance(ctx, p.id) for p in crowd])
    assert total == 2_000 and await wallet_balance(ctx, alice.id) == 18_000
    final = await alice.expect(group, edited=True, contains="已领完 20/20", timeout=15)
    assert "手气最佳" in final.text


async def test_inline_red_packet_posted_and_claimed(bot, ctx, people, alice, bob):
    group = await people.group("Inline", alice, bob)
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    query_id, results = await alice.inline("hb 20 2 新年快乐")
    result = next(r for r in results if r["id"].startswith("hb:"))
    assert "¥20.00" in result["title"]
    posted = await alice.choose(query_id, result["id"], group)
    assert posted.inline_message_id and "等待发送人确认" in posted.text
    await confirm(alice, posted)
    await alice.expect(contains="✅")
    live = await bob.expect(group, edited=True, contains="0/2", from_bot=None, since=0)
    assert live.inline_message_id == posted.inline_message_id
    got = await bob.press(live, "Open")
    assert got.text.startswith("🧧 You got") and await wallet_balance(ctx, bob.id) > 0
    await bob.expect(group, edited=True, contains="1/2", from_bot=None)
    await scan_secrets(alice)
