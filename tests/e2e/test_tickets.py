"""Abnormal-transaction reports in chat through the emulator: a report from a bill (the bill
detail's ``ticket:report:<journal_id>`` button, crafted here as that button carries it) or from
/security -> /report with a reference typed; what is wrong, a description; the ticket number,
freeze now taken (the wallet is frozen), the evidence CSV parses; the admin gets the card and
replies, freezes the counterparty and resolves, the reporter is told each time; a non-admin's
presses on admin buttons and crafted callback_data change nothing."""
from __future__ import annotations

import asyncio
import csv
import io
from types import SimpleNamespace

from pypdf import PdfReader
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from jobs.outbox import drain_once
from tests.conftest import make_context
from tests.e2e.flows import bot, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.steps import bot_settings
from tests.people import Message, Person
from tests.wallet.helpers import PIN
from wallet import outbox
from wallet.db import create_engine
from wallet.services import bills, tickets, transfers
from wallet.services import people as persons



async def report(bot, ctx, bob) -> dict:
    """Bob reports his first bill (a top-up): "the amount is wrong", no description; the ticket."""
    topup = (await bills.bills(ctx, bob.id))["items"][0]
    await bob.send("/start")
    await bob.expect(contains="Balance")
    await crafted(bot, bob, f"ticket:report:{topup['journal_id']}")
    why = await bob.expect(contains="What is wrong?")
    await bob.press(why, "The amount is wrong")
    await bob.send("skip")
    await bob.expect(contains="opened")
    [x] = await tickets.mine(ctx, bob.id)
    return x

async def crafted(bot, person: Person, data: str):
    """A button with ``data`` in ``person``'s private chat (a modified client may send any callback_data)."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])
    sent = await bot.bot.send_message(person.id, "crafted", reply_markup=markup)
    msg = await person.expect(where=lambda m: m.id == sent.message_id)
    return await person.press(msg, callback_data=data)


def data_of(msg: Message, prefix: str) -> str:
    found = [b["callback_data"] for row in msg.keyboard for b in row if b.get("callback_data", "").startswith(prefix)]
    assert found, f"no button {prefix}… on {msg}"
    return found[0]


async def fetch_csv(person: Person, msg: Message) -> list[list[str]]:
    doc = msg.raw.get("document")
    assert doc and doc.get("file_name", "").endswith(".csv"), msg.raw
    async with person.people.session.get(person.people.base_url + doc["url"]) as res:
        assert res.status == 200
        data = await res.read()
    assert data.startswith("\ufeff".encode())  # a spreadsheet opens it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def fetch_pdf_text(person: Person, msg: Message) -> str:
    async with person.people.session.get(person.people.base_url + msg.raw["document"]["url"]) as res:
        assert res.status == 200
        data = await res.read()
    assert data.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def scam(ctx, payer: Person, payee: Person, amount: int = 4_200) -> dict:
    """``payer`` sent ``payee`` a transfer that ``payee`` accepted: the payer's bill line."""
    t = await transfers.send(ctx, key=f"scam-{payer.id}", sender_id=payer.id, recipient_id=payee.id, amount=amount,
                             pin=PIN)
    await transfers.accept(ctx, key=f"acc-{payer.id}", user_id=payee.id, transfer_id=t["transfer_id"])
    return next(ln for ln in (await bills.bills(ctx, payer.id))["items"] if ln["kind"] == "transfer_hold")


async def test_a_report_from_a_bill_freeze_evidence_and_the_admin_replies_freezes_and_resolves(
        bot, ctx, people, alice, bob):
    admin = await people.person("Admin", "en")
    bot_settings(bot).admin_ids = (admin.id,)
    await opened(ctx, bob, balance=10_000)
    await opened(ctx, alice, balance=1_000)
    line = await scam(ctx, bob, alice)
    alices_topup = next(ln for ln in (await bills.bills(ctx, alice.id))["items"] if ln["kind"] == "topup")
    await admin.send("/tickets")
    await admin.expect(contains="No open reports")
    await bob.send("/start")
    await bob.expect(contains="Balance")

    # someone else's bill, crafted: refused, no draft, no ticket
    answer = await crafted(bot, bob, f"ticket:report:{alices_topup['journal_id']}")
    assert answer.show_alert and "not among your bills" in answer.text
    answer = await crafted(bot, bob, "ticket:why:0:AAAAAAAAAAAA")  # a reason with no draft behind it
    assert answer.show_alert and "out of date" in answer.text
    assert await tickets.mine(ctx, bob.id) == []

    # the bill detail's button: what is wrong, a description, the ticket
    await crafted(bot, bob, f"ticket:report:{line['journal_id']}")
    why = await bob.expect(contains="What is wrong?")
    assert line["reference"] in why.text and "-¥42.00" in why.text
    await bob.press(why, "I did not do this")
    await bob.expect(contains="Describe what happened", edited=True)
    await bob.send("I never sent this <money> & I don't know Alice")
    done = await bob.expect(contains="opened")
    mine = await tickets.mine(ctx, bob.id)
    assert len(mine) == 1 and mine[0]["reason"] == "not_me" and mine[0]["counterparty_id"] == alice.id
    number, tid = mine[0]["number"], mine[0]["ticket_id"]
    assert number in done.text and "🧊 Freeze now" in done.buttons and data_of(done, "sec:change") == "sec:change"

    # the evidence pack: the ticket, the disputed bill, the activity around it
    evidence = await bob.expect(where=lambda m: bool(m.raw.get("document")))
    rows = await fetch_csv(bob, evidence)
    assert ["Report number", number] in rows
    disputed = [r for r in rows if r and r[0] == line["reference"]]
    assert disputed and all(r[5] == "-42.00" for r in disputed) and disputed[-1][-1] == "★"
    assert any(r[-1] == "" and r[5] == "100.00" for r in rows if len(r) > 5)  # the top-up before it, unmarked
    pdf = await bob.expect(where=lambda m: (m.raw.get("document") or {}).get("file_name", "").endswith(".pdf"))
    text = await fetch_pdf_text(bob, pdf)
    assert number in text and line["reference"] in text and "-¥42.00" in text and "I did not do this" in text

    # the admin's card
    card = await admin.expect(contains=number)
    assert "I did not do this" in card.text and "I never sent this &lt;money&gt;" not in card.text
    assert "I never sent this <money> & I don't know Alice" in card.text and "-¥42.00" in card.text
    assert {data_of(card, p) for p in ("tka:reply:", "tka:resolve:", "tka:freeze:")} == {
        f"tka:reply:{tid}", f"tka:resolve:{tid}", f"tka:freeze:{tid}"}

    await admin.press(card, "Evidence")
    pack = await admin.expect(where=lambda m: (m.raw.get("document") or {}).get("file_name", "").endswith(".csv"))
    assert ["Report number", number] in await fetch_csv(admin, pack)

    # a non-admin cannot use admin buttons, nor crafted tka: data
    for data in (f"tka:resolve:{tid}", f"tka:freeze:{tid}", f"tka:freezeok:{tid}", f"tka:freezeno:{tid}",
                 f"tka:reply:{tid}", f"tka:show:{tid}", "tka:zap:1"):
        answer = await crafted(bot, bob, data)
        assert answer.show_alert and "Only an admin" in answer.text, data
    assert (await tickets.get(ctx, tid, viewer_id=bob.id))["status"] == "open"
    assert not (await persons.profile(ctx, alice.id))["frozen"]

    # freeze now, no PIN: the wallet is frozen and the admin is told
    answer = await bob.press(done, "Freeze now")
    assert "frozen" in answer.text
    await bob.expect(contains="Your wallet is frozen")
    assert (await persons.profile(ctx, bob.id))["frozen"] is True
    await admin.expect(contains="froze their own wallet")
    [now] = [m for m in await bob.messages() if m.id == done.id]  # the freeze button is gone, change PIN stays
    assert "🧊 Freeze now" not in now.buttons and "🔑 Change PIN" in now.buttons
    answer = await crafted(bot, bob, f"ticket:freeze:{tid}")  # an old client taps again: already frozen
    assert answer.show_alert and "already frozen" in answer.text

    # the admin replies: the reporter reads it
    await admin.press(card, "Reply")
    await admin.expect(contains=f"Type your reply to report {number}")
    await admin.send("We are checking <this> with the bank")
    await admin.expect(contains="was sent to the reporter")
    told = await bob.expect(contains="support replied", timeout=30)  # the outbox job's notice: a loaded machine may take more than a tick
    assert number in told.text and "We are checking <this> with the bank" in told.text

    # the admin freezes the counterparty, asked first: "Don't freeze" leaves Alice as she is
    answer = await admin.press(card, "Freeze counterparty")
    assert not answer.show_alert
    ask = await admin.expect(contains="Freeze the account on the other side")
    assert number in ask.text and "unfreeze it themselves" in ask.text
    assert data_of(ask, "tka:freezeok:") == f"tka:freezeok:{tid}"
    await admin.press(ask, "Don't freeze")
    kept = await admin.expect(contains="Nothing was frozen", edited=True)
    assert kept.id == ask.id and not kept.keyboard
    assert not (await persons.profile(ctx, alice.id))["frozen"]
    # asked again and confirmed: Alice is frozen, the question becomes the answer, Bob is told
    await admin.press(card, "Freeze counterparty")
    ask = await admin.expect(contains="Freeze the account on the other side")
    answer = await admin.press(ask, "Freeze it")
    assert answer.show_alert and number in answer.text
    assert (await persons.profile(ctx, alice.id))["frozen"] is True
    said = await admin.expect(contains="the account on the other side is frozen", edited=True)
    assert said.id == ask.id and not said.keyboard
    await bob.expect(contains="the account on the other side has been frozen")

    # /tickets for the admin lists it; resolving tells the reporter; a second press is refused
    await admin.send("/tickets")
    listed = await admin.expect(contains="Open reports")
    assert number in listed.text and f"User{bob.id}" in listed.text
    await people.server_error(count=1, status=502, methods=["sendMessage"])  # the first try to tell Bob fails
    answer = await admin.press(card, "Resolve")
    assert "resolved" in answer.text
    for _ in range(100):  # the outbox backs off after the 502 (on the suite's fake clock): move past it
        failed = [n for n in await outbox.pending(ctx) if n["msgid"] == "ticket.notice.resolved" and n["last_error"]]
        if failed:
            ctx.clock.advance(seconds=3)
            break
        await asyncio.sleep(0.05)
    assert failed, "the first try to tell Bob did not fail"
    await bob.expect(contains=f"Your report {number} is resolved")
    assert (await tickets.get(ctx, tid, viewer_id=bob.id))["status"] == "resolved"
    # the card lost its buttons; a double tap (an old client) replays the same resolution, once
    answer = await crafted(bot, admin, f"tka:resolve:{tid}")
    assert "resolved" in answer.text
    kinds = [e["kind"] for e in (await tickets.get(ctx, tid, viewer_id=bob.id))["events"]]
    assert kinds == ["opened", "self_freeze", "reply", "freeze_counterparty", "resolved"]
    answer = await crafted(bot, admin, f"tka:reply:{tid}")  # nothing more on a resolved report
    assert answer.show_alert and "can no longer be changed" in answer.text

    # the reporter's /tickets shows the status and the history
    await bob.send("/tickets")
    shown = await bob.expect(contains="Your reports")
    assert number in shown.text and "Resolved" in shown.text
    await bob.press(shown, number)
    history = await bob.expect(contains="Reply from support")
    assert "Report resolved" in history.text and "The other account was frozen" in history.text

    await scan_secrets(bob)
    await scan_secrets(alice)


async def test_report_from_security_with_a_reference_typed_and_refusals(bot, ctx, people, alice, bob):
    admin = await people.person("Admin", "en")
    bot_settings(bot).admin_ids = (admin.id,)
    await opened(ctx, alice, balance=2_000)
    await opened(ctx, bob, balance=500)
    topup = (await bills.bills(ctx, alice.id))["items"][0]
    bobs = (await bills.bills(ctx, bob.id))["items"][0]
    await admin.send("/tickets")
    await admin.expect(contains="No open reports")
    await bob.send("/start")
    await bob.expect(contains="Balance")

    await alice.send("/security")
    menu = await alice.expect(contains="安全中心")
    await alice.press(menu, "申诉异常交易")
    picker = await alice.expect(contains="是哪一笔交易", edited=True)
    assert data_of(picker, "ticket:report:") == f"ticket:report:{topup['journal_id']}"
    await alice.send("12345")
    await alice.expect(contains="24 位数字")
    await alice.send(bobs["reference"])  # someone else's reference: not hers
    await alice.expect(contains="在你的账单中找不到这笔交易")
    ref = topup["reference"]
    await alice.send(f"{ref[:8]} {ref[8:16]} {ref[16:]}")  # spaces as a person copies it
    why = await alice.expect(contains="遇到了什么问题")
    nonce = data_of(why, "ticket:why:").rsplit(":", 1)[1]
    await crafted(bot, alice, f"ticket:why:99:{nonce}")  # no such reason: said, nothing opened
    await alice.expect(contains="请从列表中选择")
    await alice.press(why, "金额不对")
    details = await alice.expect(contains="请发一条消息说明经过", edited=True)
    await alice.press(details, "跳过")
    done = await alice.expect(contains="已提交")
    [x] = await tickets.mine(ctx, alice.id)
    assert x["reason"] == "wrong_amount" and x["details"] is None and x["number"] in done.text
    await alice.expect(where=lambda m: bool(m.raw.get("document")))
    await alice.press(done, "修改支付密码")  # the security flow's change PIN, from the ticket
    await alice.expect(contains="当前支付密码", where=lambda m: "○" in m.text)
    await alice.send("/cancel")
    answer = await alice.press(details, "跳过")  # the old screen: replays nothing
    assert answer.show_alert
    assert len(await tickets.mine(ctx, alice.id)) == 1

    # the same bill again while it is open: the number and /tickets
    await alice.send("/report")
    picker = await alice.expect(contains="是哪一笔交易")
    await alice.press(picker, callback_data=f"ticket:report:{topup['journal_id']}")
    why = await alice.expect(contains="遇到了什么问题", edited=True)
    await alice.press(why, "其他问题")
    await alice.send("跳过")
    refused = await alice.expect(contains="已有处理中的申诉")
    assert x["number"] in refused.text and "/tickets" in refused.text

    # a top-up has nobody on the other side to freeze
    card = await admin.expect(contains=x["number"], since=0)
    answer = await admin.press(card, "Freeze counterparty")
    assert answer.show_alert and "nobody to freeze" in answer.text  # said at once, nothing asked
    await admin.expect_none(contains="Freeze the account on the other side")
    answer = await crafted(bot, admin, f"tka:freezeok:{x['ticket_id']}")  # the confirm, crafted: the wallet refuses
    assert answer.show_alert and "nobody to freeze" in answer.text
    # someone else's ticket is not Bob's to freeze himself from, nor to view
    answer = await crafted(bot, bob, f"ticket:freeze:{x['ticket_id']}")
    assert answer.show_alert and "not found" in answer.text
    answer = await crafted(bot, bob, f"ticket:show:{x['ticket_id']}")
    assert answer.show_alert
    assert not (await persons.profile(ctx, bob.id))["frozen"] and not (await persons.profile(ctx, alice.id))["frozen"]

    await alice.send("/tickets")
    shown = await alice.expect(contains="我的申诉")
    assert x["number"] in shown.text and "处理中" in shown.text
    await scan_secrets(alice)


async def test_a_report_waits_for_the_admins_when_none_is_configured(bot, ctx, people, bob):
    """The notices are rows: a report opened while no admin is configured reaches the admin
    configured later (nothing is lost in between)."""
    admin = await people.person("Admin", "en")
    bot_settings(bot).admin_ids = ()
    await opened(ctx, bob, balance=300)
    await admin.send("/tickets")  # not an admin yet: told how to open a wallet (and the chat is started)
    await admin.expect()
    x = await report(bot, ctx, bob)
    await admin.expect_none(contains=x["number"], within=1.5)
    assert [e["kind"] for e in await tickets.undelivered(ctx)] == ["opened"]
    bot_settings(bot).admin_ids = (admin.id,)
    card = await admin.expect(contains=x["number"])
    assert "The amount is wrong" in card.text and data_of(card, "tka:resolve:") == f"tka:resolve:{x['ticket_id']}"
    for _ in range(100):  # marked delivered right after the send
        if await tickets.undelivered(ctx) == []:
            break
        await asyncio.sleep(0.05)
    assert await tickets.undelivered(ctx) == []
    await scan_secrets(bob)


async def test_two_senders_on_one_database_deliver_each_ticket_notice_once(bot, ctx, people, database_url):
    """Two bot processes (two engines, two outbox senders) drain the ticket notices at once:
    every admin gets each report's card once, every reporter the reply once, nothing is left."""
    admins = [await people.person(f"Admin{i}", "en") for i in range(2)]
    reporters = [await people.person(f"Reporter{i}", "en") for i in range(4)]
    payee = await people.person("Payee", "en")
    await opened(ctx, payee)
    for person in admins + reporters:
        await person.send("/start")
        await person.expect()
    ids = tuple(a.id for a in admins)
    bot_settings(bot).admin_ids = ids
    [job] = bot.job_queue.get_jobs_by_name("outbox")
    job.enabled = False  # only the two senders below drain
    other_engine = create_engine(database_url, pool_size=5, max_overflow=0)
    try:
        numbers = []
        for r in reporters:
            await opened(ctx, r, balance=1_000)
            line = await scam(ctx, r, payee, amount=100)
            x = await tickets.open_ticket(ctx, key=f"k{r.id}", reporter_id=r.id, journal_id=line["journal_id"],
                                          reason="not_me", admin_ids=ids)
            await tickets.reply(ctx, key=f"r{r.id}", admin_id=ids[0], admin_ids=ids, ticket_id=x["ticket_id"],
                                text=f"checking {x['number']}")
            numbers.append((r, x["number"]))
        total = len(await outbox.pending(ctx))
        assert total >= 3 * len(reporters)
        other = make_context(other_engine)
        other.clock = ctx.clock
        second = SimpleNamespace(bot=bot.bot, bot_data={**bot.bot_data, "wallet": other}, user_data=bot.user_data)
        sent = {"a": 0, "b": 0}

        async def sender(name, app):
            while True:
                got = await drain_once(app, limit=3)
                if not any(got.values()):
                    return
                assert got["sent"] == sum(got.values()), got
                sent[name] += got["sent"]

        await asyncio.gather(sender("a", bot), sender("b", second), sender("a", bot), sender("b", second))
    finally:
        job.enabled = True
        await other_engine.dispose()
    assert sent["a"] + sent["b"] == total and sent["a"] and sent["b"], sent
    assert await outbox.pending(ctx) == []
    for admin in admins:
        texts = [m.text for m in await admin.messages() if m.from_bot]
        for _, number in numbers:
            assert sum(f"Report {number}" in text for text in texts) == 1, (admin.first_name, number)
    for r, number in numbers:
        assert [m.text.count(f"checking {number}") for m in await r.messages() if "support replied" in m.text] == [1]
