"""A bot killed after a payment committed and before it said so, then restarted; Telegram delivers
the last PIN press again (its getUpdates offset was never confirmed; the emulator's
``POST /control/redeliver``). The payment's key comes from the draft's nonce, which the
persistence kept with the conversation (waiting for the PIN): nothing is paid twice, the journal
holds one transaction for that key, and the person gets an answer.

What the person sees: the digits typed before the crash lived in the dead process's memory
(handlers/ui/keypad_screen.py), and the dead process had already answered the press (a callback
query is answered once), so no popup can be shown. The old keypad is refused and a fresh one comes
with a line saying why (nothing is done twice); the PIN on it replays the first result ("Paid"),
and the payee's card or notice comes once. The same press delivered yet again does nothing more.

The first bot runs as a process of its own (tests/crash/bot_process.py) that kills itself with
SIGKILL right after the payment's service call returned (``WALLET_TEST_KILL_AFTER``)."""
from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.settings import Settings
from tests.e2e.flows import enter_pin, keypad, scan_secrets
from tests.e2e.steps import errors_logged, running_bot
from tests.e2e.test_outbox_kill import start_bot, wait_ready
from tests.e2e.test_pin_redelivered import fixed_code_link, journal_kind, journal_rows, nonce_of, said, settled
from tests.e2e.test_transfer import _send
from tests.wallet.helpers import PIN, make_person, set_now, wallet_balance
from wallet.models import chat_state
from wallet.uow import read

AGAIN = {"en": "nothing is done twice", "zh-CN": "同一操作不会执行两次"}  # keypad.retype


async def persisted(ctx, state: str, timeout: float = 10) -> None:
    """Wait until the persistence wrote the conversation waiting in ``state`` (it writes every second)."""
    for _ in range(int(timeout / 0.05)):
        rows = await read(ctx, lambda conn: conn.execute(select(chat_state.c.data).where(chat_state.c.kind == "conv")))
        if any(f'"{state}"' in r.data for r in rows.all()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the conversation state {state} was never written")


async def wait_killed(proc, log, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if proc.poll() is not None:
            break
        await asyncio.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError("the bot did not die after the payment:\n" + log.read_text())
    assert proc.returncode == -signal.SIGKILL, log.read_text()
    assert "killing myself after" in log.read_text()


async def press_all_but_the_last(person, pad, pin: str = PIN) -> str:
    """Tap the first five digits; returns the callback_data of the sixth."""
    layout = {b["text"]: b["callback_data"] for row in pad.keyboard for b in row}
    for digit in pin[:-1]:
        await person.press(pad, callback_data=layout[digit])
    return layout[pin[-1]]


@pytest.mark.parametrize("kind", ["shop", "transfer"])
async def test_the_last_pin_press_again_after_a_restart_between_payment_and_reply_pays_once(
        kind, emulator, people, tmp_path, ctx, monkeypatch, caplog, alice, bob):
    set_now(ctx, datetime.now(timezone.utc))  # the bot processes run on the system clock
    if kind == "shop":
        payer, payee, state, target = bob, alice, "pay.pin", "wallet.services.merchants:pay"
        await make_person(ctx, alice.id, language="zh-CN")
        await make_person(ctx, bob.id, balance=10_000, language="en")
        link = await fixed_code_link(ctx, alice, 3_000)
    else:
        payer, payee, state, target = alice, bob, "transfer.pin", "wallet.services.transfers:send"
        await make_person(ctx, alice.id, balance=10_000, language="zh-CN")
        await make_person(ctx, bob.id, language="en")
    url = ctx.engine.url.render_as_string(hide_password=False)
    log = tmp_path / "bot.log"
    monkeypatch.setenv("WALLET_TEST_KILL_AFTER", target)
    proc = start_bot(emulator, url, tmp_path, log)
    try:
        await wait_ready(proc, log)
        for person in (alice, bob):
            await person.send("/start")
            await person.expect()
        if kind == "shop":
            await bob.open_link(link)
            screen = await bob.expect(contains="¥30.00")
            await bob.press(screen, "Pay")
        else:
            screen = await _send(alice, bob, "30")
            await alice.press(screen, "确认")
        pad = await keypad(payer)
        sixth = await press_all_but_the_last(payer, pad)
        await persisted(ctx, state)  # as after a person's few seconds on the keypad
        last = await payer.press(pad, callback_data=sixth)  # answered, then paid, then the process dies
        await wait_killed(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    if kind == "shop":
        key, journal_kind_, done = f"u{bob.id}:merchant_pay:tg:{bob.id}:pay:{nonce_of(screen)}", "pay", "Paid"
    else:
        key, journal_kind_, done = (f"u{alice.id}:transfer_send:tg:{alice.id}:transfer:{nonce_of(screen)}",
                                    "transfer_hold", "→")  # the sender's own card
    assert await journal_kind(ctx, journal_kind_, payer.id) == 1  # paid...
    assert await wallet_balance(ctx, payer.id) == 7_000
    before = {m.id for m in await payer.messages()}
    assert not [m for m in await payer.messages() if m.from_bot and done in m.text and m.id > pad.id]  # ...unsaid

    settings = Settings(database_url=url, sandbox_bank_path=tmp_path / "bank.json", sweep_interval_seconds=3600,
                        outbox_interval_seconds=0.3)
    caplog.set_level(logging.WARNING)
    async with running_bot(emulator, settings):  # a new bot on the same database
        await people.redeliver(last.update_id)  # Telegram delivers the unconfirmed press again
        fresh = await keypad(payer, where=lambda m: m.id not in before, since=0)
        assert AGAIN["en" if payer is bob else "zh-CN"] in fresh.text and "○○○○○○" in fresh.text
        old = next(m for m in await payer.messages() if m.id == pad.id)
        assert old.buttons == []  # the old keypad has no keys left
        await enter_pin(payer, pad=fresh)
        result = await payer.expect(contains=done, where=lambda m: m.id > fresh.id)
        assert "¥30.00" in result.text

        await people.redeliver(last.update_id)  # and once more: nothing more
        await settled(payer)
        if kind == "shop":
            await alice.expect(contains="¥30.00", regex="向你的店铺", since=0, timeout=15)  # the shop's notice
            assert len(said(await alice.messages(), "向你的店铺")) == 1
        else:
            cards = [m for m in await bob.messages() if m.from_bot and "¥30.00" in m.text and m.buttons]
            assert len(cards) == 1  # one card for Bob, posted by the new bot from the replayed result
            answer = await bob.press(cards[0], "Accept")
            assert "¥30.00" in answer.text
    assert errors_logged(caplog) == []
    assert await wallet_balance(ctx, payer.id) == 7_000 and await wallet_balance(ctx, payee.id) == 3_000
    assert await journal_kind(ctx, journal_kind_, payer.id) == 1
    assert await journal_rows(ctx, key) == 1  # under the key of the draft's nonce
    assert len([m for m in await payer.messages() if m.from_bot and done in m.text and m.id > pad.id]) == 1
    await scan_secrets(payer)
