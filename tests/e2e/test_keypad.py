"""The PIN keypad through the emulator: keys name positions (never digits) and are shuffled each
time, dots and delete, cancel, a keypad nobody waits for, and a restart in the middle of a PIN
(the digits lived in memory: the old keypad is refused with a popup and a fresh one sent)."""
from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.steps import assert_no_secrets, open_wallet, running_bot
from tests.wallet.helpers import PIN, wallet_balance
from wallet.models import chat_state

KEY = re.compile(r"pin:([dxc]):(\d):([A-Za-z0-9_-]+)")


def _keys(pad) -> list[tuple[str, str, str, str]]:
    """(label, verb, position, nonce) of every key, row by row."""
    out = []
    for row in pad.keyboard:
        for b in row:
            m = KEY.fullmatch(b["callback_data"])
            assert m, b
            out.append((b["text"], *m.groups()))
    return out


async def _topup_keypad(person, last4: str, amount: str = "100"):
    await person.send("/topup")
    await person.expect(regex="100")  # the amount question
    await person.send(amount)
    choose = await person.expect(where=lambda m: any(last4 in b for b in m.buttons))
    await person.press(choose, f"****{last4}")
    return await keypad(person)


async def test_keys_name_positions_and_digits_are_shuffled_each_time(bot, ctx, bob):
    card = await opened(ctx, bob)
    layouts, nonces = [], set()
    for _ in range(4):
        pad = await _topup_keypad(bob, card["last4"])
        keys = _keys(pad)
        digits = [(label, int(pos)) for label, verb, pos, _ in keys if verb == "d"]
        assert sorted(label for label, _ in digits) == list("0123456789")
        # row-major positions 0..8, then 9 in the middle of the last row: the data names the place
        assert [pos for _, pos in digits] == list(range(10))
        assert {verb for _, verb, _, _ in keys} == {"d", "x", "c"}
        nonces |= {nonce for *_, nonce in keys}
        layouts.append("".join(label for label, _ in digits))
        await bob.send("/cancel")
        await bob.expect(contains="ancel")
    assert len(nonces) == 4  # one nonce per keypad shown
    assert len(set(layouts)) > 1  # shuffled (4 equal layouts: odds 1 in 10!^3)
    await scan_secrets(bob)


async def test_dots_delete_and_cancel(bot, ctx, bob):
    card = await opened(ctx, bob)
    pad = await _topup_keypad(bob, card["last4"])
    assert "○○○○○○" in pad.text
    for digit in PIN[:3]:
        await bob.press(pad, digit)
    assert "●●●○○○" in (await bob.expect(edited=True, contains="●●●○○○")).text
    await bob.press(pad, "⌫")
    await bob.expect(edited=True, contains="●●○○○○")
    await bob.press(pad, "Cancel")
    gone = await bob.expect(edited=True, contains="Cancelled")
    assert gone.buttons == []
    assert await wallet_balance(ctx, bob.id) == 0
    await bob.send("100")  # the flow has ended: not an amount step any more
    await bob.expect_none(contains="from which card")
    await scan_secrets(bob)


async def test_cancel_takes_the_keypad_away(bot, ctx, alice):
    card = await opened(ctx, alice)
    pad = await _topup_keypad(alice, card["last4"])
    await alice.press(pad, PIN[0])
    await alice.send("/cancel")
    gone = await alice.expect(edited=True, where=lambda m: m.id == pad.id)
    assert gone.buttons == [] and "已取消" in gone.text and "●" not in gone.text
    assert await wallet_balance(ctx, alice.id) == 0
    await scan_secrets(alice)


@pytest.fixture
def short_idle(monkeypatch):
    from handlers.ui import common

    monkeypatch.setattr(common, "IDLE_TIMEOUT_SECONDS", 3)


async def test_a_keypad_left_by_an_idle_flow_answers_with_a_popup(short_idle, bot, ctx, alice):
    card = await opened(ctx, alice)
    pad = await _topup_keypad(alice, card["last4"])
    await alice.expect(contains="本次操作已结束", timeout=10)  # the flow timed out (chat-a's message)
    answer = await alice.press(pad, callback_data=pad.keyboard[0][0]["callback_data"])
    assert answer.show_alert and "已过期" in answer.text
    assert await wallet_balance(ctx, alice.id) == 0
    await scan_secrets(alice)


async def test_the_right_pin_on_a_keypad_after_wrong_ones_tops_up_once(bot, ctx, bob):
    card = await opened(ctx, bob)
    pad = await _topup_keypad(bob, card["last4"], "12.5")
    await enter_pin(bob, "864209", pad=pad)
    retry = await keypad(bob, contains="Wrong PIN. 4 tries left")
    assert retry.id != pad.id and "○○○○○○" in retry.text
    used = next(m for m in await bob.messages() if m.id == pad.id)
    # the used keypad: a neutral line, no tick (the PIN was wrong)
    assert used.buttons == [] and "PIN entered" in used.text and "✅" not in used.text
    await enter_pin(bob, PIN, pad=retry)
    await bob.expect(contains="Topped up ¥12.50")
    # the right one: its keypad gets the tick once the PIN was taken
    await bob.expect(edited=True, where=lambda m: m.id == retry.id and m.text.startswith("✅"), since=0)
    assert "✅" not in next(m for m in await bob.messages() if m.id == pad.id).text
    assert await wallet_balance(ctx, bob.id) == 1_250
    await scan_secrets(bob, pins=(PIN, "864209"))


@pytest.fixture
async def settings(database_url, database_template, tmp_path):
    from bot.run import migrate
    from bot.settings import Settings

    s = Settings(database_url=database_url, sandbox_bank_path=tmp_path / "sandbox_bank.json",
                 sweep_interval_seconds=3600)
    if database_template is None:
        await asyncio.to_thread(migrate, s)
    return s


async def test_a_restart_in_the_middle_of_a_pin_refuses_the_old_keypad_and_offers_a_fresh_one(
        settings, emulator, people, bob):
    async with running_bot(emulator, settings) as app:
        o = await open_wallet(people, bob)
        pad = await _topup_keypad(bob, o.card[-4:])
        for digit in o.pin[:3]:
            await bob.press(pad, digit)
        await bob.expect(edited=True, contains="●●●○○○")
    async with running_bot(emulator, settings) as app:
        async with app.bot_data["wallet"].engine.connect() as conn:
            stored = "\n".join(r.data for r in (await conn.execute(select(chat_state.c.data))).all())
        assert "topup.pin" in stored and o.pin not in stored
        answer = await bob.press(pad, callback_data=pad.keyboard[0][0]["callback_data"])
        assert answer.show_alert and "no longer valid" in answer.text
        fresh = await keypad(bob, where=lambda m: m.id != pad.id)
        assert "○○○○○○" in fresh.text  # nothing typed before the restart survived
        await enter_pin(bob, o.pin, pad=fresh)
        await bob.expect(contains="Topped up ¥100.00")
        assert await wallet_balance(app.bot_data["wallet"], bob.id) == 10_000
        await assert_no_secrets(people, bob, o.secrets, world=emulator.world)


async def test_two_flows_waiting_for_a_pin_never_swap_it(bot, ctx, bob):
    card = await opened(ctx, bob)
    topup_pad = await _topup_keypad(bob, card["last4"])  # the top-up waits for the PIN...
    await bob.send("/pin")  # ...and the person starts changing the PIN instead
    pin_pad = await keypad(bob, contains="current payment PIN")
    assert topup_pad.id not in [m.id for m in await bob.messages()]  # one keypad at a time
    await enter_pin(bob, PIN, pad=pin_pad)
    await keypad(bob, contains="Choose a new")  # the PIN went to the PIN change
    await bob.expect_none(contains="Topped up")
    assert await wallet_balance(ctx, bob.id) == 0
    await bob.send("/cancel")
    await scan_secrets(bob)
