"""Fuzz through the emulator (never silence, DESIGN §8): random and crafted callback_data on every
button kind the bot sent in a busy scenario (other people's buttons, stale nonces, unknown verbs,
huge and negative ids, 64 bytes, random bytes), random text and commands in every conversation
state a person can be in, and concurrent presses. Every press is answered within a few seconds,
every private message gets a reply, no handler fails (the error handler logs nothing), and the
audit is clean (the ``bot`` fixture checks it). Runs on both databases like every e2e test.

The seed is fixed (``FUZZ_SEED`` overrides it) so a failure can be replayed."""
from __future__ import annotations

import asyncio
import logging
import os
import random
import string

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_red_packet import send_packet
from tests.people import ControlError, Message, Person

SEED = int(os.environ.get("FUZZ_SEED", "20261207"))
ANSWER_WITHIN = 6.0  # seconds: "every update gets an answer within a few seconds"


def _failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR and (r.name.startswith("handlers") or r.name.startswith("telegram"))]


def mutations(data: str, rng: random.Random) -> list[str]:
    """Crafted variants of one button's data: unknown verb, stale nonce, ids out of bounds and
    negative, truncated, padded to 64 bytes, random printable garbage."""
    parts = data.split(":")
    out = {data}
    if len(parts) > 1:
        out.add(":".join([parts[0], "zzz", *parts[2:]]))
        out.add(":".join(parts[:-1] + ["".join(rng.choices(string.ascii_letters, k=12))]))
        out.add(":".join(parts[:-1]))
    for i, p in enumerate(parts):
        if p.isdigit():
            for big in ("99999999999999999999", "2147483648", "-1", "0", "1.0"):
                out.add(":".join(parts[:i] + [big] + parts[i + 1:]))
    out.add((data + ":" + "A" * 64)[:64])
    out.add("".join(rng.choices(string.printable.strip(), k=rng.randint(1, 64))))
    out.add(parts[0] + ":" + "".join(rng.choices(string.ascii_lowercase + ":0123456789", k=rng.randint(1, 40))))
    return [d for d in out if 1 <= len(d.encode()) <= 64]


async def all_buttons(*chats: tuple[Person, object]) -> list[tuple[Person, Message, str]]:
    """(viewer, message, callback_data) of every inline button in these chats."""
    found = []
    for person, chat in chats:
        for msg in await person.messages(chat):
            for row in msg.keyboard:
                for b in row:
                    if b.get("callback_data"):
                        found.append((person, msg, b["callback_data"]))
    return found


async def press_answered(person: Person, msg: Message, data: str, *, forge: bool = True) -> None:
    """Press; the bot answers within ANSWER_WITHIN (the emulator's 504 otherwise fails the test). A
    message an earlier press deleted (a keypad) can no longer be pressed, as in Telegram."""
    try:
        answer = await person.press(msg, callback_data=data, forge=forge, timeout=ANSWER_WITHIN)
    except ControlError as err:
        if "not found" in str(err):
            return
        raise
    assert answer is not None, (person, data)


async def said_something(person: Person, text: str, chat=None) -> None:
    """Send ``text``; the bot answers with a message (new or edited) within a few seconds."""
    await person.send(chat, text)
    await person.expect(chat, timeout=ANSWER_WITHIN)


JUNK = ["", " ", "/foo", "/start@SomeOtherBot x", "-1", "1e9", "NaN", "99999999999999999999999", "¥-0.01",
        "'; DROP TABLE users; --", "<b>bold</b>", "😀" * 50, "x" * 3000, "/cancel@WalletDemoBot extra",
        "１２３", "0.001", "/hongbao", "/transfer", "\u202e123456"]


def junk(rng: random.Random, n: int) -> list[str]:
    return [t for t in rng.sample(JUNK, n) if t.strip()]


async def test_fuzz_buttons_text_and_concurrent_presses(bot, ctx, people, alice, bob, carol, caplog):
    caplog.set_level(logging.WARNING)
    rng = random.Random(SEED)
    await opened(ctx, alice, balance=50_000)
    await opened(ctx, bob, balance=10_000)
    group = await people.group("Fuzz", alice, bob, carol)

    # a busy scenario: every kind of button the bot sends
    await alice.send("/wallet")
    home = await alice.expect(contains="零钱")
    for command in ("/settings", "/security", "/cards", "/bills", "/shop", "/receive", "/tickets"):
        await alice.send(command)
        await alice.expect(timeout=ANSWER_WITHIN)
    await send_packet(alice, group, "/hongbao 1 2 fuzz")
    said = await bob.send(group, "hi")
    await alice.send(group, "/transfer 1 fuzz", reply_to=said)
    screen = await alice.expect(contains="确认向")
    await alice.press(screen, "确认")
    await enter_pin(alice)
    await alice.expect(group, contains="→")
    await alice.send("/topup")
    await alice.expect(contains="充值多少")
    await alice.send("10")
    choose = await alice.expect(contains="从哪张卡充值")
    await alice.press(choose, "****")
    await keypad(alice)  # a live keypad, left waiting
    await carol.send("/start")
    await carol.expect(contains="钱包助手")
    await bob.send("/wallet")
    bob_home = await bob.expect(contains="Balance")

    buttons = await all_buttons((alice, None), (alice, group), (bob, None), (carol, None))
    buttons += [(alice, choose, b["callback_data"]) for row in choose.keyboard for b in row]  # edited into the keypad
    kinds = {data.split(":")[0] for _, _, data in buttons}
    assert {"home", "set", "sec", "rp", "tf", "pin", "tu", "ob"} <= kinds, kinds

    # crafted presses: the owner's own screens, and every button's data forged by someone else
    for viewer, msg, data in buttons:
        for variant in rng.sample(mutations(data, rng), k=min(5, len(mutations(data, rng)))):
            await press_answered(viewer, msg, variant)
        await press_answered(bob, bob_home, data)  # another person's button, on their own screen
        if msg.chat_id == group.id:
            await press_answered(carol, msg, data)  # a group member without a wallet

    # concurrent presses: the same button five times at once, and different buttons at once
    await alice.send("/wallet")  # (the fuzz may have switched her language: find the home by its buttons)
    home = await alice.expect(where=lambda m: "home:refresh" in str(m.keyboard))
    await asyncio.gather(*(press_answered(alice, home, "home:refresh", forge=False) for _ in range(5)))
    await asyncio.gather(*(press_answered(v, m, d) for v, m, d in rng.sample(buttons, k=min(8, len(buttons)))
                           if v is not carol))

    # random text and commands in every conversation state a person can be in
    states = [
        (alice, ["/cancel", "/topup"]),                    # the amount step
        (alice, ["/cancel", "/withdraw"]),                 # the amount step
        (alice, ["/cancel", "/transfer"]),                 # who to pay
        (alice, ["/cancel", "/report"]),                   # which bill
        (alice, ["/cancel", "/bind"]),                     # a card number
        (alice, ["/cancel"]),                              # outside any flow
        (carol, ["/cancel", "/start"]),                    # onboarding: the language
        (bob, ["/cancel", "/settings"]),                   # a menu of buttons
    ]
    for person, steps in states:
        for step in steps:
            await person.send(step)
            await person.expect(timeout=ANSWER_WITHIN)
        for text in junk(rng, 6):
            await said_something(person, text)
    for text in ("/wallet", "/foo", "/hongbao x y", "/transfer abc"):  # group commands
        await said_something(carol, text, group)

    assert not _failures(caplog), _failures(caplog)
    await scan_secrets(alice)
