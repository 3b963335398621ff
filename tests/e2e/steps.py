"""Reusable end-to-end steps: open a wallet through the chat, scan a chat for secrets.

    from tests.e2e.steps import open_wallet, assert_no_secrets

    async def test_top_up(bot, people, emulator, alice):
        opened = await open_wallet(people, alice)              # /start ... PIN twice -> wallet home
        home = opened.home                                     # the home message (buttons home:*)
        ...
        await assert_no_secrets(people, alice, opened.secrets, world=emulator.world)

``open_wallet`` answers every step the way a newcomer would (language button, share own phone,
the SMS code from the phone inbox, name, ID number, card number, the card's SMS code, the PIN
twice on the keypad) and returns an ``Opened`` with the PIN, ID and card it used. Each person of
a test needs their own card number (the sandbox bank binds a card to its first holder); the
defaults pick one by the person's id. ``Opening`` does the same one step at a time, for tests of
the steps themselves.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import date

from tests.people import Message, People, Person
from wallet.idnumber import make_test_id_number

# debit cards that bind and move money in the sandbox (wallet/SANDBOX_CARDS.md)
GOOD_CARDS = ["6222020000000000018", "6217000000000000020", "6214830000000000064", "6228480000000000034",
              "6216610000000000040", "6222620000000000053"]
DEFAULT_PIN = "258036"
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


def default_card(person: Person) -> str:
    return GOOD_CARDS[person.id % len(GOOD_CARDS)]


def default_id_number(person: Person) -> str:
    return make_test_id_number(date(1990, 3, 7), seq=f"{person.id % 1000:03d}")


def default_name(person: Person) -> str:
    return "张三" if (person.language_code or "").startswith("zh") else "Li Lei"


@dataclass
class Opened:
    person: Person
    pin: str
    id_number: str
    card: str
    name: str
    home: Message | None = None

    @property
    def secrets(self) -> list[str]:
        return [self.pin, self.id_number, self.card]


def _digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


async def new_sms_code(people: People, person: Person, before: int, *, timeout: float = 10) -> str:
    """The code in the first SMS that reached the person's phone after ``before`` messages."""
    deadline = time.monotonic() + timeout
    while True:
        inbox = await person.sms()
        if len(inbox) > before:
            m = CODE.search(inbox[before]["text"])
            assert m, f"no code in SMS {inbox[before]['text']!r}"
            return m.group(1)
        assert time.monotonic() < deadline, f"no new SMS reached {person.first_name}"
        await asyncio.sleep(0.05)


def has_callback(prefix: str):
    return lambda m: any(b.get("callback_data", "").startswith(prefix) for row in m.keyboard for b in row)


@dataclass
class Opening:
    """Open a wallet one step at a time (each method waits for the bot's answer)."""
    people: People
    person: Person
    sms_seen: int = 0
    last: Message | None = None
    keypad: Message | None = None
    notes: list[str] = field(default_factory=list)

    async def start(self, lang: str | None = None) -> Message:
        self.sms_seen = len(await self.person.sms()) if self.person.phone_number else 0
        await self.person.send("/start")
        welcome = await self.person.expect(where=has_callback("ob:lang:"))
        lang = lang or ("zh_CN" if (self.person.language_code or "").startswith("zh") else "en")
        await self.person.press(welcome, callback_data=f"ob:lang:{lang}")
        intro = await self.person.expect(where=has_callback("ob:go"))
        await self.person.press(intro, callback_data="ob:go")
        self.last = await self.person.expect(contains="1/5")
        assert self.last.reply_keyboard, self.last
        return self.last

    async def share_phone(self) -> Message:
        await self.person.share_contact()
        self.last = await self.person.expect(contains="2/5")
        return self.last

    async def sms_code(self) -> str:
        code = await new_sms_code(self.people, self.person, self.sms_seen)
        self.sms_seen += 1
        return code

    async def type_phone_code(self, code: str | None = None) -> Message:
        await self.person.send(code or await self.sms_code())
        self.last = await self.person.expect(contains="3/5")
        return self.last

    async def type_name(self, name: str) -> Message:
        await self.person.send(name)
        self.last = await self.person.expect(regex=r"18")
        return self.last

    async def type_id(self, id_number: str) -> Message:
        await self.person.send(id_number)
        self.last = await self.person.expect(contains="4/5")
        return self.last

    async def type_card(self, card: str) -> Message:
        await self.person.send(card)
        self.last = await self.person.expect(where=has_callback("ob:resend"))
        return self.last

    async def type_card_code(self, code: str | None = None) -> Message:
        await self.person.send(code or await self.sms_code())
        self.keypad = await self.person.expect(where=has_callback("pin:d:"))
        return self.keypad

    async def type_pin(self, pin: str, keypad: Message | None = None) -> Message:
        """Press the PIN's digits on the keypad (found by their labels); returns the keypad as edited."""
        keypad = keypad or self.keypad
        for digit in pin:
            await self.person.press(keypad, digit)
        return keypad

    async def next_keypad(self, contains: str | None = None) -> Message:
        """The fresh keypad the bot sent after the current one (a late edit of the current one,
        from a press before the last, is not it)."""
        current = self.keypad.id if self.keypad else None
        self.keypad = await self.person.expect(
            contains=contains, where=lambda m: has_callback("pin:d:")(m) and m.id != current)
        return self.keypad

    async def set_pin(self, pin: str) -> Message:
        await self.type_pin(pin)
        await self.next_keypad()  # a fresh keypad: the PIN again
        await self.type_pin(pin)
        self.last = await self.person.expect(where=has_callback("home:topup"))
        return self.last


async def open_wallet(people: People, person: Person, *, lang: str | None = None, name: str | None = None,
                      id_number: str | None = None, card: str | None = None, pin: str = DEFAULT_PIN) -> Opened:
    """From /start to the wallet home; returns what was used and the home message."""
    opened = Opened(person, pin, id_number or default_id_number(person), card or default_card(person),
                    name or default_name(person))
    o = Opening(people, person)
    await o.start(lang)
    await o.share_phone()
    await o.type_phone_code()
    await o.type_name(opened.name)
    await o.type_id(opened.id_number)
    await o.type_card(opened.card)
    await o.type_card_code()
    opened.home = await o.set_pin(pin)
    return opened


async def assert_no_secrets(people: People, person: Person, secrets: list[str], *, world=None) -> None:
    """No message left in the person's private chat (theirs or the bot's), nor any message the bot
    ever sent there (deleted ones too, with ``world`` = the emulator's World), contains one of
    ``secrets`` (PIN, full ID number, full card number; spaces and dashes ignored)."""
    def check(where: str, text: str) -> None:
        flat = _digits(text or "")
        for secret in secrets:
            assert _digits(secret) not in flat, f"{where} shows a secret: {text!r}"

    for m in await person.messages():
        check(f"message {m.id}", m.text)
        for label in m.buttons + m.reply_keyboard:
            check(f"a button of message {m.id}", label)
    if world is not None:
        bot_id = world.bot.id
        for (chat_id, mid), msg in list(world.messages.items()):
            if chat_id == person.id and msg.from_id == bot_id:
                check(f"bot message {mid} (deleted={msg.deleted})", (msg.text or "") + (msg.caption or ""))


# ---- running the bot by hand (restarts) -------------------------------------------------------
class running_bot:
    """``async with running_bot(emulator, settings) as app:`` the wallet bot long-polling the
    emulator, as the ``bot`` fixture runs it, stopped cleanly on exit (persistence written).
    Start it again with the same settings to test a restart on the same database."""

    def __init__(self, emulator, settings) -> None:
        self.emulator, self.settings, self.app = emulator, settings, None

    async def __aenter__(self):
        from bot.app import build_application

        e = self.emulator
        self.app = build_application(self.settings, base_url=e.bot_base_url, base_file_url=e.file_base_url,
                                     token=e.token, sms_inbox_url=f"{e.url}/control/sms")
        await self.app.initialize()
        await self.app.post_init(self.app)
        await self.app.start()
        await self.app.updater.start_polling(timeout=5, poll_interval=0)
        return self.app

    async def __aexit__(self, *exc) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        await self.app.post_shutdown(self.app)


def bot_settings(bot):
    """The settings of a running ``bot`` fixture (same database and sandbox bank file)."""
    return bot.bot_data["settings"]


def use_fake_clock(bot):
    """Put the running bot's wallet on a FakeClock starting now (SMS resend waits, expiry)."""
    from datetime import datetime, timezone

    from wallet.clock import FakeClock

    clock = FakeClock(datetime.now(timezone.utc))
    bot.bot_data["wallet"].clock = clock
    return clock


def errors_logged(caplog) -> list[str]:
    """The ERROR lines of a scenario, but for a scheduled job cancelled by a bot's own shutdown
    (APScheduler logs the CancelledError of a job it stops mid-run: the outbox leaves its notice
    pending and the sweeps are one transaction each, so nothing is lost)."""
    import asyncio
    import logging

    def shutdown_cancel(r) -> bool:
        return r.name.startswith("apscheduler") and bool(r.exc_info) and isinstance(r.exc_info[1], asyncio.CancelledError)
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and not shutdown_cancel(r)]
