"""Red packets as a person reads them: the greeting's limit (group and inline), a missing number of
shares, the confirm link followed by someone else or typed in the group, and an English sender's
card and an English presser's popup in English."""
from __future__ import annotations

import asyncio
import re

from tests.e2e.flows import bot, enter_pin, keypad, opened  # noqa: F401 (bot: the fixture)
from tests.e2e.test_red_packet import LINK, confirm
from tests.e2e.test_red_packet_more import count
from tests.wallet.helpers import wallet_balance
from wallet.models import red_packets

KEYPAD = "○"


async def bot_since(person, chat, version: int) -> list:
    return [m for m in await person.messages(chat) if m.from_bot and m.raw.get("version", 0) > version]


def link_of(waiting) -> str:
    return next(b["url"] for row in waiting.keyboard for b in row if b.get("url"))


async def test_a_greeting_over_the_limit_is_refused_with_the_limit_in_the_group(bot, ctx, people, alice, bob):
    group = await people.group("Greetings", alice, bob)
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob, balance=5_000)
    limit = ctx.rules.red_packet_greeting_max
    for person, greeting, words in ((bob, "x" * 4_000, ("at most 64 characters", "yours has 4000", "/hongbao")),
                                    (alice, "福" * (limit + 1), ("最多 64 个字", "/hongbao"))):
        await person.send(group, f"/hongbao 10 3 {greeting}")
        said = await person.expect(group)
        assert all(w in said.text for w in words), said.text
        assert greeting not in said.text and not said.keyboard
    assert await count(ctx, red_packets) == 0
    await alice.send(group, f"/hongbao 10 3 {'福' * limit}")  # at the limit: a packet
    waiting = await alice.expect(group, contains="等待发送人确认")
    assert "福" * limit in waiting.text
    await confirm(alice, waiting)
    await alice.expect(contains="✅")
    card = await alice.expect(group, edited=True, where=lambda m: m.id == waiting.id, since=0)
    assert "福" * limit in card.text


async def test_an_inline_greeting_over_the_limit_says_so_instead_of_offering_nothing(bot, ctx, alice, bob):
    await opened(ctx, bob, balance=5_000)
    await opened(ctx, alice, balance=5_000)
    _, results = await bob.inline("hb 20 5 " + "y" * 65)
    assert [r["id"] for r in results] == ["hb:refused:rp.greeting_too_long"]
    assert "at most 64 characters" in results[0]["title"] and "65" in results[0]["description"]
    _, results = await alice.inline("20 5 " + "福" * 64)
    assert [r["id"][:3] for r in results] == ["hb:"] and "¥20.00" in results[0]["title"]


async def test_transfer_notes_over_the_limit_are_refused_not_cut(bot, ctx, people, alice, bob):
    """In a group (``/transfer 20 note``), inline (``@bot 20 note``) and in the private flow."""
    group = await people.group("Notes", alice, bob)
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob, balance=5_000)
    hello = await alice.send(group, "lunch?")
    await bob.send(group, "/transfer 20 " + "n" * 101, reply_to=hello)
    said = await bob.expect(group)
    assert "at most 100 characters" in said.text and "yours has 101" in said.text
    await bob.expect_none(contains="¥20.00")  # no confirm screen in private
    _, results = await bob.inline("20 " + "n" * 101)
    refused = [r for r in results if r["id"] == "tf:refused:note"]
    assert refused and "at most 100 characters" in refused[0]["title"]
    assert not [r for r in results if r["id"].startswith("tf:") and r["id"] != "tf:refused:note"]
    _, results = await bob.inline("20 " + "n" * 100)
    assert [r for r in results if r["id"].startswith("tf:") and "¥20.00" in r["title"]]
    await alice.send("/transfer")  # in private: refused on the note step, which stays
    await alice.expect(contains="转给谁")
    await alice.share_users(bob)
    await alice.expect(contains="要转给")
    await alice.send("20")
    await alice.expect(contains="添加转账说明")
    await alice.send("说" * 101)
    said = await alice.expect()
    assert "超过了 100 字" in said.text, said.text
    await alice.send("说" * 100)
    await alice.expect(contains="什么时候到账")


async def test_hongbao_without_shares_says_they_are_missing_and_shows_the_usage(bot, ctx, people, alice, bob):
    group = await people.group("Usage", alice, bob)
    await opened(ctx, bob, balance=5_000)
    await bob.send(group, "/hongbao 10")
    said = await bob.expect(group)
    assert "number of shares is missing" in said.text and "Usage: /hongbao" in said.text, said.text
    assert '""' not in said.text
    await alice.send(group, "/hongbao 10")
    said = await alice.expect(group)
    assert "缺少份数" in said.text and "用法" in said.text


async def test_someone_else_following_the_confirm_link_is_told_it_waits_for_its_sender(bot, ctx, people, alice, bob):
    group = await people.group("Link", alice, bob)
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob, balance=5_000)
    await bob.send(group, "/hongbao 1 1")  # bob has a waiting packet of his own
    await bob.expect(group, contains="🧧")
    await alice.send(group, "/hongbao 10 2 新年快乐")
    waiting = await alice.expect(group, contains="等待发送人确认")
    await bob.open_link(link_of(waiting))
    said = await bob.expect()
    assert "waiting for its sender's confirmation, not yours" in said.text, said.text
    assert "no longer waiting" not in said.text
    await bob.expect_none(contains=KEYPAD)
    await confirm(alice, waiting)  # the sender's draft is untouched
    await alice.expect(contains="✅ 红包 ¥10.00 已发出")
    assert await wallet_balance(ctx, alice.id) == 4_000


async def test_the_confirm_link_typed_in_the_group_gets_no_keypad_there(bot, ctx, people, alice, bob):
    group = await people.group("NoPin", alice, bob)
    await opened(ctx, alice, balance=5_000)
    await alice.send(group, "/hongbao 10 2")
    waiting = await alice.expect(group, contains="等待发送人确认")
    payload = LINK.search(link_of(waiting)).group(1)
    for text in (f"/start {payload}", f"/start@{bot.bot.username} {payload}"):
        await alice.send(group, text)
        since = people.mark
        said = await alice.expect(group)
        assert "私聊" in said.text and KEYPAD not in said.text, said.text
        assert [b.get("url") for row in said.keyboard for b in row] == [link_of(waiting)]
        await asyncio.sleep(1)
        assert [m.id for m in await bot_since(alice, group, since)] == [said.id]  # nothing else in the group
        assert await bot_since(alice, None, since) == []  # and nothing in private: no summary, no keypad
    assert await count(ctx, red_packets) == 0
    nonce, tag = re.fullmatch(r"hb_(.{12})_([0-9a-f]{6})", payload).groups()
    await alice.send(f"/start hb_{nonce}")  # in private it confirms (a link without the owner tag too)
    await enter_pin(alice)
    await alice.expect(contains="✅ 红包 ¥10.00 已发出")


async def test_an_english_senders_card_and_an_english_pressers_popup_are_in_english(bot, ctx, people, alice, bob, carol):
    dave = await people.person("Dave", "en", username="dave", phone_number="+8613800000004")
    group = await people.group("English", alice, bob, carol, dave)
    await opened(ctx, bob, balance=5_000)
    for p in (alice, carol, dave):
        await opened(ctx, p)
    await bob.send(group, "/hongbao 6 3 Happy new year")
    waiting = await bob.expect(group, contains="🧧")
    assert "waiting for the sender's confirmation" in waiting.text
    pad_link = link_of(waiting)
    await bob.open_link(pad_link)
    await enter_pin(bob, pad=await keypad(bob))
    await bob.expect(contains="✅ Your red packet of ¥6.00 is out")
    card = await bob.expect(group, edited=True, where=lambda m: m.id == waiting.id and "rp:open" in str(m.keyboard),
                            since=0)
    assert "A red packet from Bob" in card.text and "Happy new year" in card.text, card.text
    assert "lucky packet" in card.text and "0/3 opened" in card.text
    assert not re.search(r"[\u4e00-\u9fff]", card.text.replace("拆", "")), card.text
    assert "Open 拆" in card.buttons and "Details" in card.buttons
    got = await dave.press(card, "Open")
    assert re.fullmatch(r"🧧 You got ¥\d+\.\d\d from Bob's red packet; it is in your balance\.", got.text), got.text
    got = await carol.press(card, "Open")
    assert "你领到了" in got.text  # each presser reads their own language
    await bob.expect(group, edited=True, contains="2/3 opened", since=0, timeout=10)
