"""Emulator tests: real Bot API clients (python-telegram-bot, aiogram) against a fresh emulator."""
from __future__ import annotations

from typing import Any, AsyncIterator, Callable

import pytest
from telegram.ext import Application

from tests.people import *  # noqa: F401,F403  (fixtures: emulator, people, alice, bob, carol)


@pytest.fixture
async def run_ptb(emulator: Any) -> AsyncIterator[Callable[..., Any]]:
    """`app = await run_ptb(lambda app: app.add_handler(...))`: a PTB Application long-polling the emulator."""
    started: list[Application] = []

    async def start(setup: Callable[[Application], None]) -> Application:
        app = (Application.builder().token(emulator.token).base_url(emulator.bot_base_url)
               .base_file_url(emulator.file_base_url).build())
        setup(app)
        await app.initialize()
        await app.start()
        await app.updater.start_polling(timeout=5, poll_interval=0, allowed_updates=None)
        started.append(app)
        return app

    yield start
    for app in started:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
