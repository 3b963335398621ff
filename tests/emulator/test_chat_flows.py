"""What the wallet's chat flows need from the messenger: `request_users` → `users_shared`, t.me deep
links → `/start <payload>`, and privacy mode in groups. Pinned on the wire (raw HTTP to
/bot<token>/<method>) and through python-telegram-bot."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from telegram import KeyboardButton, KeyboardButtonRequestUsers, ReplyKeyboardMarkup
from telegram.ext import CommandHandler, MessageHandler, filters

from tests.people import ControlError

pytestmark = pytest.mark.timeout(60)


class Api:
    """Raw Bot API calls: JSON in, the whole JSON answer and the HTTP status out."""

    def __init__(self, session: aiohttp.ClientSession, emulator) -> None:
        self.session, self.base = session, f"{emulator.url}/bot{emulator.token}"

    async def __call__(self, method: str, **params) -> tuple[int, dict]:
        async with self.session.post(f"{self.base}/{method}", json=params) as res:
            return res.status, await res.json()

    async def ok(self, method: str, **params):
        status, body = await self(method, **params)
        assert status == 200 and body["ok"], body
        return body["result"]

    async def drain(self) -> list[dict]:
        """Every pending update, confirmed (the next call starts after them)."""
        updates = await self.ok("getUpdates", timeout=0)
        if updates:
            await self.ok("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0)
        return updates


@pytest.fixture
async def api(emulator):
    async with aiohttp.ClientSession() as session:
        yield Api(session, emulator)


def messages(updates: list[dict]) -> list[dict]:
    return [u["message"] for u in updates if "message" in u]


async def test_request_users_button_shares_the_chosen_people(api, people, alice, bob, carol):
    await alice.send("/start")
    keyboard = {"keyboard": [[{"text": "👥 Pick a friend", "request_users":
                               {"request_id": 7, "max_quantity": 2, "request_name": True, "request_username": True}}],
                             [{"text": "One person", "request_users": {"request_id": 8}}]],
                "one_time_keyboard": True}
    await api.ok("sendMessage", chat_id=alice.id, text="Who gets the money?", reply_markup=json.dumps(keyboard))
    ask = await alice.expect(contains="Who gets")
    assert ask.reply_keyboard == ["👥 Pick a friend", "One person"]
    await api.drain()

    shared = await alice.share_users([bob, carol], request_id=7)
    assert shared.raw["users_shared"]["request_id"] == 7 and "text" not in shared.raw
    [update] = await api.drain()
    got = update["message"]["users_shared"]
    assert got == {"request_id": 7, "user_ids": [bob.id, carol.id],
                   "users": [{"user_id": bob.id, "first_name": "Bob", "username": "bob"},
                             {"user_id": carol.id, "first_name": "Carol", "username": "carol"}]}
    assert update["message"]["from"]["id"] == alice.id and update["message"]["chat"]["type"] == "private"

    # without request_name / request_username the bot gets ids only; by the button's text
    await alice.share_users(bob, button="One person")
    [update] = await api.drain()
    assert update["message"]["users_shared"]["users"] == [{"user_id": bob.id}]

    with pytest.raises(ControlError, match="at most 1"):
        await alice.share_users([bob, carol], request_id=8)
    with pytest.raises(ControlError, match="404.*request_id 99"):
        await alice.share_users(bob, request_id=99)
    assert await api.drain() == []


async def test_request_users_button_is_validated(api, people, alice):
    await alice.send("/start")
    for bad, why in (({"request_id": "x"}, "request_id"), ({"request_id": 1, "max_quantity": 11}, "max_quantity")):
        status, body = await api("sendMessage", chat_id=alice.id, text="pick",
                                 reply_markup={"keyboard": [[{"text": "pick", "request_users": bad}]]})
        assert status == 400 and why in body["description"], body


async def test_users_shared_reaches_a_ptb_handler(run_ptb, people, alice, bob):
    got: asyncio.Queue = asyncio.Queue()

    async def ask(update, context):
        await update.message.reply_text("Pick", reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton("Pick", request_users=KeyboardButtonRequestUsers(request_id=3, request_name=True))]]))

    async def shared(update, context):
        await got.put(update.message.users_shared)

    await run_ptb(lambda app: (app.add_handler(CommandHandler("pay", ask)),
                               app.add_handler(MessageHandler(filters.StatusUpdate.USERS_SHARED, shared))))
    await alice.send("/pay")
    await alice.expect(contains="Pick")
    await alice.share_users(bob)
    users_shared = await asyncio.wait_for(got.get(), 10)
    assert users_shared.request_id == 3
    assert [(u.user_id, u.first_name) for u in users_shared.users] == [(bob.id, "Bob")]


async def test_deep_link_sends_start_with_its_payload(api, people, alice):
    sent = await alice.open_link("https://t.me/WalletDemoBot?start=pay_AbC-9")
    assert sent.text == "/start pay_AbC-9" and sent.chat_id == alice.id
    [update] = await api.drain()
    msg = update["message"]
    assert msg["text"] == "/start pay_AbC-9" and msg["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # other spellings of the same link
    await alice.open_link("t.me/walletdemobot?start=x1")
    await alice.open_link("tg://resolve?domain=WalletDemoBot&start=x2")
    assert [m["text"] for m in messages(await api.drain())] == ["/start x1", "/start x2"]
    # a bare link opens a chat already started: nothing is sent
    assert await alice.open_link("https://t.me/WalletDemoBot") is None
    assert await api.drain() == []
    for url, why in (("https://t.me/WalletDemoBot?start=" + "a" * 65, "1-64 characters"),
                     ("https://t.me/WalletDemoBot?start=pay%20me", "1-64 characters"),
                     ("https://t.me/SomeOtherBot?start=x", "no bot @SomeOtherBot"),
                     ("https://example.org/?start=x", "not a t.me link")):
        with pytest.raises(ControlError, match=why):
            await alice.open_link(url)


async def test_a_bare_deep_link_starts_a_new_chat(api, people, bob):
    sent = await bob.open_link("https://t.me/WalletDemoBot")
    assert sent.text == "/start"
    assert [m["text"] for m in messages(await api.drain())] == ["/start"]


async def test_links_in_the_bots_texts_are_entities(api, people, alice):
    await alice.send("/start")
    sent = await api.ok("sendMessage", chat_id=alice.id, text="Pay: t.me/WalletDemoBot?start=pay_1. Help: /help")
    assert sent["entities"] == [{"type": "url", "offset": 5, "length": 30},
                                {"type": "bot_command", "offset": 43, "length": 5}]
    sent = await api.ok("sendMessage", chat_id=alice.id, parse_mode="HTML",
                        text='<a href="https://t.me/WalletDemoBot?start=x">pay</a> or https://t.me/WalletDemoBot?start=y')
    assert [e["type"] for e in sent["entities"]] == ["text_link", "url"]


async def test_privacy_mode_in_groups(api, people, alice, bob):
    me = await api.ok("getMe")
    assert me["can_read_all_group_messages"] is False
    group = await people.group("Dinner", alice, bob)
    created = await api.drain()
    assert messages(created)[0]["group_chat_created"] is True
    card = await api.ok("sendMessage", chat_id=group.id, text="🧧 red packet")
    plain = await alice.send(group, "hello all")
    await bob.send(group, "hi Alice", reply_to=plain)           # a reply to a person: not for the bot
    await bob.send(group, "/hongbao 10 3")                       # a command: for the bot
    await bob.send(group, "/hongbao@WalletDemoBot 5 2")          # addressed to this bot
    await bob.send(group, "/roll@OtherBot")                      # addressed to another bot
    await alice.send(group, "thanks", reply_to=card["message_id"])  # a reply to the bot
    await alice.send(group, "hey @walletdemobot, help")          # a mention
    await alice.send(group, "see /hongbao later")                # not at the start: no command
    await people.add_to_group(group, await people.person("Dan"))  # service messages always
    got = messages(await api.drain())
    assert [m.get("text") for m in got] == ["/hongbao 10 3", "/hongbao@WalletDemoBot 5 2", "thanks",
                                            "hey @walletdemobot, help", None]
    assert got[2]["reply_to_message"]["message_id"] == card["message_id"]
    assert got[4]["new_chat_members"][0]["first_name"] == "Dan"
    # private chats are never filtered
    await alice.send("just words")
    assert [m["text"] for m in messages(await api.drain())] == ["just words"]

    await people.privacy_mode(False)
    assert (await api.ok("getMe"))["can_read_all_group_messages"] is True
    await alice.send(group, "plain words")
    assert [m["text"] for m in messages(await api.drain())] == ["plain words"]
    assert (await people.call("GET", "/control/bot"))["privacy_mode"] is False


async def test_privacy_mode_survives_a_reset(api, people, alice):
    await people.privacy_mode(False)
    await people.reset()
    assert (await api.ok("getMe"))["can_read_all_group_messages"] is True
