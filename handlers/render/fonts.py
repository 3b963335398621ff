"""The CJK font the charts and PDF statements embed, so Chinese renders.

Debian's ``fonts-wqy-microhei`` (installed by scripts/ensure-chromium.sh and
scripts/ensure-zbar.sh) is looked up by file name among the fonts matplotlib's font_manager
finds on the system; a few other Debian CJK fonts are accepted in its place."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

# file names, best first: WenQuanYi Micro Hei, Noto Sans CJK, Droid Sans Fallback
CANDIDATES = ("wqy-microhei.ttc", "NotoSansCJK-Regular.ttc", "DroidSansFallbackFull.ttf")


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The path of a CJK TrueType font (collection) on this system. ``WALLET_CJK_FONT`` may
    name one explicitly."""
    explicit = os.environ.get("WALLET_CJK_FONT")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FontMissing(f"WALLET_CJK_FONT={explicit} is not a file")
        return path
    from matplotlib import font_manager

    found = {Path(p).name: Path(p) for p in font_manager.findSystemFonts(fontext="ttf")}
    for name in CANDIDATES:
        if name in found:
            return found[name]
    raise FontMissing("no CJK font found: install fonts-wqy-microhei (scripts/ensure-zbar.sh does)")
