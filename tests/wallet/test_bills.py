"""Balance, bills, monthly summary and CSV export, on the real database through real services."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from tests.wallet.helpers import PIN, make_person
from wallet import errors
from wallet.models import accounts
from wallet.services import bills, cards, people, red_packets, transfers
from wallet.uow import transaction

ALICE, BOB, CAROL = 101, 102, 103
FUND = 300_000  # Alice's top-up: more than the lifetime free withdrawal quota


async def send(ctx, key, sender, recipient, amount, note=None):
    return await transfers.send(ctx, key=key, sender_id=sender, recipient_id=recipient,
                                amount=amount, pin=PIN, note=note)


async def accept(ctx, key, user, t):
    return await transfers.accept(ctx, key=key, user_id=user, transfer_id=t["transfer_id"])


async def all_lines(ctx, user_id, **kw):
    page = await bills.bills(ctx, user_id, per_page=bills.MAX_PER_PAGE, **kw)
    assert page["pages"] == 1
    return page["items"]


def set_clock(ctx, when: datetime) -> None:
    ctx.clock.advance(seconds=(when - ctx.now()).total_seconds())


@pytest.fixture
async def people3(ctx):
    await make_person(ctx, ALICE, balance=FUND)
    await make_person(ctx, BOB)
    await make_person(ctx, CAROL, balance=5_000)
    return ALICE, BOB, CAROL


# --- balance -------------------------------------------------------------------------------
async def test_balance_of_unknown_user_is_wallet_not_open(ctx):
    with pytest.raises(errors.WalletNotOpen):
        await bills.balance(ctx, 999)
    with pytest.raises(errors.WalletNotOpen):
        await bills.bills(ctx, 999)
    with pytest.raises(errors.WalletNotOpen):
        await bills.monthly_summary(ctx, 999, "2026-11")
    with pytest.raises(errors.WalletNotOpen):
        await bills.export_csv(ctx, 999)


async def test_balance_shows_wallet_savings_and_money_on_hold(ctx, people3):
    b = await bills.balance(ctx, ALICE)
    assert b["wallet"] == FUND and b["savings"] == 0 and not b["has_savings"]
    assert b["on_hold"] == 0 and b["pending_transfers"] == 0 and b["total"] == FUND

    t1 = await send(ctx, "t1", ALICE, BOB, 2_500)
    await send(ctx, "t2", ALICE, CAROL, 1_000)
    b = await bills.balance(ctx, ALICE)
    assert b["wallet"] == FUND - 3_500 and b["on_hold"] == 3_500 and b["pending_transfers"] == 2
    # the recipient's balance does not include what waits for them
    assert (await bills.balance(ctx, BOB))["wallet"] == 0
    assert (await bills.balance(ctx, BOB))["on_hold"] == 0

    await accept(ctx, "a1", BOB, t1)
    b = await bills.balance(ctx, ALICE)
    assert b["on_hold"] == 1_000 and b["pending_transfers"] == 1
    assert (await bills.balance(ctx, BOB))["wallet"] == 2_500


async def test_balance_with_a_savings_account(ctx, people3):
    async def open_savings(conn):
        await conn.execute(accounts.insert().values(user_id=BOB, kind="savings", balance=0))
    await transaction(ctx, open_savings)
    b = await bills.balance(ctx, BOB)
    assert b["has_savings"] and b["savings"] == 0
    assert await all_lines(ctx, BOB) == []


async def test_balance_counts_a_withdrawal_in_flight(ctx, people3):
    card = (await cards.list_cards(ctx, ALICE))[0]
    ctx.bank.fail_next("payout", errors.BankTimeout, outcome="succeeded")
    with pytest.raises(errors.BankTimeout):
        await cards.withdraw(ctx, key="w1", user_id=ALICE, card_id=card["card_id"], amount=10_000, pin=PIN)
    b = await bills.balance(ctx, ALICE)
    assert b["withdrawing"] == 10_000 and b["wallet"] == FUND - 10_000  # within the free quota: no fee
    ctx.clock.advance(seconds=1)
    await cards.reconcile(ctx, older_than_seconds=0)
    assert (await bills.balance(ctx, ALICE))["withdrawing"] == 0


# --- bill lines ----------------------------------------------------------------------------
async def test_lines_are_signed_newest_first_with_counterparty_names_and_notes(ctx, people3):
    t = await send(ctx, "t1", ALICE, BOB, 2_500, note="lunch")
    ctx.clock.advance(minutes=1)
    await accept(ctx, "a1", BOB, t)
    ctx.clock.advance(minutes=1)
    t2 = await send(ctx, "t2", ALICE, BOB, 700)
    ctx.clock.advance(minutes=1)
    await transfers.give_back(ctx, key="g2", user_id=BOB, transfer_id=t2["transfer_id"])

    lines = await all_lines(ctx, ALICE)
    assert [(x["kind"], x["amount"]) for x in lines] == [
        ("transfer_return", 700), ("transfer_hold", -700), ("transfer_hold", -2_500), ("topup", FUND)]
    assert [x["journal_id"] for x in lines] == sorted((x["journal_id"] for x in lines), reverse=True)
    hold = lines[2]
    assert hold["group"] == "transfer" and hold["direction"] == "out" and hold["account"] == "wallet"
    assert hold["counterparty_id"] == BOB and hold["counterparty_name"] == f"User{BOB}"
    assert hold["note"] == "lunch" and hold["ref_type"] == "transfer" and hold["ref_status"] == "accepted"
    assert hold["fee"] == 0 and hold["time"].endswith("+08:00")
    topup = lines[3]
    assert topup["group"] == "topup" and topup["counterparty_id"] is None
    assert topup["card"]["last4"] and topup["ref_status"] == "succeeded"

    bob = await all_lines(ctx, BOB)
    assert [(x["kind"], x["amount"], x["counterparty_name"]) for x in bob] == [
        ("transfer_accept", 2_500, f"User{ALICE}")]
    assert bob[0]["note"] == "lunch" and bob[0]["direction"] == "in"


async def test_a_user_never_sees_another_users_lines(ctx, people3):
    t = await send(ctx, "t1", ALICE, BOB, 300)
    await accept(ctx, "a1", BOB, t)
    await send(ctx, "t2", CAROL, ALICE, 200)

    def kinds(lines):
        return sorted(x["kind"] for x in lines)

    carol = await all_lines(ctx, CAROL)
    assert kinds(carol) == ["topup", "transfer_hold"]
    assert all(x["counterparty_id"] in (None, ALICE) for x in carol)
    bob = await all_lines(ctx, BOB)
    assert kinds(bob) == ["transfer_accept"]
    alice = await all_lines(ctx, ALICE)
    assert kinds(alice) == ["topup", "transfer_hold"]  # Carol's transfer is not accepted yet
    ids = {x["journal_id"] for x in alice}
    assert not ids & {x["journal_id"] for x in carol} and not ids & {x["journal_id"] for x in bob}
    # every line's amount is this user's own money: the sum is the balance
    for uid in people3:
        assert sum(x["amount"] for x in await all_lines(ctx, uid)) == (await bills.balance(ctx, uid))["wallet"]


async def test_pagination_edges(ctx, people3):
    for i in range(22):  # 22 holds + 1 top-up = 23 lines
        await send(ctx, f"t{i}", ALICE, BOB, 10 + i)
        ctx.clock.advance(seconds=1)

    p1 = await bills.bills(ctx, ALICE, page=1, per_page=10)
    assert (p1["total"], p1["pages"], len(p1["items"]), p1["has_prev"], p1["has_next"]) == (23, 3, 10, False, True)
    p3 = await bills.bills(ctx, ALICE, page=3, per_page=10)
    assert len(p3["items"]) == 3 and p3["has_prev"] and not p3["has_next"]
    assert p3["items"][-1]["kind"] == "topup"
    p2 = await bills.bills(ctx, ALICE, page=2, per_page=10)
    seen = [x["journal_id"] for p in (p1, p2, p3) for x in p["items"]]
    assert len(seen) == len(set(seen)) == 23 and seen == sorted(seen, reverse=True)
    assert p1["items"][0]["amount"] == -(10 + 21)  # newest first

    past = await bills.bills(ctx, ALICE, page=4, per_page=10)
    assert past["items"] == [] and past["total"] == 23 and not past["has_next"]
    exact = await bills.bills(ctx, ALICE, page=1, per_page=23)
    assert exact["pages"] == 1 and len(exact["items"]) == 23 and not exact["has_next"]
    one = await bills.bills(ctx, ALICE, page=23, per_page=1)
    assert one["pages"] == 23 and [x["kind"] for x in one["items"]] == ["topup"]

    empty = await bills.bills(ctx, BOB)
    assert (empty["total"], empty["pages"], empty["items"], empty["has_next"]) == (0, 1, [], False)

    for bad in ({"page": 0}, {"page": -1}, {"per_page": 0}, {"per_page": bills.MAX_PER_PAGE + 1}):
        with pytest.raises(ValueError):
            await bills.bills(ctx, ALICE, **bad)


async def test_month_filter_follows_local_midnight(ctx, people3):
    # 2026-11-30 15:59 UTC is 23:59 in Shanghai; two minutes later it is 1 December there,
    # while still 30 November in UTC.
    set_clock(ctx, datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc))
    late = await send(ctx, "nov", ALICE, BOB, 111)
    ctx.clock.advance(minutes=2)
    early = await send(ctx, "dec", ALICE, BOB, 222)
    await accept(ctx, "a-nov", BOB, late)
    await accept(ctx, "a-dec", BOB, early)

    nov = await all_lines(ctx, ALICE, month="2026-11")
    dec = await all_lines(ctx, ALICE, month="2026-12")
    assert [x["amount"] for x in nov] == [-111, FUND]
    assert [x["amount"] for x in dec] == [-222]
    assert nov[0]["time"] == "2026-11-30T23:59:00+08:00"
    assert dec[0]["time"] == "2026-12-01T00:01:00+08:00"
    assert await all_lines(ctx, ALICE, month="2026-10") == []
    assert await all_lines(ctx, ALICE, month="2027-01") == []
    # Bob accepted both in December (local)
    assert [x["amount"] for x in await all_lines(ctx, BOB, month="2026-12")] == [222, 111]
    assert await all_lines(ctx, BOB, month="2026-11") == []
    assert bills.current_month(ctx) == "2026-12"

    s = await bills.monthly_summary(ctx, ALICE, "2026-11")
    assert s["groups"]["transfer"] == {"in": 0, "out": 111, "count": 1}
    assert s["groups"]["topup"] == {"in": FUND, "out": 0, "count": 1}
    assert (s["total_in"], s["total_out"], s["net"]) == (FUND, 111, FUND - 111)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "２０２６-11",
                                  "2026-11-01", "", "november", "1969-12"])
async def test_bad_month_text_is_refused(ctx, people3, text):
    with pytest.raises(errors.InvalidMonth) as info:
        await bills.bills(ctx, ALICE, month=text)
    assert isinstance(info.value, ValueError) and info.value.code == "invalid_month"
    with pytest.raises(errors.InvalidMonth):
        await bills.monthly_summary(ctx, ALICE, text)
    with pytest.raises(errors.InvalidMonth):
        await bills.export_csv(ctx, ALICE, text)


async def test_kind_filter(ctx, people3):
    t = await send(ctx, "t1", ALICE, BOB, 1_000)
    await accept(ctx, "a1", BOB, t)
    card = (await cards.list_cards(ctx, ALICE))[0]
    # the first one uses up the lifetime free quota, so the second pays a fee
    await cards.withdraw(ctx, key="w1", user_id=ALICE, card_id=card["card_id"], amount=100_000, pin=PIN)
    q = await cards.withdrawal_quote(ctx, ALICE, 20_000)
    assert q["fee"] > 0
    await cards.withdraw(ctx, key="w2", user_id=ALICE, card_id=card["card_id"], amount=20_000, pin=PIN)

    assert [x["kind"] for x in await all_lines(ctx, ALICE, kind="topup")] == ["topup"]
    assert [x["kind"] for x in await all_lines(ctx, ALICE, kind="transfer")] == ["transfer_hold"]
    withdrawals = await all_lines(ctx, ALICE, kind="withdraw")
    assert [(x["kind"], x["amount"], x["fee"]) for x in withdrawals] == [
        ("withdraw_hold", -(20_000 + q["fee"]), -q["fee"]), ("withdraw_hold", -100_000, 0)]
    assert withdrawals[0]["ref_status"] == "succeeded" and withdrawals[0]["card"]["last4"] == card["last4"]
    fees = await all_lines(ctx, ALICE, kind="fee")
    assert [x["journal_id"] for x in fees] == [withdrawals[0]["journal_id"]]
    assert await all_lines(ctx, ALICE, kind="red_packet") == []
    assert await all_lines(ctx, ALICE, kind="interest") == []
    assert await all_lines(ctx, ALICE, kind="other") == []
    page = await bills.bills(ctx, ALICE, kind="withdraw", per_page=1)
    assert page["total"] == 2 and page["pages"] == 2 and page["kind"] == "withdraw"
    with pytest.raises(ValueError, match="unknown bill kind"):
        await bills.bills(ctx, ALICE, kind="nonsense")


async def test_failed_withdrawal_gives_the_fee_back_and_the_summary_nets_to_zero(ctx, people3):
    card = (await cards.list_cards(ctx, ALICE))[0]
    await cards.withdraw(ctx, key="w0", user_id=ALICE, card_id=card["card_id"], amount=100_000, pin=PIN)
    q = await cards.withdrawal_quote(ctx, ALICE, 5_000)  # free quota is used up now
    ctx.bank.fail_next("payout", "account_abnormal")
    with pytest.raises(errors.BankDeclined):
        await cards.withdraw(ctx, key="w1", user_id=ALICE, card_id=card["card_id"], amount=5_000, pin=PIN)

    lines = await all_lines(ctx, ALICE, kind="withdraw")
    assert [(x["kind"], x["amount"], x["fee"]) for x in lines[:2]] == [
        ("withdraw_fail", 5_000 + q["fee"], q["fee"]), ("withdraw_hold", -(5_000 + q["fee"]), -q["fee"])]
    assert lines[0]["ref_status"] == "failed"
    s = await bills.monthly_summary(ctx, ALICE, "2026-11")
    assert s["groups"]["fee"] == {"in": q["fee"], "out": q["fee"], "count": 2}
    assert s["groups"]["withdraw"] == {"in": 5_000, "out": 100_000 + 5_000, "count": 3}
    assert s["net"] == (await bills.balance(ctx, ALICE))["wallet"] == FUND - 100_000


async def test_summary_totals_match_the_lines(ctx, people3):
    t = await send(ctx, "t1", ALICE, BOB, 2_000)
    await accept(ctx, "a1", BOB, t)
    t = await send(ctx, "t2", BOB, ALICE, 500)
    await accept(ctx, "a2", ALICE, t)
    t = await send(ctx, "t3", CAROL, ALICE, 300)
    await transfers.give_back(ctx, key="g3", user_id=ALICE, transfer_id=t["transfer_id"])
    card = (await cards.list_cards(ctx, ALICE))[0]
    await cards.withdraw(ctx, key="w1", user_id=ALICE, card_id=card["card_id"], amount=97_000, pin=PIN)
    await cards.withdraw(ctx, key="w2", user_id=ALICE, card_id=card["card_id"], amount=10_000, pin=PIN)

    for uid in people3:
        s = await bills.monthly_summary(ctx, uid, "2026-11")
        lines = await all_lines(ctx, uid, month="2026-11")
        assert s["count"] == len(lines)
        assert s["net"] == sum(x["amount"] for x in lines) == s["total_in"] - s["total_out"]
        assert s["total_in"] == sum(g["in"] for g in s["groups"].values())
        assert s["total_out"] == sum(g["out"] for g in s["groups"].values())
        for name, g in s["groups"].items():
            if name == "fee":
                assert g["out"] - g["in"] == -sum(x["fee"] for x in lines)
                continue
            mine = [x["amount"] - x["fee"] for x in lines if x["group"] == name]
            assert g["in"] == sum(a for a in mine if a > 0) and g["out"] == -sum(a for a in mine if a < 0)
        assert s["net"] == (await bills.balance(ctx, uid))["wallet"]  # everything happened this month

    s = await bills.monthly_summary(ctx, ALICE, "2026-11")
    assert s["groups"]["transfer"] == {"in": 500, "out": 2_000, "count": 2}  # Carol's was given back
    assert s["groups"]["withdraw"]["out"] == 107_000 and s["groups"]["fee"]["out"] > 0
    assert list(s["groups"]) == ["transfer", "topup", "withdraw", "fee"]
    empty = await bills.monthly_summary(ctx, ALICE, "2026-12")
    assert (empty["groups"], empty["total_in"], empty["total_out"], empty["net"], empty["count"]) == ({}, 0, 0, 0, 0)


async def test_export_csv(ctx, people3):
    await people.open_wallet(ctx, key="open-evil", user_id=104, first_name="=HYPERLINK(\"x\")")
    await make_person(ctx, 104)
    t = await send(ctx, "t1", ALICE, 104, 1_234, note="+sum(A1)")
    await send(ctx, "t2", ALICE, BOB, 5, note="caf\u00e9, \"ok\"")

    text = await bills.export_csv(ctx, ALICE)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(bills.CSV_HEADER)
    assert [r[2] for r in rows[1:]] == ["transfer_hold", "transfer_hold", "topup"]
    by_kind = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    lines = await all_lines(ctx, ALICE)
    for line in lines:
        row = by_kind[str(line["journal_id"])]
        assert row["time"] == line["time"] and row["group"] == line["group"]
    first, second, topup = (dict(zip(rows[0], r)) for r in rows[1:])
    assert first["amount"] == "-0.05" and first["note"] == "caf\u00e9, \"ok\"" and first["counterparty_name"] == f"User{BOB}"
    assert second["amount"] == "-12.34" and second["fee"] == "0.00" and second["counterparty_id"] == "104"
    assert second["counterparty_name"] == "'=HYPERLINK(\"x\")" and second["note"] == "'+sum(A1)"
    assert topup["amount"] == "3000.00" and topup["counterparty_id"] == ""

    assert len(list(csv.reader(io.StringIO(await bills.export_csv(ctx, ALICE, "2026-11"))))) == 4
    assert list(csv.reader(io.StringIO(await bills.export_csv(ctx, ALICE, "2026-10")))) == [list(bills.CSV_HEADER)]
    assert "User" not in await bills.export_csv(ctx, CAROL)  # Carol had nothing to do with them
    assert t["recipient_id"] == 104


async def test_red_packet_lines(ctx, people3):
    p = await red_packets.create(ctx, key="rp1", sender_id=ALICE, kind="equal", amount=100, shares=3,
                                 pin=PIN, greeting="恭喜发财")
    packet_id = p.get("packet_id", p.get("id"))
    await red_packets.claim(ctx, key="c1", packet_id=packet_id, user_id=BOB)
    ctx.clock.advance(seconds=ctx.rules.red_packet_expiry_seconds + 1)
    await red_packets.expire_due(ctx)

    alice = await all_lines(ctx, ALICE, kind="red_packet")
    assert [(x["kind"], x["amount"], x["note"]) for x in alice] == [
        ("rp_refund", 200, "恭喜发财"), ("rp_create", -300, "恭喜发财")]
    assert all(x["counterparty_id"] is None for x in alice)
    bob = await all_lines(ctx, BOB)
    assert [(x["kind"], x["group"], x["amount"], x["counterparty_id"], x["counterparty_name"]) for x in bob] == [
        ("rp_claim", "red_packet", 100, ALICE, f"User{ALICE}")]
    s = await bills.monthly_summary(ctx, ALICE, bills.current_month(ctx))
    assert s["groups"]["red_packet"] == {"in": 200, "out": 300, "count": 2}
    assert await all_lines(ctx, CAROL, kind="red_packet") == []


async def test_savings_moves_and_interest(ctx, people3):
    """Until the savings service lands, post its journal kinds directly through the ledger."""
    from wallet import ledger

    async def body(conn):
        await conn.execute(accounts.insert().values(user_id=ALICE, kind="savings", balance=0))
        wallet = await ledger.wallet_account(conn, ALICE)
        savings = await ledger.wallet_account(conn, ALICE, "savings")
        expense = await ledger.system_account(ctx, conn, "interest_expense", spread_by=ALICE)
        now = ctx.now()
        await ledger.post(conn, key="s-in", kind="savings_in", legs=[(wallet, -50_000), (savings, 50_000)],
                          now=now, user_id=ALICE)
        await ledger.post(conn, key="s-int", kind="interest", legs=[(expense, -2), (savings, 2)],
                          now=now, user_id=ALICE)
        await ledger.post(conn, key="s-out", kind="savings_out", legs=[(savings, -10_000), (wallet, 10_000)],
                          now=now, user_id=ALICE)
    await transaction(ctx, body)

    b = await bills.balance(ctx, ALICE)
    assert (b["wallet"], b["savings"], b["total"]) == (FUND - 40_000, 40_002, FUND + 2)
    lines = await all_lines(ctx, ALICE)
    assert [(x["kind"], x["group"], x["account"], x["amount"]) for x in lines] == [
        ("savings_out", "savings", "wallet", 10_000), ("interest", "interest", "savings", 2),
        ("savings_in", "savings", "wallet", -50_000), ("topup", "topup", "wallet", FUND)]
    assert [x["kind"] for x in await all_lines(ctx, ALICE, kind="interest")] == ["interest"]
    s = await bills.monthly_summary(ctx, ALICE, "2026-11")
    assert s["groups"]["savings"] == {"in": 10_000, "out": 50_000, "count": 2}
    assert s["groups"]["interest"] == {"in": 2, "out": 0, "count": 1}
    assert s["net"] == sum(x["amount"] for x in lines)
