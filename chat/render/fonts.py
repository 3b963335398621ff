"""The CJK font the charts and PDF statements embed, so Chinese renders.

The project ships one: WenQuanYi Micro Hei (``assets/wqy-microhei.ttc``, Apache-2.0, its
license next to it), package data of ``chat.render``, so a fresh machine needs nothing
installed by hand. Looked up in this order:

1. ``WALLET_CJK_FONT``, a font file the operator names (a wrong path is an error, not a silent
   fallback: FontMissing);
2. the shipped file;
3. a CJK font on the system (Debian's fonts-wqy-microhei, Noto Sans CJK, Droid Sans Fallback),
   by file name among the fonts matplotlib's font_manager finds.

When none is found the renderers raise FontMissing; the chat says why the picture or the PDF is
missing and still sends the rest (chat/render/safe.py)."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

SHIPPED = Path(__file__).with_name("assets") / "wqy-microhei.ttc"
# system file names, best first: WenQuanYi Micro Hei, Noto Sans CJK, Droid Sans Fallback
CANDIDATES = ("wqy-microhei.ttc", "NotoSansCJK-Regular.ttc", "DroidSansFallbackFull.ttf")


class FontMissing(RuntimeError):
    pass


def system_cjk_font() -> Path | None:
    """A CJK font installed on this system (by file name, best first), or None."""
    from matplotlib import font_manager

    found = {Path(p).name: Path(p) for p in font_manager.findSystemFonts(fontext="ttf")}
    return next((found[name] for name in CANDIDATES if name in found), None)


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The path of a CJK TrueType font (collection): ``WALLET_CJK_FONT``, else the shipped
    one, else one on the system. Raises FontMissing (not cached: a later call looks again)."""
    explicit = os.environ.get("WALLET_CJK_FONT")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FontMissing(f"WALLET_CJK_FONT={explicit} is not a file")
        return path
    if SHIPPED.is_file():
        return SHIPPED
    found = system_cjk_font()
    if found is None:
        raise FontMissing(f"no CJK font: {SHIPPED} is missing (a broken install?) and none is on the system")
    return found
