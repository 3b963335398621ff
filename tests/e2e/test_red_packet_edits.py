"""A busy red-packet card stays under 20 edits a minute (Telegram's limit per group, DESIGN §4):
the emulator's edits of that one message are counted while 60 members press "Open" in waves."""
from __future__ import annotations

import asyncio
import time

from handlers import red_packet_card
from tests.e2e.flows import bot, opened  # noqa: F401 (bot: the fixture)
from tests.e2e.test_red_packet import send_packet
from tests.wallet.helpers import wallet_balance


async def test_busy_card_is_edited_under_20_times_a_minute(bot, ctx, people, emulator, alice):
    crowd = [await people.person(f"P{i}", "en", username=f"p{i}") for i in range(60)]
    group = await people.group("Busy", alice, *crowd)
    await opened(ctx, alice, balance=20_000)
    for p in crowd:
        await opened(ctx, p)
    world = emulator.world
    edits: list[tuple[float, tuple[int, int]]] = []
    real_edit = world.edit

    def counting_edit(msg, **fields):  # the emulator's own edit, counted per message
        edits.append((time.monotonic(), (msg.chat_id, msg.message_id)))
        return real_edit(msg, **fields)

    world.edit = counting_edit
    try:
        card = await send_packet(alice, group, "/hongbao 60 60 storm")
        pressed: list = []
        for wave in range(12):  # five presses every 0.7 s: about 8 s of claims
            pressed += await asyncio.gather(*(p.press(card, "Open", timeout=60) for p in crowd[wave * 5:wave * 5 + 5]))
            await asyncio.sleep(0.7)
        final = await alice.expect(group, edited=True, contains="已领完 60/60", timeout=20,
                                   where=lambda m: m.id == card.id, since=0)
    finally:
        world.edit = real_edit
    assert len(pressed) == 60 and all(a.text.startswith("🧧 You got") for a in pressed)
    assert "手气最佳" in final.text
    assert sum([await wallet_balance(ctx, p.id) for p in crowd]) == 6_000
    times = [at for at, where in edits if where == (card.chat_id, card.id)]
    assert len(times) >= 3, times  # live, some counters, the final list
    gaps = [b - a for a, b in zip(times, times[1:])]
    # merged: one edit per interval at most. The times are when the emulator got each edit, so a
    # loaded machine shifts them by a few hundred ms; unmerged edits would come ~0.1-0.7 s apart.
    assert min(gaps) >= red_packet_card.EDIT_INTERVAL * 0.8, gaps
    assert max(sum(1 for u in times if t <= u < t + 60) for t in times) < 20
