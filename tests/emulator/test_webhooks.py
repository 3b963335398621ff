"""Webhooks as Telegram delivers them, pinned with raw HTTP: setWebhook / getWebhookInfo /
deleteWebhook, the secret header, retries with back-off, one update in flight per chat,
max_connections, drop_pending_updates, and getUpdates refused while a webhook is set."""
from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import pytest
from aiohttp import web

from tests.emulator.test_chat_flows import Api

pytestmark = pytest.mark.timeout(60)


class Receiver:
    """A webhook endpoint on a free port: records what arrives; `answer` decides the response."""

    def __init__(self) -> None:
        self.got: list[tuple[dict, dict]] = []  # (update, headers)
        self.answer = None  # async (update) -> web.Response | None (None: 200 empty)
        self.hold = 0.0  # seconds each request takes
        self.active: dict = {}  # chat id -> requests in progress
        self.max_per_chat = 0
        self.max_total = 0
        self.event = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        update = await request.json()
        chat = (update.get("message") or {}).get("chat", {}).get("id")
        self.active[chat] = self.active.get(chat, 0) + 1
        self.max_per_chat = max(self.max_per_chat, self.active[chat])
        self.max_total = max(self.max_total, sum(self.active.values()))
        try:
            if self.hold:
                await asyncio.sleep(self.hold)
            response = await self.answer(update) if self.answer else None
            if response is None or response.status < 300:
                self.got.append((update, dict(request.headers)))
                self.event.set()
            return response or web.Response()
        finally:
            self.active[chat] -= 1

    def texts(self) -> list[str]:
        return [u["message"].get("text") for u, _ in self.got if "message" in u]

    async def wait(self, n: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.got) < n:
            self.event.clear()
            left = deadline - time.monotonic()
            assert left > 0, f"only {len(self.got)} of {n} updates reached the webhook: {self.texts()}"
            try:
                await asyncio.wait_for(self.event.wait(), left)
            except asyncio.TimeoutError:
                pass


@pytest.fixture
async def receiver():
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def api(emulator):
    async with aiohttp.ClientSession() as session:
        yield Api(session, emulator)


async def test_set_webhook_info_and_delivery_with_the_secret(api, people, receiver, alice):
    assert (await api.ok("getWebhookInfo"))["url"] == ""
    await alice.send("before the webhook")
    status, body = await api("setWebhook", url=receiver.url, secret_token="s3cr3t_-X")
    assert status == 200 and body == {"ok": True, "result": True, "description": "Webhook was set"}
    await receiver.wait(1)
    await alice.send("one")
    await alice.send("two")
    await receiver.wait(3)
    assert receiver.texts() == ["before the webhook", "one", "two"]
    assert all(h["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t_-X" for _, h in receiver.got)
    assert [u["update_id"] for u, _ in receiver.got] == sorted(u["update_id"] for u, _ in receiver.got)
    info = await api.ok("getWebhookInfo")
    assert info["url"] == receiver.url and info["pending_update_count"] == 0 and info["max_connections"] == 40
    assert "last_error_message" not in info
    status, body = await api("getUpdates")
    assert status == 409 and body["description"] == ("Conflict: can't use getUpdates method while webhook is active; "
                                                     "use deleteWebhook to delete the webhook first")


async def test_set_webhook_ends_a_running_long_poll(api, people, receiver):
    poll = asyncio.create_task(api("getUpdates", timeout=20))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await api.ok("setWebhook", url=receiver.url)
    status, body = await asyncio.wait_for(poll, 2)
    assert status == 409 and body["description"] == "Conflict: terminated by setWebhook request"


async def test_failed_deliveries_are_retried_with_back_off(api, people, emulator, receiver, alice):
    await people.call("POST", "/control/webhook", json={"max_retry_delay": 0.4})
    attempts: list[float] = []

    async def flaky(update):
        attempts.append(time.monotonic())
        if len(attempts) <= 3:
            return web.Response(status=500, text="boom")
        return None

    receiver.answer = flaky
    await api.ok("setWebhook", url=receiver.url)
    await alice.send("keep trying")
    deadline = time.monotonic() + 5
    while len(attempts) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert abs(info["last_error_date"] - time.time()) < 5
    await receiver.wait(1)
    assert receiver.texts() == ["keep trying"] and len(attempts) == 4
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] < 0.3 and 0.3 < gaps[1] and 0.3 < gaps[2]  # at once, then the (capped) back-off
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_a_webhook_that_is_down_gets_everything_once_it_is_up(api, people, emulator, receiver, alice):
    await people.call("POST", "/control/webhook", json={"max_retry_delay": 0.2})
    dead = receiver.url.replace("/hook", "/missing")  # 404 from the receiver's server
    await api.ok("setWebhook", url=dead)
    for i in range(3):
        await alice.send(f"m{i}")
    await asyncio.sleep(0.5)
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 3 and "404" in info["last_error_message"]
    await asyncio.sleep(1.1)  # setWebhook with a URL at most once a second
    await api.ok("setWebhook", url=receiver.url)
    await receiver.wait(3)
    assert receiver.texts() == ["m0", "m1", "m2"]


async def test_connection_refused_is_reported(api, people, alice):
    await people.call("POST", "/control/webhook", json={"max_retry_delay": 0.2})
    with socket.socket() as s:  # a port nobody listens on: bind one, then close it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await api.ok("setWebhook", url=f"http://127.0.0.1:{port}/hook")
    await alice.send("anyone?")
    deadline = time.monotonic() + 5
    while "last_error_message" not in (info := await api.ok("getWebhookInfo")) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert info["last_error_message"] == "Connection refused" and info["pending_update_count"] == 1


async def test_one_update_in_flight_per_chat_and_max_connections(api, people, receiver, alice, bob):
    receiver.hold = 0.15
    await alice.send("/start")
    await bob.send("/start")
    await api.drain()
    for i in range(3):
        await alice.send(f"a{i}")
        await bob.send(f"b{i}")
    await api.ok("setWebhook", url=receiver.url)
    await receiver.wait(6)
    texts = receiver.texts()
    assert [t for t in texts if t.startswith("a")] == ["a0", "a1", "a2"]
    assert [t for t in texts if t.startswith("b")] == ["b0", "b1", "b2"]
    assert receiver.max_per_chat == 1 and receiver.max_total == 2  # chats in parallel, each in order

    receiver.got.clear()
    receiver.max_total = 0
    await api.ok("deleteWebhook")
    for i in range(2):
        await alice.send(f"c{i}")
        await bob.send(f"d{i}")
    await asyncio.sleep(1.1)
    await api.ok("setWebhook", url=receiver.url, max_connections=1)
    assert (await api.ok("getWebhookInfo"))["max_connections"] == 1
    await receiver.wait(4)
    assert receiver.max_total == 1


async def test_drop_pending_updates_and_delete_webhook(api, people, receiver, alice):
    await alice.send("old news")
    await alice.send("older news")
    await api.ok("setWebhook", url=receiver.url, drop_pending_updates=True)
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0
    status, body = await api("deleteWebhook")
    assert body == {"ok": True, "result": True, "description": "Webhook was deleted"}
    status, body = await api("deleteWebhook")
    assert body["description"] == "Webhook is already deleted"
    await alice.send("kept for getUpdates")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["kept for getUpdates"]
    assert receiver.got == []
    await api.ok("deleteWebhook", drop_pending_updates=True)
    assert await api.ok("getUpdates") == []


async def test_set_webhook_refusals(api, people, receiver):
    for params, code, text in (
            ({"url": "ftp://example.org/hook"}, 400, "Bad Request: invalid webhook URL specified"),
            ({"url": receiver.url, "secret_token": "no spaces"}, 400, "Bad Request: secret token contains unallowed characters"),
            ({"url": receiver.url, "secret_token": "x" * 257}, 400, "Bad Request: secret token is too long")):
        async with api.session.post(f"{api.base}/setWebhook", json=params) as res:
            body = await res.json()
        assert (res.status, body["description"]) == (code, text), params
        await asyncio.sleep(1.05)  # each of these counts against the once-a-second limit
    await api.ok("setWebhook", url=receiver.url)
    async with api.session.post(f"{api.base}/setWebhook", json={"url": receiver.url + "?x=1"}) as res:
        body = await res.json()
        assert res.status == 429 and res.headers["Retry-After"] == "1" and body["parameters"] == {"retry_after": 1}
    await asyncio.sleep(1.05)
    assert (await api("setWebhook", url=receiver.url))[1]["description"] == "Webhook is already set"


async def test_a_webhook_answer_can_be_a_bot_api_call(api, people, receiver, alice):
    async def reply(update):
        return web.json_response({"method": "sendMessage", "chat_id": update["message"]["chat"]["id"],
                                  "text": f"echo: {update['message']['text']}"})

    receiver.answer = reply
    await api.ok("setWebhook", url=receiver.url)
    await alice.send("ping")
    assert (await alice.expect(contains="echo")).text == "echo: ping"
