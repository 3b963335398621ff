"""Real people's data: with a Telegram token the bot refuses the development PII key and says how to
make one; the sandbox bank and SMS are announced in the log (and in /start, see test_start)."""
from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from bot.app import UnsafeSettings, build_application
from bot.run import run
from bot.settings import Settings

TOKEN = "123456789:AAHfakefakefakefakefakefakefake"


def test_a_real_token_with_the_development_pii_key_is_refused(tmp_path):
    settings = Settings(telegram_bot_token=TOKEN, database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    with pytest.raises(UnsafeSettings, match="WALLET_PII_KEY") as err:
        build_application(settings)
    assert "Fernet.generate_key()" in str(err.value) and TOKEN not in str(err.value)


def test_run_exits_before_touching_anything_and_says_how(tmp_path, capfd):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        settings = Settings(telegram_bot_token=TOKEN, database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
        assert run(settings) == 2
    finally:
        root.handlers[:], root.level = saved
    err = capfd.readouterr().err
    assert "refusing to start" in err and "Fernet.generate_key()" in err and "AAHfake" not in err
    assert not (tmp_path / "w.db").exists()  # not even migrated


def test_a_key_of_your_own_is_accepted_and_the_emulator_needs_none(tmp_path):
    own = Settings(telegram_bot_token=TOKEN, pii_key=Fernet.generate_key().decode(),
                   database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    assert build_application(own).bot_data["settings"] is own
    local = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    assert build_application(local, token="7000000001:LOCAL-emulator-token_not-a-secret") is not None


async def test_the_sandbox_is_announced_in_the_log(bot, caplog):
    records = [r for r in caplog.get_records("setup") if r.name == "bot.app"]
    assert any("SANDBOX" in r.getMessage() and "no real money" in r.getMessage() for r in records)
