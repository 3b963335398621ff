"""`wallet-bot run` without a token: emulator + bot + seeded people, stopped cleanly; logging; texts."""
from __future__ import annotations

import ast
import asyncio
import logging
import re
from pathlib import Path

import aiohttp
import pytest

from bot.run import run_local
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


async def test_run_local_serves_the_web_chat_seeds_people_and_answers_start(tmp_path, capsys):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", emulator_port=0)
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_local(settings, ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), 15)
    url = re.search(r"http://127\.0\.0\.1:\d+/", capsys.readouterr().out).group(0)
    async with aiohttp.ClientSession(url) as s:
        assert "本地信使" in await (await s.get("/static/app.js")).text()
        assert (await s.get("/")).status == 200
        users = await (await s.get("/control/users")).json()
        assert [(u["first_name"], u["language_code"]) for u in users] == [("Alice", "zh-CN"), ("Bob", "en"), ("Carol", "zh-CN")]
        chats = await (await s.get(f"/control/users/{users[1]['id']}/chats")).json()
        assert [c["type"] for c in chats] == ["private", "group"]
        bob = users[1]["id"]
        sent = await (await s.post("/control/send", json={"user_id": bob, "chat_id": bob, "text": "/start"})).json()
        got = await (await s.get(f"/control/chats/{bob}/messages",
                                 params={"user_id": bob, "after": sent["message_id"], "wait": 10})).json()
        assert "wallet assistant" in got[0]["text"]
    stop.set()
    await asyncio.wait_for(task, 10)


def test_emulator_imports_nothing_of_the_others():
    for path in (ROOT / "emulator").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in {"wallet", "handlers", "bot", "jobs"}, f"{path} imports {name}"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_token_never_reaches_a_log_line(capfd, restore_logging):
    from bot.logging import setup_logging

    setup_logging("DEBUG")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123456789:AAHsecretsecretsecretsecret/getMe")
    logging.getLogger("telegram.ext").warning("failed for https://x/bot123456789:AAHsecretsecretsecretsecret/sendMessage")
    err = capfd.readouterr().err
    assert "AAHsecret" not in err and "<token>" in err


def test_catalogs_translate_the_same_keys():
    from chat.i18n import catalog, normalize, t

    assert set(catalog("zh_CN")) == set(catalog("en"))
    assert normalize("zh-TW") == normalize("zh-hans") == "zh_CN"
    assert normalize(None) == normalize("ru") == "en"
    assert t("zh-CN", "start.welcome", name="A").startswith("你好，A")
    assert t("de", "button.help") == "❓ Help"
    assert t("en", "no.such.key") == "no.such.key"


@pytest.mark.parametrize("path", ["chat/locales/zh_CN/LC_MESSAGES/messages.po", "chat/locales/en/LC_MESSAGES/messages.po"])
def test_catalog_placeholders_match(path):
    from chat.i18n import catalog

    lang = path.split("/")[2]
    for key, text in catalog(lang).items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", catalog("en")[key])), key
