"""Words the renderers share: bill kinds, statuses, the other side of a line, local times."""
from __future__ import annotations

from datetime import datetime

from chat.i18n import LANGUAGES, normalize, t


def lang_code(lang: str | None) -> str:
    """'zh-CN', 'zh_CN', 'en', None… -> a catalog language ('zh_CN' or 'en')."""
    return lang if lang in LANGUAGES else normalize(lang)


def group_name(lang: str, group: str) -> str:
    return t(lang, f"bill.group.{group}")


def status_name(lang: str, status: str | None) -> str:
    return t(lang, f"bill.status.{status}") if status else ""


def local_time(line: dict) -> str:
    """A bill line's local time (its ISO text carries the offset) as 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(line["time"]).strftime("%Y-%m-%d %H:%M")


def party(lang: str, line: dict) -> str:
    """Who is on the other side: the shop, the person, or the bank card."""
    if line.get("shop_name") and line["amount"] < 0:
        return line["shop_name"]
    if line.get("counterparty_name"):
        return line["counterparty_name"]
    card = line.get("card")
    if card:
        bank = card["bank_name_zh"] if lang_code(lang) == "zh_CN" else card["bank_name_en"]
        return t(lang, "party.bank", bank=bank, last4=card["last4"])
    return ""
