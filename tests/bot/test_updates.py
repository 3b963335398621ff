"""PerPersonUpdateProcessor with real concurrency: one person's updates in arrival order and never
two at once; different people side by side; never more than the bound; a burst of one person
does not hold back the others."""
from __future__ import annotations

import asyncio
import time

from telegram import Update

from bot.updates import PerPersonUpdateProcessor, order_key


def update(update_id: int, user_id: int, chat_id: int | None = None) -> Update:
    chat_id = chat_id or user_id
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": f"u{update_id}",
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "g"},
        "from": {"id": user_id, "is_bot": False, "first_name": f"p{user_id}"}}}, None)


class Recorder:
    def __init__(self) -> None:
        self.running: dict[int, int] = {}
        self.now = 0
        self.peak = 0
        self.order: dict[int, list[int]] = {}
        self.finished: dict[int, float] = {}

    async def work(self, upd: Update, seconds: float) -> None:
        user = upd.effective_user.id
        assert self.running.get(user, 0) == 0, f"two updates of {user} at once"
        self.running[user] = 1
        self.now += 1
        self.peak = max(self.peak, self.now)
        self.order.setdefault(user, []).append(upd.update_id)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.now -= 1
            self.running[user] = 0
            self.finished[upd.update_id] = time.monotonic()


async def test_one_person_in_order_others_alongside_and_bounded():
    proc = PerPersonUpdateProcessor(4)
    rec = Recorder()
    tasks = []
    uid = 0
    for round_ in range(10):
        for user in (1, 2, 3, 4, 5, 6):
            uid += 1
            u = update(uid, user)
            # as Application does: one task per update, created in arrival order
            tasks.append(asyncio.create_task(proc.process_update(u, rec.work(u, 0.005 * (1 + (uid * 7) % 3)))))
    await asyncio.gather(*tasks)
    for user, ids in rec.order.items():
        assert ids == sorted(ids) and len(ids) == 10, (user, ids)
    assert rec.peak == 4  # concurrent, and never above the bound
    assert proc.waiting_keys == 0


async def test_a_burst_of_one_person_does_not_hold_back_another():
    proc = PerPersonUpdateProcessor(2)
    rec = Recorder()
    start = time.monotonic()
    burst = [asyncio.create_task(proc.process_update(u, rec.work(u, 0.05)))
             for u in (update(i, 1) for i in range(1, 21))]
    await asyncio.sleep(0.01)
    other = update(100, 2)
    await proc.process_update(other, rec.work(other, 0.01))
    assert rec.finished[100] - start < 0.3  # not after the 20 x 50 ms of person 1
    await asyncio.gather(*burst)
    assert rec.order[1] == list(range(1, 21))


async def test_group_messages_are_ordered_by_person_not_by_group():
    assert order_key(update(1, 7, chat_id=-100)) == ("user", 7)
    proc = PerPersonUpdateProcessor(8)
    rec = Recorder()
    us = [update(i, 10 + i % 3, chat_id=-100) for i in range(1, 13)]
    await asyncio.gather(*[proc.process_update(u, rec.work(u, 0.02)) for u in us])
    assert rec.peak == 3
