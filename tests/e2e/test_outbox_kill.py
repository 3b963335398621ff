"""A bot process killed with SIGKILL between a transfer's commit and its notice: the notice was
written to the outbox in the transaction of the accept, so the next bot delivers it, once.

The first bot runs as a process of its own (tests/crash/bot_process.py) whose outbox job never
comes round (an interval of an hour): Bob accepts Alice's transfer in chat, the accept commits with
Alice's notice, and the process is killed before anything sends it. A second bot on the same
database then delivers it exactly once."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from bot.settings import Settings
from tests.e2e.flows import enter_pin, keypad, scan_secrets
from tests.e2e.steps import running_bot
from tests.e2e.test_transfer import _send
from tests.wallet.helpers import make_person, set_now, wallet_balance
from wallet import outbox
from wallet.models import transfers
from wallet.uow import read

ROOT = Path(__file__).resolve().parents[2]
NOTICE = "已收下"  # Alice's notice: Bob accepted


async def _count(person, text):
    return sum(text in m.text for m in await person.messages() if m.from_bot)


def start_bot(emulator, database_url: str, tmp_path: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "WALLET_DATABASE_URL": database_url, "WALLET_SANDBOX_BANK_PATH": str(tmp_path / "bank.json"),
           "WALLET_OUTBOX_INTERVAL_SECONDS": "3600", "WALLET_SWEEP_INTERVAL_SECONDS": "3600",
           "WALLET_TEST_EMULATOR_URL": emulator.url, "WALLET_TEST_BOT_BASE_URL": emulator.bot_base_url,
           "WALLET_TEST_FILE_BASE_URL": emulator.file_base_url, "WALLET_TEST_TOKEN": emulator.token}
    return subprocess.Popen([sys.executable, "-m", "tests.crash.bot_process"], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


async def wait_ready(proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    for _ in range(int(timeout * 10)):
        if "bot ready" in log.read_text():
            return
        assert proc.poll() is None, log.read_text()
        await asyncio.sleep(0.1)
    raise AssertionError("the bot process did not start:\n" + log.read_text())


async def test_a_bot_killed_after_the_commit_delivers_the_notice_after_restart(emulator, tmp_path, ctx, people,
                                                                               alice, bob):
    set_now(ctx, datetime.now(timezone.utc))  # the bot processes run on the system clock
    await make_person(ctx, alice.id, balance=5_000, language="zh-CN")
    await make_person(ctx, bob.id, language="en")
    url = ctx.engine.url.render_as_string(hide_password=False)
    log = tmp_path / "bot.log"
    proc = start_bot(emulator, url, tmp_path, log)
    try:
        await wait_ready(proc, log)
        await bob.send("/start")
        await bob.expect()
        screen = await _send(alice, bob, "20")
        await alice.press(screen, "确认")
        await enter_pin(alice, pad=await keypad(alice))
        card = await bob.expect(contains="→", regex=r"¥20\.00")
        answer = await bob.press(card, "Accept")  # answered after the accept committed
        assert "¥20.00" in answer.text
        status = await read(ctx, lambda conn: conn.scalar(select(transfers.c.status)))
        assert status == "accepted"
        assert [n["msgid"] for n in await outbox.pending(ctx) if n["user_id"] == alice.id] == [
            "notice.transfer_accepted_sender"]
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown, no persistence flush: as a crash
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert await _count(alice, NOTICE) == 0  # killed before the notice went out

    settings = Settings(database_url=url, sandbox_bank_path=tmp_path / "bank.json", sweep_interval_seconds=3600,
                        outbox_interval_seconds=0.3)
    async with running_bot(emulator, settings):  # a new bot on the same database
        await alice.expect(contains="¥20.00", regex=NOTICE, since=0, timeout=15)
        await asyncio.sleep(1.5)  # more rounds of the outbox job: nothing is sent twice
        assert await _count(alice, NOTICE) == 1
        assert [n for n in await outbox.pending(ctx) if n["user_id"] == alice.id] == []
    assert await wallet_balance(ctx, alice.id) == 3_000 and await wallet_balance(ctx, bob.id) == 2_000
    await scan_secrets(alice)
    await scan_secrets(bob)
