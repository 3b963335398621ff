"""Speak as people to the bot, through the emulator's control API over HTTP (DESIGN §6).

Fixtures (import them into a conftest: ``from tests.people import *  # noqa: F401,F403``):

``emulator``  a fresh local messenger on a free port (``runner.url``, ``runner.world``, ``runner.token``,
              ``runner.bot_base_url``, ``runner.file_base_url``).
``people``    a :class:`People` bound to that emulator: create people and groups, faults, SMS.
``bot``       the real wallet bot (``bot.app.build_application``) long-polling the emulator; its
              database is a fresh SQLite file in ``tmp_path``. Depend on it to have the bot running.
              When the test ends the ledger audit must be clean (``assert_audit_clean``).
``alice``, ``bob``, ``carol``   three people (zh-CN, en, zh-CN) with phone numbers.

A scenario reads like a chat::

    async def test_red_packet(bot, people, alice, bob):
        group = await people.group("Friends", alice, bob)
        await alice.send("/start")                          # private chat with the bot
        welcome = await alice.expect(contains="钱包")        # waits for the bot's answer
        await alice.send(group, "/hongbao 10 3")
        card = await bob.expect(group, contains="红包")      # what Bob sees in the group
        answer = await bob.press(card, "Open")              # button by text (or callback_data=...)
        assert "¥" in answer.text and not answer.show_alert  # the popup / toast text
        card = await bob.expect(group, edited=True, contains="1/3")  # the card was edited
        code = await alice.expect_sms(contains="验证码")      # the phone's SMS inbox

Rules of ``expect``: it waits (``timeout``, default 10 s) for a message in the chat, by default from
the bot, that is new or edited since the last thing anyone did through this fixture (send, press,
contact, choose). ``since=0`` searches the whole history. It returns the first match, oldest first.
``expect_none`` asserts that nothing matching arrives within a short time.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest

__all__ = ["Answer", "Group", "Message", "People", "Person", "alice", "bob", "bot", "carol", "emulator", "people"]

DEFAULT_TIMEOUT = 10.0


class ControlError(AssertionError):
    """The control API refused a call (its status and error text are in the message)."""


@dataclass
class Answer:
    """What the bot answered to a button press: the popup (show_alert) or toast text."""

    text: str | None
    show_alert: bool
    url: str | None = None
    update_id: int | None = None  # the update that carried the press (``People.redeliver`` sends it again)


@dataclass
class Message:
    """A message as a person sees it. ``raw`` is the control API's JSON."""

    raw: dict

    @property
    def id(self) -> int:
        return self.raw["message_id"]

    @property
    def chat_id(self) -> int:
        return self.raw["chat"]["id"]

    @property
    def text(self) -> str:
        return self.raw.get("text") or self.raw.get("caption") or ""

    @property
    def from_bot(self) -> bool:
        return bool(self.raw.get("from", {}).get("is_bot"))

    @property
    def edited(self) -> bool:
        return bool(self.raw.get("edit_date"))

    @property
    def inline_message_id(self) -> str | None:
        return self.raw.get("inline_message_id")

    @property
    def keyboard(self) -> list[list[dict]]:
        """Inline keyboard rows (list of button dicts), or []."""
        return (self.raw.get("reply_markup") or {}).get("inline_keyboard") or []

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline keyboard's buttons, row by row."""
        return [b["text"] for row in self.keyboard for b in row]

    @property
    def reply_keyboard(self) -> list[str]:
        """Texts of a reply keyboard attached to this message, or []."""
        rows = (self.raw.get("reply_markup") or {}).get("keyboard") or []
        return [b if isinstance(b, str) else b["text"] for row in rows for b in row]

    def __contains__(self, text: str) -> bool:
        return text in self.text

    def __repr__(self) -> str:
        return f"Message(id={self.id}, chat={self.chat_id}, text={self.text!r}, buttons={self.buttons})"


@dataclass
class Group:
    id: int
    title: str
    member_ids: list[int] = field(default_factory=list)


ChatRef = "Group | Person | int | None"


class People:
    """A handle on the emulator's control API: people, groups, SMS, faults."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.mark = 0  # world version at the last action of anyone, for expect()

    # ---- raw calls ----
    async def call(self, method: str, path: str, *, json: Any = None, params: Any = None, ok_statuses=(200,)) -> Any:
        async with self.session.request(method, self.base_url + path, json=json, params=params,
                                        timeout=aiohttp.ClientTimeout(total=60)) as res:
            data = await res.json(content_type=None)
            if res.status not in ok_statuses:
                raise ControlError(f"{method} {path} -> {res.status}: {data.get('error') if isinstance(data, dict) else data}")
            return data

    async def version(self) -> int:
        return (await self.call("GET", "/control/version"))["version"]

    async def acted(self, version_before: int) -> None:
        self.mark = version_before

    # ---- world ----
    async def person(self, first_name: str, language_code: str | None = "en", *, username: str | None = None,
                     phone_number: str | None = None, last_name: str | None = None) -> "Person":
        data = await self.call("POST", "/control/users", json={
            "first_name": first_name, "language_code": language_code, "username": username,
            "phone_number": phone_number, "last_name": last_name})
        return Person(self, data)

    async def group(self, title: str, *members: "Person") -> Group:
        data = await self.call("POST", "/control/chats", json={"type": "group", "title": title,
                                                               "member_ids": [m.id for m in members]})
        return Group(id=data["id"], title=data["title"], member_ids=data["member_ids"])

    async def supergroup(self, title: str, *members: "Person") -> Group:
        """A supergroup (id -100…) made by the first member, with the bot in it."""
        data = await self.call("POST", "/control/chats", json={"type": "supergroup", "title": title,
                                                               "member_ids": [m.id for m in members]})
        return Group(id=data["id"], title=data["title"], member_ids=data["member_ids"])

    async def migrate(self, group: Group, by: "Person") -> Group:
        """``by`` upgrades the basic group to a supergroup; returns the new supergroup."""
        data = await self.call("POST", f"/control/chats/{group.id}/migrate", json={"user_id": by.id})
        return Group(id=data["id"], title=data["title"], member_ids=data["member_ids"])

    async def privacy_mode(self, on: bool) -> None:
        """The bot's privacy mode (on by default, as on Telegram)."""
        await self.call("POST", "/control/bot", json={"privacy_mode": on})

    async def add_to_group(self, group: Group, person: "Person") -> None:
        await self.call("POST", f"/control/chats/{group.id}/members", json={"user_id": person.id})
        group.member_ids.append(person.id)

    async def sms(self, phone_number: str) -> list[dict]:
        return await self.call("GET", "/control/sms", params={"phone_number": phone_number})

    async def rate_limit(self, count: int = 1, retry_after: int = 1, methods: list[str] | None = None) -> None:
        """The next `count` Bot API calls (of `methods`, default: all but getUpdates) answer 429."""
        await self.call("POST", "/control/faults", json={"rate_limit": {"count": count, "retry_after": retry_after,
                                                                         "methods": methods}})

    async def server_error(self, count: int = 1, status: int = 502, methods: list[str] | None = None) -> None:
        """The next `count` Bot API calls (of `methods`, default: all but getUpdates) answer `status` (5xx)."""
        await self.call("POST", "/control/faults", json={"server_error": {"count": count, "status": status,
                                                                           "methods": methods}})

    async def drop_polls(self, count: int = 1) -> None:
        """The next `count` getUpdates connections are dropped without an answer."""
        await self.call("POST", "/control/faults", json={"drop_polls": count})

    async def redeliver(self, update_id: int) -> int:
        """Telegram delivers update ``update_id`` to the bot again (its offset was not confirmed):
        the same payload under a new update_id, which is returned."""
        return (await self.call("POST", "/control/redeliver", json={"update_id": update_id}))["update_id"]

    async def reset(self) -> None:
        await self.call("POST", "/control/reset")


class Person:
    """Someone in the emulated world. ``chat`` arguments take a Group, a chat id, or None for the
    person's private chat with the bot."""

    def __init__(self, people: People, data: dict) -> None:
        self.people = people
        self.data = data
        self.id: int = data["id"]
        self.first_name: str = data["first_name"]
        self.language_code: str | None = data.get("language_code")
        self.phone_number: str | None = data.get("phone_number")

    def __repr__(self) -> str:
        return f"Person({self.first_name}, id={self.id})"

    def chat_id(self, chat: Any = None) -> int:
        if chat is None:
            return self.id
        if isinstance(chat, (Group, Person)):
            return chat.id
        return int(chat)

    async def _act(self, path: str, body: dict, ok_statuses=(200,)) -> Any:
        before = await self.people.version()
        data = await self.people.call("POST", path, json=body, ok_statuses=ok_statuses)
        await self.people.acted(before)
        return data

    # ---- acting ----
    async def send(self, chat: Any = None, text: str | None = None, *, reply_to: Message | int | None = None) -> Message:
        """Write ``text`` into ``chat``; ``alice.send("/start")`` writes to her private chat with the bot."""
        if text is None and isinstance(chat, str):
            chat, text = None, chat
        body: dict = {"user_id": self.id, "chat_id": self.chat_id(chat), "text": text}
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to.id if isinstance(reply_to, Message) else int(reply_to)
        return Message(await self._act("/control/send", body))

    async def share_contact(self, chat: Any = None, phone_number: str | None = None) -> Message:
        """Press a "share my phone" button: the person's own contact goes into the chat."""
        body = {"user_id": self.id, "chat_id": self.chat_id(chat), "phone_number": phone_number or self.phone_number}
        return Message(await self._act("/control/contact", body))

    async def share_users(self, users: "list[Person] | Person", chat: Any = None, *, request_id: int | None = None,
                          button: str | None = None) -> Message:
        """Press a ``request_users`` reply-keyboard button (by ``request_id`` or a part of its text;
        default: the newest such button) and pick ``users``: the bot gets ``users_shared``."""
        people = users if isinstance(users, list) else [users]
        body: dict = {"user_id": self.id, "chat_id": self.chat_id(chat), "user_ids": [p.id for p in people]}
        if request_id is not None:
            body["request_id"] = request_id
        if button is not None:
            body["button"] = button
        return Message(await self._act("/control/users_shared", body))

    async def open_link(self, url: str) -> Message | None:
        """Open a ``t.me/<bot>?start=<payload>`` link: sends ``/start <payload>`` to the bot (None when
        the link only opens a chat already started)."""
        data = await self._act("/control/open_link", {"user_id": self.id, "url": url})
        return Message(data["message"]) if data.get("message") else None

    async def remove(self, group: Group, member: "Person | int") -> None:
        """Remove ``member`` (a person, or the bot's id) from ``group``; ``alice.remove(g, alice)`` leaves it."""
        member_id = member.id if isinstance(member, Person) else int(member)
        await self._act(f"/control/chats/{group.id}/remove", {"user_id": self.id, "member_id": member_id})

    async def press(self, message: Message, button: str | None = None, *, callback_data: str | None = None,
                    timeout: float = DEFAULT_TIMEOUT, forge: bool = False) -> Answer:
        """Press an inline button (by its text, or a part of it, or by callback_data) and return the answer.
        ``forge=True`` sends ``callback_data`` on ``message`` whatever its buttons are (a modified client)."""
        body: dict = {"user_id": self.id, "button": button, "callback_data": callback_data, "timeout": timeout,
                      "forge": forge}
        if message.inline_message_id:
            body["inline_message_id"] = message.inline_message_id
        else:
            body.update(chat_id=message.chat_id, message_id=message.id)
        data = await self._act("/control/press", body)
        answer = data.get("answer")
        if answer is None:
            if data.get("url"):
                return Answer(text=None, show_alert=False, url=data["url"])
            raise AssertionError(f"the button {button or callback_data!r} has no answer: {data}")
        return Answer(text=answer.get("text"), show_alert=bool(answer.get("show_alert")), url=answer.get("url"),
                      update_id=data.get("update_id"))

    async def inline(self, query: str, chat_type: str | None = "sender") -> tuple[str, list[dict]]:
        """Type ``@bot <query>``: returns (inline_query_id, the bot's results)."""
        data = await self.people.call("POST", "/control/inline", json={"user_id": self.id, "query": query,
                                                                       "chat_type": chat_type})
        return data["inline_query_id"], data["results"]

    async def choose(self, inline_query_id: str, result_id: str, chat: Any = None) -> Message:
        """Pick an inline result into a chat (it appears there sent by this person, via the bot)."""
        body = {"user_id": self.id, "inline_query_id": inline_query_id, "result_id": result_id,
                "chat_id": self.chat_id(chat)}
        return Message(await self._act("/control/choose", body))

    async def block_bot(self, blocked: bool = True) -> None:
        await self.people.call("POST", "/control/block", json={"user_id": self.id, "blocked": blocked})

    # ---- reading ----
    async def messages(self, chat: Any = None) -> list[Message]:
        data = await self.people.call("GET", f"/control/chats/{self.chat_id(chat)}/messages", params={"user_id": self.id})
        return [Message(m) for m in data]

    async def expect(self, chat: Any = None, contains: str | None = None, *, regex: str | None = None,
                     where: Callable[[Message], bool] | None = None, from_bot: bool | None = True,
                     edited: bool | None = None, since: int | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Wait for a message in ``chat`` that matches; see the module docstring for the rules."""
        since = self.people.mark if since is None else since
        deadline = time.monotonic() + timeout
        while True:
            version = await self.people.version()
            found = [m for m in await self.messages(chat)
                     if m.raw.get("version", 0) > since
                     and (from_bot is None or m.from_bot == from_bot)
                     and (edited is None or m.edited == edited)
                     and (contains is None or contains in m.text)
                     and (regex is None or re.search(regex, m.text))
                     and (where is None or where(m))]
            if found:
                return min(found, key=lambda m: m.raw["version"])
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [m for m in await self.messages(chat) if m.raw.get("version", 0) > since]
                raise AssertionError(
                    f"{self.first_name} did not see a message contains={contains!r} regex={regex!r} in chat "
                    f"{self.chat_id(chat)} within {timeout}s; new or edited since the last action: {seen}")
            await self.people.call("GET", "/control/version", params={"after": version, "wait": min(left, 5)})

    async def expect_none(self, chat: Any = None, contains: str | None = None, *, within: float = 0.7,
                          from_bot: bool | None = True) -> None:
        """Assert that no matching message arrives within ``within`` seconds."""
        try:
            msg = await self.expect(chat, contains, from_bot=from_bot, timeout=within)
        except AssertionError:
            return
        raise AssertionError(f"{self.first_name} unexpectedly saw {msg}")

    async def sms(self) -> list[dict]:
        assert self.phone_number, f"{self.first_name} has no phone number"
        return await self.people.sms(self.phone_number)

    async def expect_sms(self, contains: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait for an SMS on this person's phone; returns its text (the newest match)."""
        deadline = time.monotonic() + timeout
        while True:
            texts = [s["text"] for s in await self.sms() if contains is None or contains in s["text"]]
            if texts:
                return texts[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no SMS containing {contains!r} reached {self.first_name}'s phone")
            await asyncio.sleep(0.05)


# ---- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    from emulator import start_emulator

    runner = await start_emulator("127.0.0.1", 0)
    try:
        yield runner
    finally:
        await runner.cleanup()


@pytest.fixture
async def people(emulator: Any) -> AsyncIterator[People]:
    async with aiohttp.ClientSession() as session:
        yield People(session, emulator.url)


@pytest.fixture
async def bot(emulator: Any, tmp_path: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The wallet bot, long-polling the emulator (an Application; ``bot.bot_data['settings']``).

    Its database is the suite's ``database_url`` fixture when there is one (SQLite file or the
    run's PostgreSQL database), else a SQLite file in ``tmp_path``; a SQLite file is migrated."""
    from bot.app import build_application
    from bot.run import migrate
    from bot.settings import Settings

    try:
        url = request.getfixturevalue("database_url")
        template = request.getfixturevalue("database_template")
    except pytest.FixtureLookupError:
        url, template = f"sqlite+aiosqlite:///{tmp_path / 'wallet.db'}", None
    # sweeps are run by the tests that want them (jobs.sweeps.sweep_once), not by the clock
    settings = Settings(database_url=url, sandbox_bank_path=tmp_path / "sandbox_bank.json", sweep_interval_seconds=3600)
    if template is None:
        await asyncio.to_thread(migrate, settings)
    app = build_application(settings, base_url=emulator.bot_base_url, base_file_url=emulator.file_base_url,
                            token=emulator.token, sms_inbox_url=f"{emulator.url}/control/sms")
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(timeout=5, poll_interval=0)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    try:
        await assert_audit_clean(app)  # every scenario ends with the ledger audit clean
    finally:
        await app.post_shutdown(app)


async def assert_audit_clean(app: Any) -> None:
    """The ledger audit of a running bot's wallet (every invariant of DESIGN §2) passes."""
    from wallet.audit import audit_engine, report

    wallet = app.bot_data["wallet"]
    checks = await audit_engine(wallet.engine, now=wallet.now(), reconcile_seconds=wallet.rules.bank_reconcile_seconds)
    assert all(c.ok for c in checks), "audit failed after the scenario:\n" + report(checks)


@pytest.fixture
async def alice(people: People) -> Person:
    return await people.person("Alice", "zh-CN", username="alice", phone_number="+8613800000001")


@pytest.fixture
async def bob(people: People) -> Person:
    return await people.person("Bob", "en", username="bob", phone_number="+8613800000002")


@pytest.fixture
async def carol(people: People) -> Person:
    return await people.person("Carol", "zh-CN", username="carol", phone_number="+8613800000003")
