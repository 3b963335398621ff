"""Abnormal-transaction tickets on the real database: opened from one's own bill, handled by
admins (reply, freeze the counterparty, resolve), every change recorded for the reporter."""
from __future__ import annotations

import asyncio
import json
import re

import pytest

from tests.wallet.helpers import PIN, make_person
from wallet import errors, outbox
from wallet.models import outbox as outbox_rows
from wallet.models import ticket_events
from wallet.uow import transaction
from wallet.services import bills, cards, people, tickets, transfers

ALICE, MALLORY, BOB = 301, 302, 303
ADMIN = 900
ADMINS = (ADMIN, 901)


@pytest.fixture
async def scam(ctx):
    """Mallory sends Alice a transfer (to make her "return" more later, say); Alice sees it in her bills."""
    await make_person(ctx, ALICE, balance=10_000)
    await make_person(ctx, MALLORY, balance=10_000)
    await make_person(ctx, BOB)
    t = await transfers.send(ctx, key="t", sender_id=ALICE, recipient_id=MALLORY, amount=4_200, pin=PIN)
    await transfers.accept(ctx, key="a", user_id=MALLORY, transfer_id=t["transfer_id"])
    line = (await bills.bills(ctx, ALICE, kind="transfer"))["items"][-1]
    assert line["kind"] == "transfer_hold" and line["amount"] == -4_200
    return line


async def test_a_ticket_from_a_bill_with_a_number_and_the_counterparty(ctx, scam):
    t = await tickets.open_ticket(ctx, key="k1", reporter_id=ALICE, journal_id=scam["journal_id"],
                                  reason="scam", details="  对方冒充客服让我转账  ")
    assert re.fullmatch(r"\d{8}-\d{5}", t["number"]) and tickets.ticket_id_of(t["number"]) == t["ticket_id"]
    assert t["status"] == "open" and t["counterparty_id"] == MALLORY and t["details"] == "对方冒充客服让我转账"
    assert t["bill"]["reference"] == scam["reference"]
    # a double tap replays; another attempt about the same bill names the open ticket
    assert await tickets.open_ticket(ctx, key="k1", reporter_id=ALICE, journal_id=scam["journal_id"],
                                     reason="scam", details="对方冒充客服让我转账") == t
    with pytest.raises(errors.TicketExists) as e:
        await tickets.open_ticket(ctx, key="k2", reporter_id=ALICE, journal_id=scam["journal_id"], reason="other")
    assert e.value.number == t["number"]
    assert [x["ticket_id"] for x in await tickets.mine(ctx, ALICE)] == [t["ticket_id"]]
    got = await tickets.get(ctx, t["ticket_id"], viewer_id=ALICE)
    assert [ev["kind"] for ev in got["events"]] == ["opened"]


async def test_only_ones_own_bill_with_a_known_reason(ctx, scam):
    with pytest.raises(errors.BillNotFound):  # Bob was not part of it
        await tickets.open_ticket(ctx, key="b", reporter_id=BOB, journal_id=scam["journal_id"], reason="scam")
    with pytest.raises(errors.BillNotFound):
        await tickets.open_ticket(ctx, key="c", reporter_id=ALICE, journal_id=999_999, reason="scam")
    with pytest.raises(errors.TicketInvalid) as e:
        await tickets.open_ticket(ctx, key="d", reporter_id=ALICE, journal_id=scam["journal_id"], reason="bored")
    assert e.value.reason == "reason"
    with pytest.raises(errors.TicketInvalid) as e:
        await tickets.open_ticket(ctx, key="e", reporter_id=ALICE, journal_id=scam["journal_id"], reason="other",
                                  details="x" * 501)
    assert (e.value.reason, e.value.limit) == ("details_too_long", 500)
    assert await tickets.mine(ctx, ALICE) == []


async def test_admins_reply_freeze_the_counterparty_and_resolve_and_the_reporter_is_told(ctx, scam):
    t = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=scam["journal_id"], reason="scam")
    todo = await tickets.undelivered(ctx)
    assert [(e["kind"], e["audience"], e["number"]) for e in todo] == [("opened", "admins", t["number"])]
    assert await tickets.mark_delivered(ctx, [e["event_id"] for e in todo]) == 1
    assert await tickets.undelivered(ctx) == []

    # nobody but an admin may act, whatever they send
    for who in (ALICE, MALLORY, BOB):
        with pytest.raises(errors.NotAdmin):
            await tickets.reply(ctx, key="r", admin_id=who, admin_ids=ADMINS, ticket_id=t["ticket_id"], text="hi")
        with pytest.raises(errors.NotAdmin):
            await tickets.freeze_counterparty(ctx, key="f", admin_id=who, admin_ids=ADMINS, ticket_id=t["ticket_id"])
        with pytest.raises(errors.NotAdmin):
            await tickets.resolve(ctx, key="s", admin_id=who, admin_ids=ADMINS, ticket_id=t["ticket_id"])
        with pytest.raises(errors.NotAdmin):
            await tickets.open_tickets(ctx, admin_id=who, admin_ids=ADMINS)
    with pytest.raises(errors.NotAdmin):
        await tickets.reply(ctx, key="r", admin_id=ADMIN, admin_ids=(), ticket_id=t["ticket_id"], text="hi")
    with pytest.raises(errors.TicketNotFound):
        await tickets.get(ctx, t["ticket_id"], viewer_id=MALLORY, admin_ids=ADMINS)

    assert [x["number"] for x in await tickets.open_tickets(ctx, admin_id=ADMIN, admin_ids=ADMINS)] == [t["number"]]
    with pytest.raises(errors.TicketInvalid):
        await tickets.reply(ctx, key="r0", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"], text="  ")
    await tickets.reply(ctx, key="r1", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"],
                        text="我们正在核实")
    frozen = await tickets.freeze_counterparty(ctx, key="f1", admin_id=ADMIN, admin_ids=ADMINS,
                                               ticket_id=t["ticket_id"])
    assert frozen["frozen_user_id"] == MALLORY
    assert (await people.profile(ctx, MALLORY))["frozen"] and not (await people.profile(ctx, ALICE))["frozen"]
    with pytest.raises(errors.AccountFrozen):
        await transfers.send(ctx, key="x", sender_id=MALLORY, recipient_id=BOB, amount=100, pin=PIN)
    # a retry of the same freeze records it once
    await tickets.freeze_counterparty(ctx, key="f1", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"])
    done = await tickets.resolve(ctx, key="s1", admin_id=901, admin_ids=ADMINS, ticket_id=t["ticket_id"],
                                 text="已冻结对方账户")
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    with pytest.raises(errors.TicketClosed):
        await tickets.reply(ctx, key="r2", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"], text="again")
    with pytest.raises(errors.TicketClosed):
        await tickets.resolve(ctx, key="s2", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"])
    assert await tickets.open_tickets(ctx, admin_id=ADMIN, admin_ids=ADMINS) == []

    # the reporter's notices were written with each change (one each, the retried freeze too)
    assert await tickets.undelivered(ctx) == []
    told = [n for n in await outbox.pending(ctx) if n["user_id"] == ALICE and n["msgid"].startswith("ticket.")]
    assert [(n["msgid"], json.loads(n["params"])["note"]) for n in told] == [
        ("ticket.notice.reply", "我们正在核实"), ("ticket.notice.freeze_counterparty", None),
        ("ticket.notice.resolved", "已冻结对方账户")]
    assert all(json.loads(n["params"])["number"] == t["number"] for n in told)
    assert json.loads(told[0]["params"])["buttons"] == [
        [["ticket.view", {"act": "ticket.show", "ticket_id": t["ticket_id"]}]]]
    mine = await tickets.get(ctx, t["ticket_id"], viewer_id=ALICE)
    assert mine["status"] == "resolved"
    assert [e["kind"] for e in mine["events"]] == ["opened", "reply", "freeze_counterparty", "resolved"]
    # once resolved, the same bill may be reported again
    again = await tickets.open_ticket(ctx, key="k2", reporter_id=ALICE, journal_id=scam["journal_id"], reason="other")
    assert again["ticket_id"] != t["ticket_id"]


async def test_the_reporter_freezes_their_own_account_from_the_ticket(ctx, scam):
    t = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=scam["journal_id"], reason="not_me")
    with pytest.raises(errors.TicketNotFound):
        await tickets.freeze_self(ctx, key="fs", user_id=BOB, ticket_id=t["ticket_id"])
    assert not (await people.profile(ctx, BOB))["frozen"]
    await tickets.freeze_self(ctx, key="fs", user_id=ALICE, ticket_id=t["ticket_id"])
    assert (await people.profile(ctx, ALICE))["frozen"]
    kinds = [(e["kind"], e["audience"]) for e in await tickets.undelivered(ctx)]
    assert kinds == [("opened", "admins"), ("self_freeze", "admins")]
    # an admin configured later is told of both, once (two catch-ups, as from two processes)
    assert await tickets.tell_missed(ctx, ()) == 0
    told = await asyncio.gather(tickets.tell_missed(ctx, [ADMIN]), tickets.tell_missed(ctx, [ADMIN]))
    assert sorted(told) == [0, 2] and await tickets.undelivered(ctx) == []
    assert await tickets.tell_missed(ctx, [ADMIN]) == 0
    assert [n["msgid"] for n in await outbox.pending(ctx) if n["user_id"] == ADMIN] == [
        "tka.card", "tka.notice.self_freeze"]


async def test_the_admins_notices_are_written_with_the_report_and_the_self_freeze(ctx, scam):
    t = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=scam["journal_id"], reason="not_me",
                                  details="not <me>", admin_ids=ADMINS)
    await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=scam["journal_id"], reason="not_me",
                              details="not <me>", admin_ids=ADMINS)  # a retry: the same ticket, told once
    await tickets.freeze_self(ctx, key="fs", user_id=ALICE, ticket_id=t["ticket_id"], admin_ids=ADMINS)
    await tickets.freeze_self(ctx, key="fs", user_id=ALICE, ticket_id=t["ticket_id"], admin_ids=ADMINS)
    assert await tickets.undelivered(ctx) == []
    rows = [n for n in await outbox.pending(ctx) if n["msgid"].startswith("tka.")]
    assert sorted((n["user_id"], n["msgid"]) for n in rows) == [
        (ADMIN, "tka.card"), (ADMIN, "tka.notice.self_freeze"), (901, "tka.card"), (901, "tka.notice.self_freeze")]
    card = json.loads(next(n for n in rows if n["msgid"] == "tka.card")["params"])
    assert card["number"] == t["number"] and card["reporter_id"] == ALICE and card["details"] == "not <me>"
    assert card["amount"] == {"fen": -4_200, "signed": True} and card["reference"] == scam["reference"]
    assert card["reason"] == {"msgid": "ticket.reason.not_me"} and card["status"] == {"msgid": "ticket.status.open"}
    assert [b[1] for row in card["buttons"] for b in row] == [
        {"act": f"tka.{v}", "ticket_id": t["ticket_id"]} for v in ("reply", "resolve", "freeze", "evidence")]
    assert all(n["key"].startswith("sys:notice:ticket:") for n in rows)


async def test_a_top_up_has_nobody_to_freeze(ctx, scam):
    topup = (await bills.bills(ctx, ALICE, kind="topup"))["items"][0]
    t = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=topup["journal_id"],
                                  reason="wrong_amount")
    assert t["counterparty_id"] is None
    with pytest.raises(errors.TicketNoCounterparty):
        await tickets.freeze_counterparty(ctx, key="f", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"])


async def test_two_reports_of_one_bill_at_once_open_one_ticket(ctx, scam):
    results = await asyncio.gather(*(
        tickets.open_ticket(ctx, key=f"k{i}", reporter_id=ALICE, journal_id=scam["journal_id"], reason="scam")
        for i in range(6)), return_exceptions=True)
    opened = [r for r in results if isinstance(r, dict)]
    assert len(opened) == 1, results
    assert all(isinstance(r, errors.TicketExists) and r.number == opened[0]["number"]
               for r in results if not isinstance(r, dict))


async def test_the_evidence_pack_is_the_bill_and_a_week_either_side(ctx):
    card = await make_person(ctx, ALICE, balance=10_000)
    await make_person(ctx, MALLORY)
    ctx.clock.advance(days=10)

    async def top_up(key):
        await cards.top_up(ctx, key=key, user_id=ALICE, card_id=card["card_id"], amount=100, pin=PIN)

    await top_up("d-10")                 # 10 days before: outside
    ctx.clock.advance(days=7)
    await top_up("d-3")                  # 3 days before: inside
    ctx.clock.advance(days=3)
    t = await transfers.send(ctx, key="bad", sender_id=ALICE, recipient_id=MALLORY, amount=999, pin=PIN)
    ctx.clock.advance(days=3)
    await top_up("d+3")                  # 3 days after: inside
    ctx.clock.advance(days=5)
    await top_up("d+8")                  # 8 days after: outside
    bad = [ln for ln in (await bills.bills(ctx, ALICE))["items"] if ln["kind"] == "transfer_hold"][0]
    assert bad["ref_id"] == t["transfer_id"]
    ticket = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=bad["journal_id"], reason="scam")
    pack = await tickets.evidence(ctx, ticket["ticket_id"], viewer_id=ALICE)
    assert pack["bill"]["journal_id"] == bad["journal_id"]
    assert [ln["amount"] for ln in pack["lines"]] == [100, -999, 100]
    assert pack["total_in"] == 200 and pack["total_out"] == 999
    assert (await tickets.evidence(ctx, ticket["ticket_id"], viewer_id=ADMIN, admin_ids=ADMINS))["count"] == 3
    with pytest.raises(errors.TicketNotFound):
        await tickets.evidence(ctx, ticket["ticket_id"], viewer_id=MALLORY)


async def test_an_event_recorded_before_its_notice_was_written_is_told_once(ctx, scam):
    """An event of an older database (its notice not written with it) is written by the catch-up, once."""
    t = await tickets.open_ticket(ctx, key="k", reporter_id=ALICE, journal_id=scam["journal_id"], reason="scam")
    await tickets.reply(ctx, key="r", admin_id=ADMIN, admin_ids=ADMINS, ticket_id=t["ticket_id"], text="hi")

    async def as_before(conn):
        await conn.execute(outbox_rows.delete().where(outbox_rows.c.msgid == "ticket.notice.reply"))
        await conn.execute(ticket_events.update().where(ticket_events.c.kind == "reply").values(notified_at=None))
    await transaction(ctx, as_before)
    assert [e["kind"] for e in await tickets.undelivered(ctx)] == ["opened", "reply"]
    assert await tickets.tell_missed(ctx, ()) == 1  # no admin yet: the reporter's only
    assert await tickets.tell_missed(ctx, ()) == 0
    assert [e["kind"] for e in await tickets.undelivered(ctx)] == ["opened"]
    told = [n for n in await outbox.pending(ctx) if n["msgid"] == "ticket.notice.reply"]
    assert len(told) == 1 and json.loads(told[0]["params"])["note"] == "hi" and told[0]["user_id"] == ALICE
