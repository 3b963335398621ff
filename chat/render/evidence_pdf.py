"""A ticket's evidence pack (``tickets.evidence``) as a PDF to keep: the report (number, what
is wrong, the description, when), the disputed bill, and the person's bill lines the days
either side with the disputed one marked, then their count and totals. Same page and CJK font
as the statement (chat/render/statement_pdf.py)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf.enums import XPos, YPos

from chat.i18n import t
from chat.render.labels import group_name, lang_code, local_time, party
from chat.render.statement_pdf import FONT, _fit, _Pdf, signed
from wallet.money import format_amount

# column widths in mm (190 mm between the margins); "mark" is the ★ of the disputed line
COLS = (("time", 30), ("kind", 22), ("detail", 60), ("amount", 28), ("reference", 44), ("mark", 6))


def _header(pdf: _Pdf, lang: str) -> None:
    pdf.set_font(FONT, size=9)
    pdf.set_fill_color(237, 237, 237)
    names = {"time": t(lang, "pdf.col.time"), "kind": t(lang, "pdf.col.kind"), "detail": t(lang, "pdf.col.detail"),
             "amount": t(lang, "pdf.col.amount"), "reference": t(lang, "csv.col.reference"), "mark": ""}
    for name, width in COLS:
        pdf.cell(width, 7, names[name], border="B", fill=True, align="R" if name == "amount" else "L")
    pdf.ln(7)


def _line(pdf: _Pdf, lang: str, ln: dict, mark: bool) -> None:
    detail = " · ".join(x for x in (party(lang, ln), ln.get("note") or "") if x)
    cells = {"time": local_time(ln), "kind": group_name(lang, ln["group"]), "detail": detail,
             "amount": signed(ln["amount"]), "reference": ln["reference"], "mark": "★" if mark else ""}
    for name, width in COLS:
        pdf.set_font(FONT, size=7 if name == "reference" else 9)
        pdf.cell(width, 6, _fit(pdf, cells[name], width), border="B", align="R" if name == "amount" else "L")
    pdf.ln(6)


def evidence_pdf(pack: dict, lang: str | None, *, timezone: str = "Asia/Shanghai") -> bytes:
    lang = lang_code(lang)
    ticket, bill = pack["ticket"], pack["bill"]
    pdf = _Pdf(lang)
    pdf.set_title(t(lang, "evidence.title"))
    pdf.set_creator("wallet")
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, t(lang, "evidence.title"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    opened = datetime.fromisoformat(ticket["created_at"]).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    for label, value in (("evidence.number", ticket["number"]),
                         ("evidence.reason", t(lang, f"ticket.reason.{ticket['reason']}")),
                         ("evidence.opened", opened)):
        pdf.cell(40, 6, t(lang, label))
        pdf.cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if ticket.get("details"):
        pdf.cell(40, 6, t(lang, "evidence.details"))
        pdf.multi_cell(0, 6, ticket["details"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, t(lang, "evidence.bill"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _header(pdf, lang)
    _line(pdf, lang, bill, True)
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, t(lang, "evidence.window", days=pack["days"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _header(pdf, lang)
    for ln in pack["lines"]:
        if pdf.will_page_break(6):
            pdf.add_page()
            _header(pdf, lang)
        _line(pdf, lang, ln, ln["journal_id"] == bill["journal_id"])
    pdf.ln(3)
    pdf.set_font(FONT, size=10)
    for label, value in (("pdf.count", str(pack["count"])), ("pdf.total_in", format_amount(pack["total_in"])),
                         ("pdf.total_out", format_amount(pack["total_out"]))):
        pdf.cell(50, 6, t(lang, label))
        pdf.cell(40, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
