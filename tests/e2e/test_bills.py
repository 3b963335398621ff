"""Bills in chat through the emulator (issue 10, "Bills"): 35 mixed bills made through the real
services (tests/wallet/mixed.py: top-ups, a withdrawal with a fee, transfers out and in, red
packets, payments to a shop) are then read only through the chat, as Alice: the list pages 10 at a
time, newest first, with every filter (all / in / out, month, kind); a detail shows the reference
number; the monthly summary is a real PNG with the month's figures in its caption; the CSV of a
month parses back to the ledger's amounts and the PDF's opening / totals / closing are the
ledger's; Revoke and Return from a detail move the money once (a double tap replays); Bob's
crafted presses on Alice's bills are refused and change nothing."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import and_, func, select

from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_shop import crafted
from tests.people import Message, Person
from tests.wallet.helpers import PIN, wallet_balance
from tests.wallet.mixed import N_BILLS, mixed_bills
from wallet import ledger
from wallet.models import entries, journal, transfers as transfers_table
from wallet.money import format_amount
from wallet.services import bills, statements, transfers
from wallet.services import people as wallet_people
from wallet.uow import read

DETAIL = re.compile(r"^bill:dt:(\d+):")


def jids(msg: Message) -> list[int]:
    """The journal ids of the list's lines, in the order shown."""
    return [int(m.group(1)) for row in msg.keyboard for b in row if (m := DETAIL.match(b.get("callback_data", "")))]


def data_of(msg: Message, pattern: str) -> str:
    found = [b["callback_data"] for row in msg.keyboard for b in row if re.search(pattern, b.get("callback_data", ""))]
    assert found, (pattern, msg)
    return found[0]


def label_of(msg: Message, pattern: str) -> str:
    return next(b["text"] for row in msg.keyboard for b in row if re.search(pattern, b.get("callback_data", "")))


async def press_and_see(person: Person, msg: Message, callback_data: str) -> Message:
    """Press a button of the list message and wait for it to be edited in place."""
    answer = await person.press(msg, callback_data=callback_data)
    assert not answer.show_alert, answer
    return await person.expect(where=lambda m: m.id == msg.id and m.edited)


async def all_pages(person: Person, msg: Message) -> tuple[Message, list[list[int]]]:
    """Every page of the list from the one shown, by pressing Next; (the last page, ids per page)."""
    pages = [jids(msg)]
    while any("下一页" in b for b in msg.buttons):
        nxt = next(b["callback_data"] for row in msg.keyboard for b in row if "下一页" in b["text"])
        msg = await press_and_see(person, msg, nxt)
        pages.append(jids(msg))
    return msg, pages


async def expected(ctx, uid: int, **filters) -> list[int]:
    page = await bills.bills(ctx, uid, per_page=bills.MAX_PER_PAGE, **filters)
    return [x["journal_id"] for x in page["items"]]


def chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + 10] for i in range(0, len(ids), 10)] or [[]]


async def ledger_lines(ctx, uid: int, start: datetime | None = None, end: datetime | None = None) -> list[int]:
    """The ledger itself: the change of the person's wallet per transaction, oldest first."""
    async def body(conn):
        account = await ledger.wallet_account(conn, uid)
        conds = [entries.c.account_id == account]
        if start is not None:
            conds += [journal.c.created_at >= start, journal.c.created_at < end]
        rows = (await conn.execute(
            select(entries.c.tx_id, func.sum(entries.c.amount))
            .select_from(entries.join(journal, journal.c.id == entries.c.tx_id)).where(and_(*conds))
            .group_by(entries.c.tx_id, journal.c.created_at).order_by(journal.c.created_at, entries.c.tx_id))).all()
        return [int(a) for _, a in rows]
    return await read(ctx, body)


async def ledger_balance_before(ctx, uid: int, when: datetime) -> int:
    return sum(await ledger_lines(ctx, uid, datetime(2000, 1, 1, tzinfo=when.tzinfo), when))


async def fetch(person: Person, url: str) -> bytes:
    async with person.people.session.get(person.people.base_url + url) as res:
        assert res.status == 200
        return await res.read()


def pdf_figures(data: bytes) -> dict[str, int]:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    out = {}
    for label in ("期初余额", "期末余额", "收入合计", "支出合计"):
        m = re.search(label + r"\s*(-?¥[\d,]+\.\d\d)", text)
        assert m, (label, text[:400])
        out[label] = int(m.group(1).replace("¥", "").replace(",", "").replace(".", ""))
    return out


def to_fen(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("+-").replace(",", "").partition(".")
    return sign * (int(whole) * 100 + int(frac or 0))


async def exported(alice: Person) -> tuple[list[list[str]], dict[str, int], Message, Message]:
    """The CSV and PDF documents the bot just sent: (CSV rows, PDF figures, both messages)."""
    csv_msg = await alice.expect(where=lambda m: (m.raw.get("document") or {}).get("file_name", "").endswith(".csv"))
    pdf_msg = await alice.expect(where=lambda m: (m.raw.get("document") or {}).get("file_name", "").endswith(".pdf"))
    raw = await fetch(alice, csv_msg.raw["document"]["url"])
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: a spreadsheet keeps the Chinese text
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["交易单号", "时间"]
    pdf = await fetch(alice, pdf_msg.raw["document"]["url"])
    assert pdf[:5] == b"%PDF-"
    return rows[1:], pdf_figures(pdf), csv_msg, pdf_msg


@pytest.mark.timeout(300)
async def test_35_bills_page_filter_detail_chart_and_export(bot, ctx, alice, bob, carol, tmp_path):
    await mixed_bills(ctx, ids=(alice.id, bob.id, carol.id), languages=("zh-CN", "en", "zh-CN"))
    await bob.send("/start")
    await carol.send("/start")
    assert len(await ledger_lines(ctx, alice.id)) == N_BILLS == 35

    # /bills: 35 lines, 10 a page, newest first, page n/m
    await alice.send("/bills")
    first = await alice.expect(where=lambda m: bool(jids(m)))
    assert "共 35 笔" in first.text and "1/4" in first.buttons
    everything = await expected(ctx, alice.id)
    assert len(everything) == 35
    stamps = [x["time"] for x in (await bills.bills(ctx, alice.id, per_page=100))["items"]]
    assert stamps == sorted(stamps, reverse=True)
    last, pages = await all_pages(alice, first)
    assert [len(p) for p in pages] == [10, 10, 10, 5] and pages == chunks(everything)
    assert "4/4" in last.buttons and not any("下一页" in b for b in last.buttons)
    back = await press_and_see(alice, last, next(b["callback_data"] for row in last.keyboard for b in row
                                                 if "上一页" in b["text"]))
    assert jids(back) == everything[20:30] and "3/4" in back.buttons
    msg = back

    async def choose(msg: Message, opener: str, label: str) -> Message:
        """Open the month or kind picker and pick ``label``."""
        picker = await press_and_see(alice, msg, data_of(msg, opener))
        target = next(b["callback_data"] for row in picker.keyboard for b in row if b["text"].lstrip("✓ ") == label)
        return await press_and_see(alice, picker, target)

    async def direction(msg: Message, d: str) -> Message:
        return await press_and_see(alice, msg, data_of(msg, rf"^bill:ls:0:1\.{d}\."))

    # money in / money out / all
    msg = await direction(msg, "i")
    msg, pages = await all_pages(alice, msg)
    assert pages == chunks(await expected(ctx, alice.id, direction="in")) and sum(map(len, pages)) == 14
    msg = await direction(msg, "o")
    msg, pages = await all_pages(alice, msg)
    assert pages == chunks(await expected(ctx, alice.id, direction="out")) and [len(p) for p in pages] == [10, 10, 1]
    msg = await direction(msg, "a")
    # months: December (9 lines) and July (6, with the first top-up), then all months again
    for month, count in (("2026-12", 9), ("2026-07", 6)):
        msg = await choose(msg, r"^bill:mo:", month)
        assert f"· {month} ·" in msg.text and f"共 {count} 笔" in msg.text
        assert jids(msg) == await expected(ctx, alice.id, month=month)
    msg = await choose(msg, r"^bill:mo:", "全部月份")
    # kinds (and transfers out in December: the three holds)
    counts = {"转账": ("transfer", 15), "红包": ("red_packet", 6), "充值": ("topup", 7), "提现": ("withdraw", 1),
              "付款": ("payment", 6), "手续费": ("fee", 1)}
    for label, (kind, count) in counts.items():
        msg = await choose(msg, r"^bill:ki:", label)
        msg, pages = await all_pages(alice, msg)
        assert pages == chunks(await expected(ctx, alice.id, kind=kind)) and sum(map(len, pages)) == count, label
    msg = await choose(msg, r"^bill:ki:", "转账")
    msg = await choose(msg, r"^bill:mo:", "2026-12")
    msg = await direction(msg, "o")
    assert jids(msg) == await expected(ctx, alice.id, kind="transfer", month="2026-12", direction="out")
    assert len(jids(msg)) == 3 and "共 3 笔" in msg.text and "待收款" in msg.text  # one still pending

    # a detail: the withdrawal, with its fee and reference number; back to the same list
    msg = await choose(msg, r"^bill:ki:", "提现")
    wd_id = jids(msg)[0]
    detail = await press_and_see(alice, msg, data_of(msg, rf"^bill:dt:{wd_id}:"))
    line = await bills.bill(ctx, alice.id, wd_id)
    assert line["reference"] in detail.text and line["reference"].endswith(f"{wd_id:010d}")
    assert format_amount(line["amount"]) in detail.text and "手续费：" + format_amount(-line["fee"]) in detail.text
    assert "2026-12-10" in detail.text and "成功" in detail.text
    assert f"交易后余额：{format_amount(await bills.balance_after(ctx, alice.id, wd_id))}" in detail.text
    assert data_of(detail, r"^ticket:") == f"ticket:report:{wd_id}"
    assert not any(b.get("callback_data", "").startswith(("bill:rev", "bill:ret")) for row in detail.keyboard for b in row)
    msg = await press_and_see(alice, detail, data_of(detail, r"^bill:ls:"))
    assert jids(msg) == [wd_id] and "提现" in msg.text

    # Bob's crafted presses on Alice's bill: refused, nothing shown, nothing changes
    before = (await wallet_balance(ctx, alice.id), await wallet_balance(ctx, bob.id))
    for data in (f"bill:dt:{wd_id}:1.a..", f"bill:dt:{wd_id}:9.x.zz.1", "bill:zz:1:1.a..", f"bill:rev:{wd_id}:AAAAAAAAAAAA",
                 "bill:ls:0:0.a..", "bill:xm:202613", "bill:ls:0:1.a..000001", "bill:sum:0:1.a..202600"):
        answer = await crafted(bot, bob, data)
        assert answer.show_alert and answer.text, data
    assert "not among your bills" in (await crafted(bot, bob, f"bill:dt:{wd_id}:1.a..")).text
    await bob.expect_none(contains=line["reference"])
    assert (await wallet_balance(ctx, alice.id), await wallet_balance(ctx, bob.id)) == before

    # the monthly summary of December: a real PNG, the month's figures in the caption
    await alice.press(msg, callback_data=data_of(msg, r"^bill:sum:"))
    photo = await alice.expect(where=lambda m: bool(m.raw.get("photo")))
    png = await fetch(alice, photo.raw["photo"]["url"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    Image.open(io.BytesIO(png)).verify()
    width, height = Image.open(io.BytesIO(png)).size
    assert 800 <= width <= 2000 and 400 <= height <= 1200 and 10_000 < len(png) < 500_000
    data = await statements.chart_data(ctx, alice.id, month="2026-12")
    for fen in (data["total_in"], data["total_out"], data["net"], *data["spending"].values()):
        assert format_amount(fen) in photo.text
    assert "2026-12" in photo.text and "提现" in photo.text and "2026-07" in photo.text

    # export November: the CSV parses back to the ledger; the PDF reconciles with it
    await alice.press(msg, callback_data=data_of(msg, r"^bill:ex:"))
    ask = await alice.expect(where=lambda m: any(b.get("callback_data", "").startswith("bill:xm:") for row in m.keyboard
                                                 for b in row))
    await alice.press(ask, callback_data="bill:xm:202611")
    rows, figures, csv_msg, _ = await exported(alice)
    start, end = bills.month_range(ctx, "2026-11")
    ledger_nov = await ledger_lines(ctx, alice.id, start, end)
    assert [to_fen(r[5]) for r in rows] == ledger_nov and len(rows) == 5
    assert any(r[4] == "小卖部" for r in rows) and any(r[8].startswith("饭钱") for r in rows)
    nov = (await bills.bills(ctx, alice.id, month="2026-11", per_page=100))["items"]
    assert sorted(r[0] for r in rows) == sorted(x["reference"] for x in nov)
    opening = await ledger_balance_before(ctx, alice.id, start)
    assert figures["期初余额"] == opening and figures["期末余额"] == opening + sum(ledger_nov)
    assert figures["收入合计"] == sum(a for a in ledger_nov if a > 0)
    assert figures["支出合计"] == -sum(a for a in ledger_nov if a < 0)
    assert "2026-11-01" in csv_msg.text and "2026-11-30" in csv_msg.text

    # Revoke from the detail of my delayed transfer (a double tap replays: refunded once)
    delayed = await transfers.send(ctx, key="late", sender_id=alice.id, recipient_id=bob.id, amount=888, pin=PIN,
                                   delay_seconds=2 * 3600)
    await alice.send("/bills")
    fresh = await alice.expect(where=lambda m: bool(jids(m)) and not m.edited)
    hold = jids(fresh)[0]
    detail = await press_and_see(alice, fresh, data_of(fresh, rf"^bill:dt:{hold}:"))
    assert "-¥8.88" in detail.text and "到账时间" in detail.text
    revoke = data_of(detail, r"^bill:rev:")
    assert revoke.startswith(f"bill:rev:{delayed['transfer_id']}:")
    balance = await wallet_balance(ctx, alice.id)
    answer = await alice.press(detail, callback_data=revoke)
    assert "¥8.88" in answer.text and not answer.show_alert
    detail = await alice.expect(where=lambda m: m.id == detail.id and "已撤回" in m.text)
    assert not any(b.get("callback_data", "").startswith("bill:rev") for row in detail.keyboard for b in row)
    again = await crafted(bot, alice, revoke)  # the same button again: the same key, replayed
    assert not again.show_alert
    assert await wallet_balance(ctx, alice.id) == balance + 888

    # Return: a transfer Bob sent and Alice has not accepted shows on top of page 1
    sent = await transfers.send(ctx, key="gift", sender_id=bob.id, recipient_id=alice.id, amount=666, pin=PIN,
                                note="<b>gift</b>")
    bob_before = await wallet_balance(ctx, bob.id)
    await alice.send("/bills")
    fresh = await alice.expect(where=lambda m: "待你收款" in m.text and not m.edited)
    assert "¥6.66" in fresh.text and f"User{bob.id}" in fresh.text  # the wallet name of the sender
    wait = data_of(fresh, r"^bill:wt:")
    assert (await crafted(bot, carol, wait)).show_alert  # not Carol's
    detail = await press_and_see(alice, fresh, wait)
    assert "<b>gift</b>" in detail.text and "待收款" in detail.text  # the note as typed, not as markup
    answer = await alice.press(detail, callback_data=data_of(detail, r"^bill:ret:"))
    assert "¥6.66" in answer.text
    await alice.expect(where=lambda m: m.id == detail.id and "已退还" in m.text)
    assert await wallet_balance(ctx, bob.id) == bob_before + 666
    status = await read(ctx, lambda conn: conn.execute(
        select(transfers_table.c.status).where(transfers_table.c.id == sent["transfer_id"])))
    assert status.scalar_one() == "returned"

    # export a typed date range: a wrong one says why and waits; December reconciles, revoke included
    listed = await press_and_see(alice, detail, data_of(detail, r"^bill:ls:"))  # back: nothing waits any more
    assert "待你收款" not in listed.text
    await alice.press(listed, callback_data=data_of(listed, r"^bill:ex:"))
    await alice.expect(contains="2026-11-01 2026-11-30")
    await alice.send("2026-12-31 2026-12-01")
    await alice.expect(contains="不能晚于")
    await alice.send("2026-12-01 2026-12-31")
    rows, figures, _, _ = await exported(alice)
    start, end = bills.month_range(ctx, "2026-12")
    ledger_dec = await ledger_lines(ctx, alice.id, start, end)
    assert [to_fen(r[5]) for r in rows] == ledger_dec and len(rows) == 9 + 2
    opening = await ledger_balance_before(ctx, alice.id, start)
    assert figures["期初余额"] == opening and figures["期末余额"] == await wallet_balance(ctx, alice.id)
    assert figures["期末余额"] == opening + sum(ledger_dec)

    await scan_secrets(alice)
    await scan_secrets(bob)


async def test_home_button_english_time_zone_accept_from_the_bills_and_an_empty_export(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=10_000)
    await opened(ctx, bob)
    await wallet_people.set_timezone(ctx, bob.id, "Europe/Berlin")
    await bob.send("/wallet")
    home = await bob.expect(where=lambda m: "home:bills" in [b.get("callback_data") for row in m.keyboard for b in row])
    answer = await bob.press(home, callback_data="home:bills")
    assert not answer.show_alert
    shown = await bob.expect(where=lambda m: m.id == home.id and m.edited)  # the home message becomes the list
    assert "No bills match" in shown.text and "1/1" in shown.buttons
    # a month without bills exports an empty statement that still reconciles (zero to zero)
    await bob.press(shown, callback_data=data_of(shown, r"^bill:ex:"))
    ask = await bob.expect(contains="2026-11-01 2026-11-30")
    await bob.press(ask, callback_data=f"bill:xm:{bills.current_month(ctx).replace('-', '')}")
    pdf_msg = await bob.expect(where=lambda m: (m.raw.get("document") or {}).get("file_name", "").endswith(".pdf"))
    pdf = await fetch(bob, pdf_msg.raw["document"]["url"])
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "No transactions in this period." in text and "Opening balance" in text

    # Alice's transfer waits for Bob on top of his bills, in his time zone; he accepts it there
    sent = await transfers.send(ctx, key="tip", sender_id=alice.id, recipient_id=bob.id, amount=1_234, pin=PIN,
                                note="tip")
    berlin = ctx.now().astimezone(ZoneInfo("Europe/Berlin"))
    await bob.send("/bills")
    listed = await bob.expect(contains="Waiting for you")
    assert f"¥12.34 from User{alice.id} ({berlin:%m-%d %H:%M})" in listed.text
    detail = await press_and_see(bob, listed, data_of(listed, rf"^bill:wt:{sent['transfer_id']}:"))
    assert f"Time: {berlin:%Y-%m-%d %H:%M}" in detail.text and "Note: tip" in detail.text and "Pending" in detail.text
    accept = data_of(detail, r"^bill:acc:")
    answer = await bob.press(detail, callback_data=accept)
    assert "¥12.34" in answer.text and not answer.show_alert
    detail = await bob.expect(where=lambda m: m.id == detail.id and "Accepted" in m.text)
    assert not (await crafted(bot, bob, accept)).show_alert  # a double tap replays
    assert await wallet_balance(ctx, bob.id) == 1_234 and await wallet_balance(ctx, alice.id) == 10_000 - 1_234
    listed = await press_and_see(bob, detail, data_of(detail, r"^bill:ls:"))
    assert "Waiting for you" not in listed.text and "1 in all · page 1/1" in listed.text
    assert f"1. {berlin:%m-%d %H:%M} Transfer · User{alice.id} +¥12.34 · Accepted" in listed.text
    await scan_secrets(bob)


async def test_i_dont_recognise_this_on_a_bill_opens_a_report(bot, ctx, alice):
    """The bill detail's button leads into the report flow (handlers/tickets/report.py): the two flows meet."""
    from wallet.services import tickets

    await opened(ctx, alice, balance=4_200)
    await alice.send("/bills")
    msg = await alice.expect(contains="¥42.00")
    jid = jids(msg)[0]
    detail = await press_and_see(alice, msg, data_of(msg, rf"^bill:dt:{jid}:"))
    report = label_of(detail, r"^ticket:report:")
    await alice.press(detail, report)
    why = await alice.expect(contains="遇到了什么问题")
    assert (await bills.bill(ctx, alice.id, jid))["reference"] in why.text
    await alice.press(why, "不是我本人操作")
    ask = await alice.expect(contains="跳过", edited=True)
    await alice.press(ask, "跳过")
    done = await alice.expect(contains="已提交")
    mine = await tickets.mine(ctx, alice.id)
    assert len(mine) == 1 and mine[0]["journal_id"] == jid and mine[0]["number"] in done.text
    await scan_secrets(alice)
