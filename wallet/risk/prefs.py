"""A person's own anti-theft settings (防盗设置) and how they act on one operation. All off by
default; the amounts are the person's, the times and kinds they apply to are the risk settings'
``[prefs]`` section. Each setting that acts says so as a ``Fired`` of weight 0 (it adds nothing
to the score) with the least action it demands (``floor``) or a wait (``delay_seconds``), so the
stored decision names it too."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wallet.risk.facts import Facts
from wallet.risk.rules import Fired
from wallet.risk.settings import RiskSettings

DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Prefs:
    """Amounts in fen; None: off."""
    sms_above: int | None = None  # payments above this also need an SMS code
    night_lock: bool = False  # no money out between night_start and night_end, the person's local time
    new_recipient_delay_above: int | None = None  # a first payment to someone new above this waits
    no_pin_max: int | None = None  # 免密支付: no PIN up to this a payment ...
    no_pin_daily: int | None = None  # ... and up to this in the no-PIN window (never withdrawals)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _local_minute(facts: Facts) -> int:
    try:
        zone = ZoneInfo(facts.payer_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_ZONE)
    local = facts.now.astimezone(zone)
    return local.hour * 60 + local.minute


def sms_above(facts: Facts, settings: RiskSettings, prefs: Prefs) -> Fired | None:
    if prefs.sms_above is None or facts.amount <= prefs.sms_above:
        return None
    return Fired("pref_sms_above", 0, {"amount": facts.amount, "above": prefs.sms_above}, floor="ask")


def night_lock(facts: Facts, settings: RiskSettings, prefs: Prefs) -> Fired | None:
    if not prefs.night_lock:
        return None
    start, end, now = settings.prefs.night_start_minute, settings.prefs.night_end_minute, _local_minute(facts)
    inside = start <= now < end if start <= end else (now >= start or now < end)  # a night across midnight
    if not inside:
        return None
    return Fired("pref_night_lock", 0, {"local_time": _hhmm(now), "start": _hhmm(start), "end": _hhmm(end),
                                         "timezone": facts.payer_timezone}, floor="refuse")


def new_recipient_delay(facts: Facts, settings: RiskSettings, prefs: Prefs) -> Fired | None:
    above = prefs.new_recipient_delay_above
    if above is None or facts.kind not in settings.prefs.new_recipient_kinds or facts.amount <= above:
        return None
    if facts.recipient_id is None or facts.paid_recipient_before is not False:
        return None
    delay = settings.prefs.new_recipient_delay_seconds
    return Fired("pref_new_recipient_delay", 0, {"recipient_id": facts.recipient_id, "amount": facts.amount,
                                                 "above": above, "delay_seconds": delay}, delay_seconds=delay)


def pin_may_be_skipped(facts: Facts, settings: RiskSettings, prefs: Prefs) -> bool:
    """The person's no-PIN setting covers this operation (never a withdrawal). The engine adds:
    only when nothing else fired."""
    if prefs.no_pin_max is None or prefs.no_pin_daily is None or facts.kind == "withdraw":
        return False
    return facts.amount <= prefs.no_pin_max and facts.no_pin_recent_sum + facts.amount <= prefs.no_pin_daily


PREF_RULES = (sms_above, night_lock, new_recipient_delay)
