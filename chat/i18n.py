"""Message texts in zh-CN and English from gettext catalogs (.po), read at startup without a compile step.

Each feature keeps its texts in a catalog file of its own (``locales/<lang>/LC_MESSAGES/<feature>.po``;
``messages.po`` holds the shared ones); a language's catalog is all its files together, and a msgid
defined in two files of one language is an error at startup.

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


def catalog_files(lang: str) -> list[Path]:
    return sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in catalog_files(lang):
        with path.open("rb") as fh:
            po = read_po(fh, locale=lang)
        for m in po:
            if not (m.id and isinstance(m.id, str) and m.string):
                continue
            if m.id in texts:
                raise ValueError(f"msgid {m.id!r} is in both {origin[m.id]} and {path.name} ({lang})")
            texts[m.id], origin[m.id] = m.string, path.name
    return texts


def t(lang: str | None, msgid: str, **kwargs: Any) -> str:
    code = normalize(lang) if lang not in LANGUAGES else lang
    text = catalog(code).get(msgid) or catalog("en").get(msgid) or msgid
    return text.format(**kwargs) if kwargs else text


def load_all() -> None:
    """Read every catalog now (startup), so a broken .po fails at once and not on first use."""
    for lang in LANGUAGES:
        catalog(lang)
