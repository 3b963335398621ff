"""The anti-theft settings (handlers/security/antitheft.py) in words: each setting's state ("on",
"above ¥500.00", "off") and the times they act at (the running risk engine's settings, else the
shipped wallet/risk/settings.toml)."""
from __future__ import annotations

from functools import lru_cache

from telegram.ext import ContextTypes

from chat.i18n import t
from handlers.ui import common as ui
from wallet.risk import settings as risk_settings_file
from wallet.risk.prefs import Prefs


@lru_cache(maxsize=1)
def _shipped():
    return risk_settings_file.load()


def hours(context: ContextTypes.DEFAULT_TYPE) -> dict:
    """The times the settings act at (the running engine's, else the shipped file's)."""
    s = ui.wallet(context).risk or _shipped()
    hm = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    return {"start": hm(s.prefs.night_start_minute), "end": hm(s.prefs.night_end_minute),
            "hours": f"{s.prefs.new_recipient_delay_seconds / 3600:g}"}


def state_of(lang: str, setting: str, p: Prefs) -> str:
    """A setting's state in words: "above ¥500.00", "on", "up to ¥50.00 a payment and ¥200.00 a day", "off"."""
    off = t(lang, "ats.off")
    if setting == "night":
        return t(lang, "ats.on") if p.night_lock else off
    if setting == "nopin":
        if p.no_pin_max is None:
            return off
        return t(lang, "ats.nopin.on", each=ui.money(p.no_pin_max), daily=ui.money(p.no_pin_daily))
    above = p.sms_above if setting == "sms" else p.new_recipient_delay_above
    return off if above is None else t(lang, "ats.above", amount=ui.money(above))


def is_on(setting: str, p: Prefs) -> bool:
    return {"sms": p.sms_above is not None, "night": p.night_lock, "newpay": p.new_recipient_delay_above is not None,
            "nopin": p.no_pin_max is not None}[setting]
