"""Bills as CSV files a spreadsheet opens with the Chinese text intact: UTF-8 with a byte order
mark, CRLF line ends, headers and kinds in the person's language, amounts in yuan with a sign
(money in positive), and text cells made safe against formula injection."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from chat.i18n import t
from chat.render.labels import group_name, lang_code, local_time, party, status_name
from wallet.money import format_amount

BOM = "\ufeff"
COLUMNS = ("reference", "time", "kind", "direction", "counterparty", "amount", "fee", "status", "note")


def safe_cell(text: object) -> str:
    """Text a spreadsheet must not run as a formula ('=…', '+…', '-…', '@…' get a quote)."""
    if text is None:
        return ""
    s = str(text)
    return "'" + s if s and s[0] in "=+-@\t\r" else s


def _row(lang: str, line: dict) -> list[str]:
    return [
        line["reference"], local_time(line), group_name(lang, line["group"]),
        t(lang, f"bill.direction.{line['direction']}"), safe_cell(party(lang, line)),
        format_amount(line["amount"], symbol=False), format_amount(line["fee"], symbol=False),
        status_name(lang, line.get("ref_status")), safe_cell(line.get("note")),
    ]


def _encode(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def header(lang: str) -> list[str]:
    return [t(lang, f"csv.col.{c}") for c in COLUMNS]


def bills_csv(lines: list[dict], lang: str | None) -> bytes:
    """Bill lines (``bills`` / ``statements`` dicts) as CSV bytes, in the order given."""
    lang = lang_code(lang)
    return _encode([header(lang)] + [_row(lang, ln) for ln in lines])


def evidence_csv(pack: dict, lang: str | None, *, timezone: str = "Asia/Shanghai") -> bytes:
    """A ticket's evidence pack (``tickets.evidence``): the ticket and the disputed bill first,
    then the surrounding bill lines with the disputed one marked."""
    lang = lang_code(lang)
    ticket, bill = pack["ticket"], pack["bill"]
    rows = [
        [t(lang, "evidence.title")],
        [t(lang, "evidence.number"), ticket["number"]],
        [t(lang, "evidence.reason"), t(lang, f"ticket.reason.{ticket['reason']}")],
        [t(lang, "evidence.details"), safe_cell(ticket.get("details"))],
        [t(lang, "evidence.opened"),
         datetime.fromisoformat(ticket["created_at"]).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")],
        [],
        [t(lang, "evidence.bill")],
        header(lang),
        _row(lang, bill),
        [],
        [t(lang, "evidence.window", days=pack["days"])],
        header(lang) + [t(lang, "csv.col.disputed")],
    ]
    for ln in pack["lines"]:
        rows.append(_row(lang, ln) + (["★"] if ln["journal_id"] == bill["journal_id"] else [""]))
    return _encode(rows)
