"""Charts and PDFs on a fresh machine (issue 21, finding 2): with no system font visible at all
(an empty fontconfig, a fresh matplotlib cache, matplotlib told to ignore the system's fonts), the
chart, the export (CSV + statement PDF) and the evidence pack (CSV + PDF) still come with their
Chinese text, drawn with the font shipped in chat/render/assets/. The same run with the shipped
file taken away finds no font at all and falls back (the CSVs and a sentence saying why), which
proves the shipped file is what made the first run work. Each run is a subprocess
(tests/handlers/fontless.py), so matplotlib's font cache and fontconfig start empty."""
from __future__ import annotations

import fnmatch
import io
import json
import os
import pickle
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from chat.render import fonts
from tests.wallet.mixed import ALICE, mixed_bills
from wallet.services import bills, statements, tickets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def data(ctx, tmp_path) -> Path:
    """The chart's data, a statement and an evidence pack from the real services, pickled."""
    await mixed_bills(ctx)
    everything = (await bills.bills(ctx, ALICE, month="2026-09", per_page=100))["items"]
    bad = next(ln for ln in everything if ln["group"] == "payment")
    ticket = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=bad["journal_id"], reason="scam",
                                       details="不认识这个商家")
    path = tmp_path / "data.pickle"
    path.write_bytes(pickle.dumps({
        "chart": await statements.chart_data(ctx, ALICE, month="2026-12"),
        "statement": await statements.statement(ctx, ALICE, first=date(2026, 7, 1), last=date(2026, 12, 31)),
        "pack": await tickets.evidence(ctx, ticket["ticket_id"], viewer_id=ALICE),
    }))
    return path


def run_fontless(data: Path, tmp_path: Path, mode: str) -> tuple[dict, Path]:
    out = tmp_path / mode
    home = tmp_path / f"home-{mode}"
    for d in (out, home, home / "mpl"):
        d.mkdir()
    conf = tmp_path / "fonts.conf"  # fontconfig with no font directory at all
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f'<fontconfig><cachedir>{home}/fc-cache</cachedir></fontconfig>\n')
    env = {k: v for k, v in os.environ.items() if k not in ("WALLET_CJK_FONT", "MPLCONFIGDIR", "XDG_DATA_HOME")}
    env.update(FONTCONFIG_FILE=str(conf), MPLCONFIGDIR=str(home / "mpl"), MPL_IGNORE_SYSTEM_FONTS="1",
               HOME=str(home), XDG_DATA_HOME=str(home / "share"), XDG_CACHE_HOME=str(home / "cache"))
    done = subprocess.run([sys.executable, "-m", "tests.handlers.fontless", str(data), str(out), mode],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # the precondition: nothing but the shipped file could give a CJK font
    assert report["system_cjk_font"] == "None" and report["foreign_fonts"] == [] and report["fc_list"] == "", report
    return report, out


def pdf_of(path: Path) -> tuple[str, set[str]]:
    """The PDF's text and the names of the fonts its pages use."""
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return "\n".join(p.extract_text() for p in reader.pages), names


@pytest.mark.timeout(300)
async def test_the_shipped_font_draws_the_chart_and_the_pdfs_with_no_system_font(data, tmp_path):
    report, out = run_fontless(data, tmp_path, "shipped")
    assert report["font"] == report["shipped"] == str(fonts.SHIPPED)
    assert (report["chart_why"], report["statement_why"], report["evidence_why"]) == (None, None, None)
    assert report["files"] == ["bills.csv", "chart.png", "evidence.csv", "evidence.pdf", "statement.pdf"]

    # the chart: every glyph was in the font (matplotlib knows no other CJK font here), bars drawn
    assert report["glyph_warnings"] == []
    img = Image.open(out / "chart.png").convert("RGB")
    colours = {c for _, c in img.getcolors(maxcolors=1 << 20)}
    assert (0x07, 0xC1, 0x60) in colours and (0xFA, 0x51, 0x51) in colours

    # the PDFs: the shipped font embedded, the Chinese text extracts
    text, names = pdf_of(out / "statement.pdf")
    assert names and all("WenQuanYi" in n for n in names), names
    for words in ("零钱对账单", "期初余额", "期末余额", "张小红", "小卖部", "饭钱"):
        assert words in text, words
    text, names = pdf_of(out / "evidence.pdf")
    assert names and all("WenQuanYi" in n for n in names), names
    for words in ("异常交易证据", "疑似诈骗", "不认识这个商家", "小卖部"):
        assert words in text, words
    assert "交易单号" in (out / "bills.csv").read_bytes().decode("utf-8-sig")


@pytest.mark.timeout(300)
async def test_without_the_shipped_font_nothing_draws_chinese_and_the_csvs_still_come(data, tmp_path):
    report, out = run_fontless(data, tmp_path, "unshipped")
    assert report["font"] is None and "taken-away" in report["font_missing"]
    assert (report["chart_why"], report["statement_why"], report["evidence_why"]) == ("render.why.font",) * 3
    assert report["files"] == ["bills.csv", "evidence.csv"]  # what the chat still sends
    assert report["missing_texts"]["chart"].startswith("📊 图表暂时无法生成（服务器缺少绘制中文所需的字体）")
    assert "CSV" in report["missing_texts"]["statement_pdf"] and "CSV" in report["missing_texts"]["evidence_pdf"]


def test_the_shipped_font_is_package_data_with_its_license():
    """A non-editable install carries the font: every file next to it matches a package-data
    pattern of pyproject.toml (the editable install of `make install` reads it in place)."""
    assets = fonts.SHIPPED.parent
    assert fonts.SHIPPED.is_file() and fonts.SHIPPED.stat().st_size > 4_000_000
    license_text = (assets / "LICENSE-wqy-microhei.txt").read_text(encoding="utf-8")
    assert "Apache License" in license_text and "WenQuanYi" in license_text
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for path in assets.iterdir():
        assert any(fnmatch.fnmatch(path.name, p) for p in patterns), path.name
    assert not (assets / "__init__.py").exists() and not (assets.parent / "fonts").exists()  # no clash with fonts.py
