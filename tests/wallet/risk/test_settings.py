"""The risk settings file: shipped defaults load, WALLET_RISK_SETTINGS names another file, and a
wrong file is refused at load (misspelt key, thresholds out of order, unknown kind)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from wallet.risk import settings

SHIPPED = settings.DEFAULT_PATH.read_text(encoding="utf-8")
T = settings.load(settings.DEFAULT_PATH).thresholds
SEVERE = settings.load(settings.DEFAULT_PATH).velocity.count.severe_weight


def test_the_shipped_file_loads_and_is_frozen():
    s = settings.load(settings.DEFAULT_PATH)
    assert s.thresholds.ask <= s.thresholds.hold <= s.thresholds.freeze
    with pytest.raises(ValidationError):
        s.thresholds.ask = 1


def test_the_environment_names_another_file(tmp_path, monkeypatch):
    other = tmp_path / "risk.toml"
    other.write_text(SHIPPED.replace(f"ask = {T.ask}", f"ask = {T.ask - 1}"), encoding="utf-8")
    monkeypatch.setenv(settings.ENV_VAR, str(other))
    assert settings.load().thresholds.ask == T.ask - 1
    monkeypatch.delenv(settings.ENV_VAR)
    assert settings.load().thresholds.ask == T.ask


@pytest.mark.parametrize(("old", "new"), [
    (f"ask = {T.ask}", f"ask = {T.ask}\nask_again = 10"),  # a misspelt or unknown key
    (f"hold = {T.hold}", f"hold = {T.ask - 1}"),          # below ask
    ('kinds = ["withdraw"]', 'kinds = ["withdrawal"]'),  # an unknown operation kind
    ("share_percent = 60", "share_percent = 160"),
    (f"severe_weight = {SEVERE}", "severe_weight = 0"),  # the severe tier weighing less
])
def test_a_wrong_file_is_refused(tmp_path, old, new):
    assert old in SHIPPED
    bad = tmp_path / "risk.toml"
    bad.write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationError):
        settings.load(bad)
