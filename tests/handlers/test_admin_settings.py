"""The admins who handle abnormal-transaction tickets come from the settings (WALLET_ADMIN_IDS)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings


@pytest.mark.parametrize("env,ids", [("", ()), ("111", (111,)), ("111, 222", (111, 222)), ("[3,4]", (3, 4))])
def test_admin_ids_from_the_environment(monkeypatch, env, ids):
    monkeypatch.setenv("WALLET_ADMIN_IDS", env)
    assert Settings(_env_file=None).admin_ids == ids


def test_no_admins_by_default_and_bad_ids_are_refused(monkeypatch):
    monkeypatch.delenv("WALLET_ADMIN_IDS", raising=False)
    assert Settings(_env_file=None).admin_ids == ()
    monkeypatch.setenv("WALLET_ADMIN_IDS", "alice")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
