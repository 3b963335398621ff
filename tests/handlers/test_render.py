"""The renderers on real data from the real services: the monthly chart is a real PNG with the
Chinese text rendered, the PDF statement opens with pypdf and its figures are the ledger's, the
CSV parses back to the ledger's amounts with Chinese intact, and the collection QR code
decodes (zbar) back to the link a person then follows to pay."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import warnings
from datetime import date, datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pypdf import PdfReader

from chat.render import chart, csv_export, qr, statement_pdf
from tests.wallet.helpers import PIN, make_person, wallet_balance
from tests.wallet.mixed import ALICE, CAROL, MONTHS, mixed_bills
from wallet.money import format_amount
from wallet.services import bills, merchants, statements, tickets

AMOUNT_RE = re.compile(r"[+-]¥\d+\.\d\d")


@pytest.fixture
async def alice(ctx):
    await mixed_bills(ctx)
    return ALICE


# --- the chart -----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_the_monthly_chart_is_a_real_png_with_its_text_rendered(ctx, alice, lang):
    data = await statements.chart_data(ctx, ALICE, month="2026-12")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart.monthly_chart(data, lang)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    assert missing == []  # every glyph (Chinese included) was in the font
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(png))
    img.verify()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert 800 <= img.width <= 2000 and 400 <= img.height <= 1200
    colours = {c for _, c in img.getcolors(maxcolors=1 << 20)}
    assert (0x07, 0xC1, 0x60) in colours and (0xFA, 0x51, 0x51) in colours  # in and out bars drawn
    assert 10_000 < len(png) < 500_000
    caption = chart.caption(data, lang)
    assert format_amount(data["total_in"]) in caption and format_amount(data["total_out"]) in caption


async def test_the_chart_of_a_month_without_spending(ctx):
    await make_person(ctx, 77)
    png = chart.monthly_chart(await statements.chart_data(ctx, 77), "zh-CN")
    assert Image.open(io.BytesIO(png)).size[0] >= 800


# --- the PDF statement ---------------------------------------------------------------------
def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


@pytest.mark.parametrize("lang,opening,closing,total_in,total_out", [
    ("en", "Opening balance", "Closing balance", "Total in", "Total out"),
    ("zh-CN", "期初余额", "期末余额", "收入合计", "支出合计"),
])
async def test_the_pdf_statement_opens_and_its_totals_are_the_ledgers(ctx, alice, lang, opening, closing,
                                                                      total_in, total_out):
    st = await statements.statement(ctx, ALICE, first=date(2026, 7, 1), last=date(2026, 12, 31))
    data = statement_pdf.statement_pdf(st, lang, holder="张小红", generated_at=datetime(2026, 12, 31, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert data[:5] == b"%PDF-"
    text, n_pages = pdf_text(data)
    assert n_pages >= 2  # 34 wallet lines do not fit on one page
    figures = {}
    for label in (opening, closing, total_in, total_out):
        m = re.search(re.escape(label) + r"\s*(¥\d+\.\d\d)", text)
        assert m, (label, text[:500])
        figures[label] = m.group(1)
    ledger_closing = await wallet_balance(ctx, ALICE)
    assert figures[opening] == format_amount(0)
    assert figures[closing] == format_amount(ledger_closing) == format_amount(st["closing"])
    assert figures[total_in] == format_amount(sum(x["amount"] for x in st["lines"] if x["amount"] > 0))
    assert figures[total_out] == format_amount(-sum(x["amount"] for x in st["lines"] if x["amount"] < 0))
    # every line's signed amount is printed, and they add up from opening to closing
    printed = [int(a.replace("¥", "").replace(".", "")) for a in AMOUNT_RE.findall(text)]
    assert sorted(printed) == sorted(x["amount"] for x in st["lines"])
    assert sum(printed) == st["closing"] - st["opening"]
    assert "张小红" in text and ("小卖部" in text)  # Chinese text survives in both languages


async def test_an_empty_statement_says_so(ctx, alice):
    st = await statements.statement(ctx, ALICE, first=date(2026, 7, 20), last=date(2026, 7, 25))
    text, _ = pdf_text(statement_pdf.statement_pdf(st, "en", holder="A", generated_at=datetime(2026, 8, 1)))
    assert "No transactions in this period." in text
    assert re.search(r"Opening balance\s*" + re.escape(format_amount(st["opening"])), text)


# --- CSV -----------------------------------------------------------------------------------
async def test_the_csv_of_a_month_parses_back_to_the_ledgers_amounts(ctx, alice):
    for month in MONTHS:
        lines = (await bills.bills(ctx, ALICE, month=month, per_page=100))["items"]
        data = csv_export.bills_csv(lines, "zh-CN")
        assert data.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets need for UTF-8
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == ["交易单号", "时间", "类型", "收/支", "交易对方", "金额（元）", "手续费（元）", "状态", "备注"]
        body = rows[1:]
        assert len(body) == len(lines)
        to_fen = lambda s: round(float(s) * 100)  # noqa: E731
        assert [to_fen(r[5]) for r in body] == [ln["amount"] for ln in lines]
        assert sum(to_fen(r[5]) for r in body) == (await bills.monthly_summary(ctx, ALICE, month))["net"]
        assert [r[0] for r in body] == [ln["reference"] for ln in lines]
        assert any(r[4] == "小卖部" for r in body) and any(r[8].startswith("饭钱") for r in body)
    en = list(csv.reader(io.StringIO(csv_export.bills_csv(lines, "en").decode("utf-8-sig"))))
    assert en[0][0] == "Reference" and {r[2] for r in en[1:]} >= {"Transfer", "Payment", "Top-up"}


def test_csv_cells_cannot_run_as_formulas():
    line = {"reference": "1" * 24, "time": "2026-12-10T12:00:00+08:00", "group": "transfer", "direction": "out",
            "amount": -100, "fee": 0, "counterparty_name": "=HYPERLINK(\"x\")", "note": "+1 @a",
            "ref_status": "accepted", "card": None, "shop_name": None}
    row = list(csv.reader(io.StringIO(csv_export.bills_csv([line], "en").decode("utf-8-sig"))))[1]
    assert row[4] == "'=HYPERLINK(\"x\")" and row[8] == "'+1 @a" and row[5] == "-1.00"


async def test_the_evidence_pack_as_csv(ctx, alice):
    everything = (await bills.bills(ctx, ALICE, month="2026-09", per_page=100))["items"]
    bad = next(ln for ln in everything if ln["group"] == "payment")
    ticket = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=bad["journal_id"], reason="scam",
                                       details="=1+1 不认识这个商家")
    pack = await tickets.evidence(ctx, ticket["ticket_id"], viewer_id=ALICE)
    rows = list(csv.reader(io.StringIO(csv_export.evidence_csv(pack, "zh-CN").decode("utf-8-sig"))))
    assert rows[1] == ["申诉编号", ticket["number"]] and rows[2] == ["问题", "疑似诈骗"]
    assert rows[3] == ["说明", "'=1+1 不认识这个商家"]
    assert rows[8][0] == bad["reference"]
    around = rows[12:]
    assert [r[0] for r in around] == [ln["reference"] for ln in pack["lines"]]
    assert [r[-1] for r in around].count("★") == 1
    assert sum(round(float(r[5]) * 100) for r in around) == pack["total_in"] - pack["total_out"]


# --- the QR code ---------------------------------------------------------------------------
def zbar_decode(png: bytes, tmp_path) -> str:
    if shutil.which("zbarimg") is None:
        reason = "zbarimg (Debian zbar-tools) is not installed; scripts/ensure-zbar.sh installs it"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the QR test cannot run: {reason}")
        pytest.skip(reason)
    path = tmp_path / "code.png"
    path.write_bytes(png)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_links_are_deep_links_within_telegrams_limits():
    code = merchants.new_code()
    link = qr.pay_link("@WalletBot", code)
    assert link == f"https://t.me/WalletBot?start=pay_{code}"
    for bad_bot in ("", "a b", "x" * 40, "1bot"):
        with pytest.raises(ValueError):
            qr.pay_link(bad_bot, code)
    with pytest.raises(ValueError):
        qr.start_link("WalletBot", "pay_" + "a" * 61)
    with pytest.raises(ValueError):
        qr.start_link("WalletBot", "pay_a/b")


async def test_a_person_scans_the_shops_qr_code_and_pays(ctx, tmp_path):
    await make_person(ctx, CAROL)
    await make_person(ctx, ALICE, balance=10_000)
    shop = await merchants.register_shop(ctx, key="s", owner_id=CAROL, name="老王面馆", category="food")
    fixed = await merchants.create_code(ctx, key="c", owner_id=CAROL, shop_id=shop["shop_id"], amount=1_800)
    for code, amount in ((shop["code"]["code"], 2_345), (fixed["code"], None)):
        png = qr.qr_png(qr.pay_link("WalletBot", code))
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(io.BytesIO(png)).size[0] >= 200
        link = zbar_decode(png, tmp_path)
        # the person's phone opens the link: Telegram starts the bot with the payload
        url = urlparse(link)
        assert (url.scheme, url.netloc, url.path) == ("https", "t.me", "/WalletBot")
        payload = parse_qs(url.query)["start"][0]
        scanned = merchants.code_from_payload(payload)
        assert scanned == code
        seen = await merchants.lookup(ctx, scanned)
        assert seen["shop_name"] == "老王面馆" and seen["amount"] == (1_800 if amount is None else None)
        await merchants.pay(ctx, key=f"pay-{code}", payer_id=ALICE, code=scanned, amount=amount, pin=PIN)
    assert await wallet_balance(ctx, CAROL) == 2_345 + 1_800
    assert await wallet_balance(ctx, ALICE) == 10_000 - 2_345 - 1_800
