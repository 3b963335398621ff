"""Collection QR codes: a PNG of the deep link ``https://t.me/<bot>?start=pay_<code>``."""
from __future__ import annotations

import io
import re

import segno

_BOT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def start_link(bot_username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>`` (payload ≤ 64 characters of [A-Za-z0-9_-])."""
    bot = (bot_username or "").lstrip("@")
    if not _BOT_RE.fullmatch(bot):
        raise ValueError(f"not a bot username: {bot_username!r}")
    if not _PAYLOAD_RE.fullmatch(payload or ""):
        raise ValueError("a start payload is 1..64 characters of A-Z a-z 0-9 _ -")
    return f"https://t.me/{bot}?start={payload}"


def pay_link(bot_username: str, code: str) -> str:
    return start_link(bot_username, f"pay_{code}")


def qr_png(text: str, *, scale: int = 10, border: int = 4) -> bytes:
    """The QR code of ``text`` as PNG bytes (error correction M, quiet zone of ``border``)."""
    qr = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=border)
    return out.getvalue()
