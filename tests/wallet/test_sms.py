"""wallet.sms: gateways, codes and texts."""
from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from wallet.errors import SmsSendFailed
from wallet.sms import HttpInboxSms, SandboxSms, SmsGateway, generate_code, hash_code, sms_text, verify_code

PHONE = "13812345678"


def test_generate_code() -> None:
    codes = [generate_code() for _ in range(2000)]
    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in codes)
    assert len(set(codes)) > 1900  # random, not a counter or constant
    assert any(c.startswith("0") for c in codes)  # leading zeros are kept


def test_hash_code() -> None:
    h = hash_code("123456", PHONE)
    assert len(h) == 64 and "123456" not in h
    assert h == hash_code("123456", PHONE)
    assert h != hash_code("123457", PHONE)
    assert h != hash_code("123456", "13912345678")  # bound to the phone
    assert h != hash_code("123456", PHONE, secret="server-secret")
    assert hash_code(" 123 456 ", PHONE) == h  # typed with spaces
    assert hash_code("１２３４５６", PHONE) == h  # full-width digits
    assert verify_code("123456", PHONE, h)
    assert not verify_code("654321", PHONE, h)
    s = hash_code("123456", PHONE, secret=b"k")
    assert verify_code("123456", PHONE, s, secret="k") and not verify_code("123456", PHONE, s)


def test_sms_text() -> None:
    assert sms_text("123456", "zh") == "【钱包】验证码 123456，5分钟内有效，请勿告诉他人。"
    assert sms_text("123456", "zh-hans") == sms_text("123456", "zh")
    assert sms_text("123456", "en") == "[Wallet] Your code is 123456, valid for 5 minutes. Never share it."
    assert sms_text("123456", "ru") == sms_text("123456", "en")
    assert "10 minutes" in sms_text("123456", "en", minutes=10)


async def test_sandbox_sms(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sms = SandboxSms()
    assert isinstance(sms, SmsGateway)
    assert sms.inbox(PHONE) == [] and sms.last_code(PHONE) is None
    await sms.send(PHONE, sms_text("012345", "zh"))
    await sms.send(PHONE, "Welcome to Wallet")
    await sms.send("13912345678", sms_text("999999", "en"))
    assert sms.inbox(PHONE) == [sms_text("012345", "zh"), "Welcome to Wallet"]
    assert sms.last_code(PHONE) == "012345"
    await sms.send(PHONE, sms_text("654321", "en"))
    assert sms.last_code(PHONE) == "654321"
    assert sms.last_code("13912345678") == "999999"
    sms.inbox(PHONE).clear()  # a copy: the inbox itself is untouched
    assert len(sms.inbox(PHONE)) == 3
    assert "654321" not in caplog.text and PHONE not in caplog.text
    sms.clear()
    assert sms.inbox(PHONE) == []


@pytest.fixture
async def inbox_server():
    received: list[dict] = []

    async def post_sms(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"ok": False}, status=500)

    app = web.Application()
    app.router.add_post("/control/sms", post_sms)
    app.router.add_post("/broken/control/sms", broken)
    server = TestServer(app)
    await server.start_server()
    yield server, received
    await server.close()


async def test_http_inbox_sms(inbox_server) -> None:
    server, received = inbox_server
    base = str(server.make_url("/"))
    for url in (base, base.rstrip("/") + "/control/sms"):
        sms = HttpInboxSms(url)
        assert isinstance(sms, SmsGateway)
        assert sms.url.endswith("/control/sms") and "/control/sms/control" not in sms.url
        await sms.send(PHONE, sms_text("123456", "zh"))
    assert received == [{"phone_number": PHONE, "text": sms_text("123456", "zh")}] * 2


async def test_http_inbox_sms_failures(inbox_server) -> None:
    server, _ = inbox_server
    with pytest.raises(SmsSendFailed):
        await HttpInboxSms(str(server.make_url("/broken"))).send(PHONE, "x")
    with pytest.raises(SmsSendFailed):
        await HttpInboxSms("http://127.0.0.1:1", timeout=2).send(PHONE, "x")
