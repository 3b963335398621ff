"""Message texts in zh-CN and English from gettext catalogs (.po), read at startup without a compile step.

    t("zh-CN", "start.welcome", name="Alice")   # -> "你好，Alice！…"
    lang_of(update.effective_user)               # "zh_CN" for zh* language codes, "en" otherwise

A msgid is a stable key; every catalog translates it. A key missing from a catalog falls back to
English, then to the key itself, so a missing text is visible but never crashes a handler.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "zh_CN"
LANGUAGES = ("zh_CN", "en")


def normalize(language_code: str | None) -> str:
    """zh-CN (and any zh*) -> "zh_CN"; anything else, including none, -> "en"."""
    code = (language_code or "").strip().lower().replace("-", "_")
    return "zh_CN" if code.startswith("zh") else "en"


def lang_of(user: Any) -> str:
    return normalize(getattr(user, "language_code", None))


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        po = read_po(fh, locale=lang)
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string}


def t(lang: str | None, msgid: str, **kwargs: Any) -> str:
    code = normalize(lang) if lang not in LANGUAGES else lang
    text = catalog(code).get(msgid) or catalog("en").get(msgid) or msgid
    return text.format(**kwargs) if kwargs else text


def load_all() -> None:
    """Read every catalog now (startup), so a broken .po fails at once and not on first use."""
    for lang in LANGUAGES:
        catalog(lang)
