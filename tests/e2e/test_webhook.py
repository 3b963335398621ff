"""The wallet bot in webhook mode (WALLET_WEBHOOK_URL on a local port) against the emulator:
it answers /start, and a restart with updates pending loses none and answers none twice."""
from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time

import aiohttp
import pytest

from bot.run import run_local, start_receiving
from bot.settings import Settings
from emulator import DEFAULT_TOKEN

pytestmark = pytest.mark.timeout(90)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webhook_settings(database_url: str, tmp_path, port: int, **more) -> Settings:
    return Settings(database_url=database_url, sandbox_bank_path=tmp_path / "sandbox_bank.json",
                    sweep_interval_seconds=3600, webhook_url=f"http://127.0.0.1:{port}/wallet-hook",
                    webhook_listen="127.0.0.1", webhook_port=port, **more)


async def test_run_local_with_a_webhook_answers_start(tmp_path, capsys):
    port = free_port()
    settings = webhook_settings(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", tmp_path, port, emulator_port=0)
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_local(settings, ready=ready, stop=stop))
    try:
        await asyncio.wait_for(ready.wait(), 20)
        out = capsys.readouterr().out
        assert f"webhook http://127.0.0.1:{port}/wallet-hook" in out
        url = re.search(r"web chat: (http://127\.0\.0\.1:\d+/)", out).group(1)
        async with aiohttp.ClientSession(url) as s:
            info = await (await s.get("/control/webhook")).json()
            assert info["url"] == f"http://127.0.0.1:{port}/wallet-hook" and info["secret_token_set"]
            bob = next(u for u in await (await s.get("/control/users")).json() if u["first_name"] == "Bob")
            sent = await (await s.post("/control/send", json={"user_id": bob["id"], "chat_id": bob["id"],
                                                              "text": "/start"})).json()
            got = await (await s.get(f"/control/chats/{bob['id']}/messages",
                                     params={"user_id": bob["id"], "after": sent["message_id"], "wait": 10})).json()
            assert "wallet assistant" in got[0]["text"]
            assert (await (await s.get("/control/webhook")).json())["delivered"] >= 1
            # a second process that tries to long-poll is told a webhook is active
            res = await s.get(f"/bot{DEFAULT_TOKEN}/getUpdates")
            assert res.status == 409 and "webhook is active" in (await res.json())["description"]
        # the webhook refuses requests without the secret, as PTB checks it
        async with aiohttp.ClientSession() as s:
            res = await s.post(f"http://127.0.0.1:{port}/wallet-hook", json={"update_id": 1})
            assert res.status == 403
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@contextlib.asynccontextmanager
async def wallet_bot(emulator, settings: Settings):
    """The wallet bot as `wallet-bot run` drives it, receiving through its webhook."""
    from bot.app import build_application

    app = build_application(settings, base_url=emulator.bot_base_url, base_file_url=emulator.file_base_url,
                            token=emulator.token, sms_inbox_url=f"{emulator.url}/control/sms")
    async with app:
        await app.post_init(app)
        await app.start()
        await start_receiving(app, settings)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    await app.post_shutdown(app)


@pytest.fixture
async def webhook_db(request, tmp_path):
    from bot.run import migrate

    try:
        url = request.getfixturevalue("database_url")
        template = request.getfixturevalue("database_template")
    except pytest.FixtureLookupError:
        url, template = f"sqlite+aiosqlite:///{tmp_path / 'wallet.db'}", None
    if template is None:
        await asyncio.to_thread(migrate, Settings(database_url=url))
    return url


async def test_a_restart_with_pending_updates_loses_none(emulator, people, alice, bob, carol, webhook_db, tmp_path):
    port = free_port()
    settings = webhook_settings(webhook_db, tmp_path, port)
    await people.call("POST", "/control/webhook", json={"max_retry_delay": 0.5})
    async with wallet_bot(emulator, settings):
        await alice.send("/start")
        await alice.expect(contains="钱包助手")
        info = await people.call("GET", "/control/webhook")
        assert info["url"] == settings.webhook_url and info["pending_update_count"] == 0
    stopped = time.monotonic()

    # the bot is down: everyone writes; the emulator keeps the updates and retries
    for person in (alice, bob, carol):
        await person.send("/help")
    await bob.send("/start")
    deadline = time.monotonic() + 10
    while (info := await people.call("GET", "/control/webhook"))["last_error"] is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert info["last_error"][1] == "Connection refused" and info["pending_update_count"] == 4
    await asyncio.sleep(max(0.0, 1.1 - (time.monotonic() - stopped)))  # setWebhook at most once a second

    async with wallet_bot(emulator, settings):
        for person, text in ((alice, "我能做什么"), (bob, "What I can do"), (carol, "我能做什么")):
            await person.expect(contains=text, timeout=15)
        await bob.expect(contains="wallet assistant", timeout=15)
        deadline = time.monotonic() + 10
        while (info := await people.call("GET", "/control/webhook"))["pending_update_count"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert info["pending_update_count"] == 0
        await asyncio.sleep(0.5)
    # each update answered exactly once: Alice /start (before) + /help, Bob /help + /start, Carol /help
    for person, welcome, helps, welcomes in ((alice, "你好，", 1, 1), (bob, "Hello, ", 1, 1), (carol, "你好，", 1, 0)):
        texts = [m.text for m in await person.messages() if m.from_bot]
        assert sum(t.startswith(("我能做什么", "What I can do")) for t in texts) == helps, texts
        assert sum(t.startswith(welcome) for t in texts) == welcomes, texts
