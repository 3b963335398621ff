"""Red packets in a group, through the emulator: /hongbao, the PIN in private, the card, presses."""
from __future__ import annotations

import re

from jobs import sweeps
from tests.e2e.flows import bot, enter_pin, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import wallet_balance
from wallet.services import red_packets

LINK = re.compile(r"start=(hb_[A-Za-z0-9_-]+)")


async def five(people, alice, bob, carol):
    dave = await people.person("Dave", "en", username="dave", phone_number="+8613800000004")
    eve = await people.person("Eve", "en", username="eve", phone_number="+8613800000005")
    group = await people.group("Friends", alice, bob, carol, dave, eve)
    return dave, eve, group


async def confirm(person, waiting, pin_chat=None):
    """The sender follows the waiting card's deep link and types the PIN in the private chat."""
    url = next(b["url"] for row in waiting.keyboard for b in row if b.get("url"))
    await person.open_link(url)
    await enter_pin(person)


async def send_packet(person, group, command, *, reply_to=None):
    await person.send(group, command, reply_to=reply_to)
    waiting = await person.expect(group, contains="🧧")
    await confirm(person, waiting)
    await person.expect(contains="✅")
    return await person.expect(group, edited=True, where=lambda m: m.id == waiting.id and "rp:open" in str(m.keyboard),
                               since=0)


async def test_lucky_packet_of_three_in_a_group_of_five(bot, ctx, people, alice, bob, carol):
    dave, eve, group = await five(people, alice, bob, carol)
    for p in (alice, bob, carol, dave, eve):
        await opened(ctx, p, balance=5_000 if p is alice else 0)
    card = await send_packet(alice, group, "/hongbao 10 3 恭喜发财")
    assert "恭喜发财" in card.text and "拼手气" in card.text and "0/3" in card.text and "Alice" in card.text
    assert await wallet_balance(ctx, alice.id) == 4_000
    got = {}
    for p in (bob, carol, dave):
        answer = await p.press(card, "Open")
        assert answer.show_alert and "¥" in answer.text, answer
        got[p.first_name] = int(round(float(re.search(r"¥(\d+\.\d\d)", answer.text).group(1)) * 100))
        assert await wallet_balance(ctx, p.id) == got[p.first_name]
    assert sum(got.values()) == 1_000
    empty = await eve.press(card, "Open")
    assert empty.show_alert and "taken" in empty.text
    again = await alice.press(card, "Open")
    assert again.show_alert and "红包派完了" in again.text  # the sender did not take a share: all gone
    final = await alice.expect(group, edited=True, contains="手气最佳", timeout=10)
    best = max(got, key=got.get)
    assert f"手气最佳：{best}" in final.text and "已领完 3/3" in final.text and "用时" in final.text
    for name, fen in got.items():
        assert name in final.text
    details = await eve.press(final, "详情")
    assert details.show_alert and "3/3" in details.text and best in details.text
    await scan_secrets(alice)


async def test_sender_presses_own_packet_twice(bot, ctx, people, alice, bob, carol):
    group = await people.group("Three", alice, bob, carol)
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    card = await send_packet(alice, group, "/hongbao 1 2")
    first = await alice.press(card, "Open")
    assert "你领到了" in first.text
    amount = re.search(r"¥\d+\.\d\d", first.text).group(0)
    second = await alice.press(card, "Open")
    assert "已经领过" in second.text and amount in second.text
