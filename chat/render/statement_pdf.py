"""The wallet statement (对账单) as a PDF: period, opening balance, every line with the running
balance, totals and closing balance. fpdf2 with the CJK font of ``fonts.cjk_font_path``
embedded (subset), so Chinese names and notes print.

The figures are the statement's own (``statements.statement``): the PDF adds nothing up
itself except the running balance, which starts at the opening balance and ends at the
closing one (checked)."""
from __future__ import annotations

from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from chat.i18n import t
from chat.render.fonts import cjk_font_path
from chat.render.labels import group_name, lang_code, local_time, party
from wallet.money import format_amount

FONT = "cjk"
# column widths in mm (A4 portrait: 190 mm between the margins)
COLS = (("time", 32), ("kind", 24), ("detail", 70), ("amount", 32), ("balance", 32))


def signed(fen: int) -> str:
    """+¥12.34 / -¥12.34: the sign always shown on a statement line."""
    return ("+" if fen > 0 else "") + format_amount(fen)


class _Pdf(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.lang = lang
        self.add_font(FONT, fname=str(cjk_font_path()))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(10, 12, 10)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 6, t(self.lang, "pdf.page", page=self.page_no()), align="C")

    def table_header(self) -> None:
        self.set_font(FONT, size=9)
        self.set_fill_color(237, 237, 237)
        for name, width in COLS:
            self.cell(width, 7, t(self.lang, f"pdf.col.{name}"), border="B", fill=True,
                      align="R" if name in ("amount", "balance") else "L")
        self.ln(7)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut ``text`` to fit a cell of ``width`` mm (with an ellipsis)."""
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"


def statement_pdf(st: dict, lang: str | None, *, holder: str, generated_at: datetime) -> bytes:
    """``st`` is ``statements.statement``; ``holder`` the name printed on it; ``generated_at``
    an aware local time."""
    lang = lang_code(lang)
    pdf = _Pdf(lang)
    pdf.set_title(t(lang, "pdf.title"))
    pdf.set_creator("wallet")
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, t(lang, "pdf.title"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    for text in (t(lang, "pdf.holder", name=holder), t(lang, "pdf.period", first=st["first"], last=st["last"]),
                 t(lang, "pdf.generated", time=generated_at.strftime("%Y-%m-%d %H:%M"))):
        pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    def figure(label_id: str, value: str) -> None:
        pdf.cell(50, 6, t(lang, label_id))
        pdf.cell(40, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    figure("pdf.opening", format_amount(st["opening"]))
    pdf.ln(2)
    if st["lines"]:
        pdf.table_header()
        pdf.set_font(FONT, size=9)
        balance = st["opening"]
        for ln in st["lines"]:
            if pdf.will_page_break(6):
                pdf.add_page()
                pdf.table_header()
                pdf.set_font(FONT, size=9)
            balance += ln["amount"]
            detail = " · ".join(x for x in (party(lang, ln), ln.get("note") or "") if x)
            cells = {"time": local_time(ln), "kind": group_name(lang, ln["group"]), "detail": detail,
                     "amount": signed(ln["amount"]), "balance": format_amount(balance)}
            for name, width in COLS:
                pdf.cell(width, 6, _fit(pdf, cells[name], width), border="B",
                         align="R" if name in ("amount", "balance") else "L")
            pdf.ln(6)
        if balance != st["closing"]:
            raise ValueError(f"statement lines end at {balance}, closing balance is {st['closing']}")
    else:
        pdf.cell(0, 6, t(lang, "pdf.no_lines"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(FONT, size=10)
    figure("pdf.count", str(st["count"]))
    figure("pdf.total_in", format_amount(st["total_in"]))
    figure("pdf.total_out", format_amount(st["total_out"]))
    figure("pdf.closing", format_amount(st["closing"]))
    return bytes(pdf.output())
