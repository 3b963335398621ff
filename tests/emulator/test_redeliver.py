"""``POST /control/redeliver``: an update delivered again, as Telegram does when its getUpdates offset
was not confirmed (a bot that crashed or restarted): the same payload under a new update_id; a
callback query keeps its id, and an answer given before still counts (a second one is refused)."""
from __future__ import annotations

import asyncio

import pytest

from tests.emulator.test_chat_flows import Api, api  # noqa: F401 (api: the fixture)
from tests.people import ControlError

pytestmark = pytest.mark.timeout(60)

GONE = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def test_a_message_delivered_again_after_its_offset_was_confirmed(api: Api, people, alice):
    await alice.send("/start")
    [first] = await api.drain()  # fetched and confirmed: gone from the queue
    assert await api.ok("getUpdates", timeout=0) == []
    new_id = await people.redeliver(first["update_id"])
    [again] = await api.ok("getUpdates", offset=first["update_id"] + 1, timeout=0)
    assert again["update_id"] == new_id > first["update_id"]
    assert again["message"] == first["message"]  # the same message: same id, text, date


async def test_a_callback_query_delivered_again_is_the_same_query(api: Api, people, alice):
    await alice.send("/start")
    await api.drain()
    sent = await api.ok("sendMessage", chat_id=alice.id, text="Pick",
                        reply_markup={"inline_keyboard": [[{"text": "Open", "callback_data": "rp:o:1"}]]})
    msg = next(m for m in await alice.messages() if m.id == sent["message_id"])
    pressing = asyncio.create_task(alice.press(msg, "Open"))
    for _ in range(100):
        updates = await api.ok("getUpdates", timeout=0)
        if updates:
            break
        await asyncio.sleep(0.05)
    [update] = updates
    query = update["callback_query"]
    assert await api.ok("answerCallbackQuery", callback_query_id=query["id"], text="¥1.00") is True
    answer = await pressing
    assert answer.text == "¥1.00" and answer.update_id == update["update_id"]

    new_id = await people.redeliver(answer.update_id)
    [again] = await api.ok("getUpdates", offset=update["update_id"] + 1, timeout=0)
    assert again["update_id"] == new_id and again["callback_query"] == query  # same id, data, message
    status, body = await api("answerCallbackQuery", callback_query_id=query["id"], text="again")
    assert status == 400 and body["description"] == GONE  # answered once already, as on Telegram

    with pytest.raises(ControlError, match="404"):
        await people.redeliver(10**9)  # never sent
