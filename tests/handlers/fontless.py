"""Run by tests/handlers/test_render_fontless.py as ``python -m tests.handlers.fontless <data.pickle>
<out dir> <mode>`` in a process that sees no system font (an empty fontconfig, a fresh matplotlib
cache, ``MPL_IGNORE_SYSTEM_FONTS``): renders the chart, the export (CSV + statement PDF) and the
evidence pack (CSV + PDF) from the pickled data with the real renderers, the way the chat does
(chat/render/safe.py), writes the files to <out dir> and prints a JSON report.

mode ``shipped``: as installed. mode ``unshipped``: the shipped font file is taken away (its path
made to point at a file that does not exist), so nothing is left to draw Chinese with."""
from __future__ import annotations

import asyncio
import json
import pickle
import shutil
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


async def main(data_path: Path, out: Path, mode: str) -> dict:
    import matplotlib
    from matplotlib import font_manager

    from chat.render import chart, csv_export, evidence_pdf, fonts, safe, statement_pdf

    if mode == "unshipped":
        fonts.SHIPPED = out / "taken-away" / fonts.SHIPPED.name
    data = pickle.loads(data_path.read_bytes())
    mpl_data = Path(matplotlib.get_data_path()).resolve()
    report: dict = {
        "system_cjk_font": str(fonts.system_cjk_font()),
        # every font matplotlib knows of is one of its own (DejaVu…): none of the system's
        "foreign_fonts": sorted({f.fname for f in font_manager.fontManager.ttflist
                                 if not Path(f.fname).resolve().is_relative_to(mpl_data)}),
        "fc_list": (subprocess.run(["fc-list"], capture_output=True, text=True).stdout.strip()
                    if shutil.which("fc-list") else ""),
        "shipped": str(fonts.SHIPPED),
    }
    try:
        report["font"] = str(fonts.cjk_font_path())
    except fonts.FontMissing as exc:
        report["font"], report["font_missing"] = None, str(exc)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png, report["chart_why"] = await safe.draw("chart", chart.monthly_chart, data["chart"], "zh-CN")
    report["glyph_warnings"] = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    pdf, report["statement_why"] = await safe.draw(
        "statement", statement_pdf.statement_pdf, data["statement"], "zh-CN", holder="张小红",
        generated_at=datetime(2026, 12, 31, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    evidence, report["evidence_why"] = await safe.draw("evidence", evidence_pdf.evidence_pdf, data["pack"], "zh-CN")
    files = {"chart.png": png, "statement.pdf": pdf, "evidence.pdf": evidence,
             "bills.csv": csv_export.bills_csv(data["statement"]["lines"], "zh-CN"),
             "evidence.csv": csv_export.evidence_csv(data["pack"], "zh-CN")}
    for name, content in files.items():
        if content is not None:
            (out / name).write_bytes(content)
    report["files"] = sorted(name for name, content in files.items() if content is not None)
    report["missing_texts"] = {what: safe.missing("zh-CN", f"render.missing.{what}", report[f"{key}_why"])
                               for what, key in (("chart", "chart"), ("statement_pdf", "statement"),
                                                 ("evidence_pdf", "evidence"))}
    return report


if __name__ == "__main__":
    data_path, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    print(json.dumps(asyncio.run(main(data_path, out, mode)), ensure_ascii=False))
