"""Drawing without leaving anyone in silence: a renderer (a chart, a PDF) runs off the event loop,
and its failure (no CJK font, or anything else) becomes a sentence for the person instead of an
exception, so the caller still sends what it has (the figures as text, the CSV) and says why the
picture or the PDF is missing.

    png, why = await safe.draw("chart", chart.monthly_chart, data, lang)
    if png is None:
        text = safe.missing(lang, "render.missing.chart", why)
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from chat.i18n import t
from chat.render.fonts import FontMissing

log = logging.getLogger("chat.render")

WHY_FONT = "render.why.font"  # no CJK font (chat/render/fonts.py)
WHY_ERROR = "render.why.error"  # anything else went wrong while drawing


async def draw(what: str, fn: Callable[..., bytes], *args: Any, **kwargs: Any) -> tuple[bytes | None, str | None]:
    """``fn(*args, **kwargs)`` in a worker thread: (its bytes, None), or (None, the msgid of why
    it failed). The failure is logged for the operator with ``what`` (no personal data)."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs), None
    except FontMissing as exc:
        log.error("%s not drawn: %s", what, exc)
        return None, WHY_FONT
    except Exception:
        log.exception("%s not drawn", what)
        return None, WHY_ERROR


def missing(lang: str | None, msgid: str, why: str | None) -> str:
    """The catalog text ``msgid`` (a ``{why}`` slot) with the reason in the person's language."""
    return t(lang, msgid, why=t(lang, why or WHY_ERROR))
