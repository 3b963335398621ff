"""Explaining a wallet refusal to a person, in their language.

Every ``WalletError`` has a stable ``code``; its text is ``error.<code>`` in the catalogs, or
``error.<code>.<reason>`` (``.<status>``) when the error carries a sub-code with its own text.
Amounts (fen) are shown as ¥, times in the wallet's time zone.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chat.i18n import catalog, normalize, t
from wallet.bank import BANKS
from wallet.errors import WalletError
from wallet.money import format_amount

MONEY_FIELDS = {"needed", "available", "amount", "cap", "used", "requested", "expected", "given"}
MONEY_LIMIT_REASONS = {"share_too_small", "total_too_large"}


def _field(name: str, value, err: WalletError, lang: str, tz: ZoneInfo):
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if name in MONEY_FIELDS and isinstance(value, int):
        return format_amount(value)
    if name == "limit" and getattr(err, "reason", None) in MONEY_LIMIT_REASONS:
        return format_amount(value)
    if name == "bank" and value in BANKS:
        return BANKS[value].name(lang)
    if name == "bank":  # a card number of no bank we know ("unknown")
        return t(lang, "error.card_not_supported.unknown_bank")
    if name == "period":
        return t(lang, f"period.{value}")
    return value


def explain(err: WalletError, language: str | None, *, timezone: str = "Asia/Shanghai") -> str:
    lang = normalize(language)
    tz = ZoneInfo(timezone)
    fields = {k: _field(k, v, err, lang, tz) for k, v in err.data().items()}
    sub = fields.get("reason") or fields.get("status")
    for msgid in (f"error.{err.code}.{sub}" if sub else None, f"error.{err.code}"):
        if msgid and msgid in catalog(lang):
            return t(lang, msgid, **fields)
    return t(lang, "error.unknown")
