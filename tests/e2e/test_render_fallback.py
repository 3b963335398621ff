"""A chart or a PDF that cannot be drawn never leaves a person in silence (issue 21, finding 2).

The bot's font is made unusable (``WALLET_CJK_FONT`` naming a file that is not there, the way a
machine without a CJK font fails: FontMissing; or a file that is not a font: any other drawing
error). Through the emulator: the monthly summary answers "generating…" and then its figures as
text with a line saying why the chart is missing; Export still sends the CSV, then the statement's
figures and why its PDF is missing; a report's evidence pack still sends the CSV to the reporter
and to the admin, with why the PDF is missing; the weekly summary comes as text without its chart,
saying why. No photo and no PDF is sent."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from chat.render.fonts import cjk_font_path
from jobs.alerts import alerts_once
from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.steps import bot_settings
from tests.e2e.test_tickets import crafted, data_of, fetch_csv, scam
from tests.people import Person
from wallet.services import bills, tickets

WHY = {"missing": ("服务器缺少绘制中文所需的字体", "this server has no font to draw Chinese text with"),
       "broken": ("生成时出错", "something went wrong while drawing it")}


@pytest.fixture(params=["missing", "broken"])
def unusable_font(request, tmp_path):
    """``WALLET_CJK_FONT`` for the bot: a path with no file, or a file that is not a font."""
    path = tmp_path / "cjk.ttc"
    if request.param == "broken":
        path.write_bytes(b"this is not a font\n" * 100)
    before = os.environ.get("WALLET_CJK_FONT")
    os.environ["WALLET_CJK_FONT"] = str(path)
    cjk_font_path.cache_clear()
    try:
        yield request.param
    finally:
        if before is None:
            os.environ.pop("WALLET_CJK_FONT", None)
        else:
            os.environ["WALLET_CJK_FONT"] = before
        cjk_font_path.cache_clear()


def is_document(suffix: str):
    return lambda m: (m.raw.get("document") or {}).get("file_name", "").endswith(suffix)


async def nothing_drawn(person: Person) -> None:
    """No photo and no PDF ever reached ``person``."""
    for msg in await person.messages():
        assert not msg.raw.get("photo") and not is_document(".pdf")(msg), msg.raw


async def test_no_font_the_figures_and_csvs_still_come_with_why(bot, ctx, people, alice, bob, unusable_font):
    zh, en = WHY[unusable_font]
    admin = await people.person("Admin", "en")
    bot_settings(bot).admin_ids = (admin.id,)
    await opened(ctx, alice, balance=10_000)
    await opened(ctx, bob)
    line = await scam(ctx, alice, bob)  # ¥42.00 from Alice to Bob, accepted
    await admin.send("/tickets")
    await admin.expect(contains="No open reports")
    await bob.send("/start")
    await bob.expect(contains="Balance")

    # the monthly summary: "generating…", then the month's figures as text and why there is no chart
    await alice.send("/bills")
    listed = await alice.expect(where=lambda m: any(b.get("callback_data", "").startswith("bill:sum:")
                                                    for row in m.keyboard for b in row))
    sum_data = next(b["callback_data"] for row in listed.keyboard for b in row
                    if b.get("callback_data", "").startswith("bill:sum:"))
    answer = await alice.press(listed, callback_data=sum_data)
    assert "正在生成图表" in answer.text
    summary = await alice.expect(contains="图表暂时无法生成")
    assert f"（{zh}）" in summary.text
    month = bills.current_month(ctx)
    assert f"{month} 账单" in summary.text and "支出 ¥42.00" in summary.text and "转账" in summary.text

    # export this month: the CSV, then the statement's figures and why its PDF is missing
    await alice.press(listed, callback_data=data_of(listed, "bill:ex:"))
    ask = await alice.expect(contains="2026-11-01 2026-11-30")
    await alice.press(ask, callback_data=f"bill:xm:{month.replace('-', '')}")
    csv_msg = await alice.expect(where=is_document(".csv"))
    rows = await fetch_csv(alice, csv_msg)
    assert rows[0][:2] == ["交易单号", "时间"] and any(r[0] == line["reference"] and r[5] == "-42.00" for r in rows)
    note = await alice.expect(contains="PDF 对账单暂时无法生成")
    assert note.id > csv_msg.id and f"（{zh}）" in note.text and "CSV" in note.text
    assert "支出 ¥42.00 = 期末 ¥58.00" in note.text, note.text  # the statement's figures, reconciled

    # a report: the evidence CSV to the reporter and why its PDF is missing
    await crafted(bot, alice, f"ticket:report:{line['journal_id']}")
    why = await alice.expect(contains="遇到了什么问题")
    await alice.press(why, callback_data=data_of(why, "ticket:why:"))
    await alice.expect(contains="说明经过", edited=True)
    await alice.send("我没有转过这笔钱")
    await alice.expect(contains="已提交")
    evidence = await alice.expect(where=is_document(".csv"))
    assert any(r and r[0] == line["reference"] for r in await fetch_csv(alice, evidence))
    note = await alice.expect(contains="证据 PDF 暂时无法生成")
    assert f"（{zh}）" in note.text and "CSV" in note.text

    # the admin's Evidence button: the CSV and why the PDF is missing, in English
    card = await admin.expect(where=lambda m: any(b.get("callback_data", "").startswith("tka:evidence:")
                                                  for row in m.keyboard for b in row))
    await admin.press(card, callback_data=data_of(card, "tka:evidence:"))
    pack = await admin.expect(where=is_document(".csv"))
    number = (await tickets.mine(ctx, alice.id))[0]["number"]
    assert ["Report number", number] in await fetch_csv(admin, pack)
    note = await admin.expect(contains="The evidence PDF could not be made")
    assert f"({en})" in note.text and "CSV" in note.text

    # Monday 09:00 in Shanghai: Bob's weekly summary, as text, saying why its chart is missing
    ctx.clock.advance(seconds=(datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc) - ctx.now()).total_seconds())
    done = await alerts_once(bot)
    assert "weekly" in [d["alert"] for d in done]
    week = await bob.expect(contains="Your week")
    assert "Money in: ¥42.00" in week.text and f"The bill chart could not be drawn this time ({en})." in week.text

    for person in (alice, bob, admin):
        await nothing_drawn(person)
    await scan_secrets(alice)


async def test_with_the_shipped_font_the_chart_and_pdf_come(bot, ctx, alice):
    """The same presses on an ordinary run: a photo and a PDF, no apology."""
    cjk_font_path.cache_clear()
    await opened(ctx, alice, balance=10_000)
    await alice.send("/bills")
    listed = await alice.expect(where=lambda m: any(b.get("callback_data", "").startswith("bill:sum:")
                                                    for row in m.keyboard for b in row))
    await alice.press(listed, callback_data=data_of(listed, "bill:sum:"))
    photo = await alice.expect(where=lambda m: bool(m.raw.get("photo")))
    assert "账单" in photo.text
    await alice.press(listed, callback_data=data_of(listed, "bill:ex:"))
    ask = await alice.expect(contains="2026-11-01 2026-11-30")
    await alice.press(ask, callback_data=f"bill:xm:{bills.current_month(ctx).replace('-', '')}")
    await alice.expect(where=is_document(".csv"))
    await alice.expect(where=is_document(".pdf"))
    assert not [m for m in await alice.messages() if "无法生成" in m.text]
