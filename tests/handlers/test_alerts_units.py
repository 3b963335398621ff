"""The alert settings: every button the screen offers carries the same data as before the typed
classes (handlers/alerts/callbacks.py) and ``parse`` (handlers/alerts/settings.py) gives its
preference changes; a value the screen does not offer changes nothing."""
from __future__ import annotations

import pytest

from handlers.alerts import callbacks as buttons
from handlers.alerts.settings import LOW_PRESETS, PIN_PRESETS, QUIET_PRESETS, _hm, _mark, parse


OFFERED = {
    "alr:menu": ("menu", {}),
    "alr:lowtype": ("lowtype", {}),
    "alr:low:5000": ("low", {"low_balance": 5_000}),
    "alr:low:50000": ("low", {"low_balance": 50_000}),
    "alr:low:off": ("low", {"low_balance": None}),
    "alr:tips:daily": ("tips", {"tips": "daily"}),
    "alr:tips:off": ("tips", {"tips": "off"}),
    "alr:quiet:0": ("quiet", {"quiet": (22 * 60, 8 * 60)}),
    "alr:quiet:2": ("quiet", {"quiet": (21 * 60, 9 * 60)}),
    "alr:quiet:off": ("quiet", {"quiet": None}),
    "alr:pin:90": ("pin", {"pin_age_days": 90}),
    "alr:pin:365": ("pin", {"pin_age_days": 365}),
    "alr:pin:off": ("pin", {"pin_age_days": None}),
}


@pytest.mark.parametrize(("data", "parsed"), OFFERED.items())
def test_what_the_screen_offers(data, parsed):
    assert parse(data) == parsed and buttons.ours(data)
    assert buttons.parse(data).data() == data


def test_the_buttons_build_the_same_data_as_before():
    assert [buttons.Low(v).data() for v in LOW_PRESETS] == ["alr:low:5000", "alr:low:10000", "alr:low:50000"]
    assert [buttons.Quiet(i).data() for i in range(len(QUIET_PRESETS))] == ["alr:quiet:0", "alr:quiet:1", "alr:quiet:2"]
    assert [buttons.PinAge(d).data() for d in PIN_PRESETS] == ["alr:pin:90", "alr:pin:180", "alr:pin:365"]
    assert (buttons.LowOff().data(), buttons.QuietOff().data(), buttons.PinAgeOff().data()) \
        == ("alr:low:off", "alr:quiet:off", "alr:pin:off")
    assert buttons.Menu().data() == "alr:menu" and buttons.LowType().data() == "alr:lowtype"


@pytest.mark.parametrize("data", ["alr:low:1", "alr:tips:hourly", "alr:quiet:9", "alr:pin:7", "alr:low:-5", "alr:x",
                                  "alr:low:on", "alr:menu:1", "alr:low", "alr:pin:2147483648", "alr:quiet:of", None])
def test_anything_else_changes_nothing(data):
    assert parse(data) is None


def test_an_off_button_is_off_only():
    assert buttons.LowOff.parse("alr:low:no") is None and buttons.LowOff.parse("alr:low:5000") is None
    with pytest.raises(ValueError):
        buttons.LowOff("on").data()


def test_hours_and_marks():
    assert _hm(22 * 60) == "22:00" and _hm(7 * 60 + 5) == "07:05"
    assert _mark("Daily", True) == "✅ Daily" and _mark("Daily", False) == "Daily"
