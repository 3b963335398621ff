"""Bills with filters (all / in / out, month, kind), a bill's detail with its reference, date
ranges, statements with opening and closing balances, and the chart's figures: 35 mixed bills
made through the real services."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from tests.wallet.helpers import wallet_balance
from tests.wallet.mixed import ALICE, BOB, MONTHS, N_BILLS, mixed_bills
from wallet import errors
from wallet.services import bills, statements


@pytest.fixture
async def alice(ctx):
    await mixed_bills(ctx)
    return ALICE


async def pages(ctx, user_id, **kw) -> list[dict]:
    """Every page in order, checking the paging fields on the way."""
    first = await bills.bills(ctx, user_id, **kw)
    out, page = list(first["items"]), first
    for n in range(2, first["pages"] + 1):
        page = await bills.bills(ctx, user_id, page=n, **kw)
        assert page["has_prev"] and page["total"] == first["total"] and len(page["items"]) <= 10
        out += page["items"]
    assert not page["has_next"] and len(out) == first["total"]
    return out


async def test_35_mixed_bills_page_newest_first(ctx, alice):
    everything = await pages(ctx, ALICE)
    assert len(everything) == N_BILLS
    first = await bills.bills(ctx, ALICE)
    assert first["pages"] == 4 and len(first["items"]) == 10 and first["has_next"] and not first["has_prev"]
    assert len((await bills.bills(ctx, ALICE, page=4))["items"]) == 5
    assert (await bills.bills(ctx, ALICE, page=5))["items"] == []
    keys = [(ln["time"], ln["journal_id"]) for ln in everything]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == N_BILLS
    # the lines add up to the balance (money on hold is already out of it)
    assert sum(ln["amount"] for ln in everything) == await wallet_balance(ctx, ALICE)


async def test_every_filter_pages_the_matching_lines(ctx, alice):
    everything = await pages(ctx, ALICE)
    for direction, keep in (("in", lambda ln: ln["amount"] > 0), ("out", lambda ln: ln["amount"] < 0)):
        got = await pages(ctx, ALICE, direction=direction)
        assert got == [ln for ln in everything if keep(ln)] and got
        assert (await bills.bills(ctx, ALICE, direction=direction))["direction"] == direction
    assert await pages(ctx, ALICE, direction="all") == everything
    counts = {}
    for group in bills.GROUPS:
        got = await pages(ctx, ALICE, kind=group)
        want = [ln for ln in everything if (ln["fee"] != 0 if group == bills.FEE_GROUP else ln["group"] == group)]
        assert got == want, group
        counts[group] = len(got)
    assert counts == {"transfer": 15, "red_packet": 6, "topup": 7, "withdraw": 1, "payment": 6, "savings": 0,
                      "interest": 0, "held": 0, "fee": 1, "other": 0}
    for month in MONTHS:
        got = await pages(ctx, ALICE, month=month)
        assert got == [ln for ln in everything if ln["time"].startswith(month)] and got
    combined = await pages(ctx, ALICE, month="2026-12", kind="transfer", direction="out")
    assert [ln["kind"] for ln in combined] == ["transfer_hold"] * 3
    with pytest.raises(ValueError):
        await bills.bills(ctx, ALICE, direction="sideways")
    with pytest.raises(errors.InvalidMonth):
        await bills.bills(ctx, ALICE, month="2026-13")


async def test_a_bill_detail_shows_its_reference_and_status(ctx, alice):
    everything = await pages(ctx, ALICE)
    pending = next(ln for ln in everything if ln["ref_status"] == "pending")
    detail = await bills.bill(ctx, ALICE, pending["journal_id"])
    assert detail == pending
    assert detail["kind"] == "transfer_hold" and detail["amount"] == -123 and detail["counterparty_id"] == BOB
    assert len(detail["reference"]) == 24 and detail["reference"].startswith("202612")
    assert bills.journal_id_of_reference(detail["reference"]) == detail["journal_id"]
    assert bills.journal_id_of_reference("nope") is None
    withdrawal = await bills.bill(ctx, ALICE, next(ln for ln in everything if ln["group"] == "withdraw")["journal_id"])
    assert withdrawal["card"]["last4"] and withdrawal["fee"] < 0 and withdrawal["ref_status"] == "succeeded"
    paid = next(ln for ln in everything if ln["group"] == "payment")
    assert paid["shop_name"] == "小卖部" and paid["ref_status"] == "paid"
    with pytest.raises(errors.BillNotFound):  # Bob's own transfer_accept is not Alice's bill
        bob_only = next(ln for ln in await pages(ctx, BOB) if ln["kind"] == "transfer_accept")
        await bills.bill(ctx, ALICE, bob_only["journal_id"])
    with pytest.raises(errors.BillNotFound):
        await bills.bill(ctx, ALICE, 10**9)


async def test_statements_reconcile_opening_lines_and_closing(ctx, alice):
    everything = await pages(ctx, ALICE)
    running = 0
    for month in MONTHS:
        st = await statements.statement(ctx, ALICE, month=month)
        assert st["opening"] == running
        lines = [ln for ln in everything if ln["time"].startswith(month)]
        assert sorted(x["journal_id"] for x in st["lines"]) == sorted(x["journal_id"] for x in lines)
        assert [x["time"] for x in st["lines"]] == sorted(x["time"] for x in st["lines"])  # oldest first
        assert st["closing"] == st["opening"] + sum(x["amount"] for x in st["lines"])
        assert st["total_in"] - st["total_out"] == st["net"]
        running = st["closing"]
    assert running == await wallet_balance(ctx, ALICE)
    dec = await statements.statement(ctx, ALICE, month="2026-12")
    assert dec["fees"] > 0 and dec["first"] == "2026-12-01" and dec["last"] == "2026-12-31"
    # any range of days reconciles with the months around it
    span = await statements.statement(ctx, ALICE, first=date(2026, 8, 1), last=date(2026, 10, 31))
    assert span["opening"] == (await statements.statement(ctx, ALICE, month="2026-08"))["opening"]
    assert span["closing"] == (await statements.statement(ctx, ALICE, month="2026-10"))["closing"]
    empty = await statements.statement(ctx, ALICE, first=date(2026, 7, 20), last=date(2026, 7, 25))
    assert empty["lines"] == [] and empty["opening"] == empty["closing"] > 0


async def test_date_ranges_are_checked_and_exported(ctx, alice):
    with pytest.raises(errors.InvalidDateRange) as e:
        statements.day_range(ctx, date(2026, 9, 2), date(2026, 9, 1))
    assert e.value.reason == "order"
    with pytest.raises(errors.InvalidDateRange) as e:
        statements.day_range(ctx, date(2025, 1, 1), date(2026, 9, 1))
    assert e.value.reason == "too_long"
    for bad in ("2026-02-30", "2026/01/01", "", "20260101"):
        with pytest.raises(errors.InvalidDateRange):
            statements.parse_day(bad)
    assert statements.parse_day(" 2026-09-01 ") == date(2026, 9, 1)
    text = await statements.export_range_csv(ctx, ALICE, date(2026, 9, 1), date(2026, 10, 31))
    rows = list(csv.DictReader(io.StringIO(text)))
    want = [ln for ln in await pages(ctx, ALICE) if ln["time"][:7] in ("2026-09", "2026-10")]
    assert [int(r["journal_id"]) for r in rows] == [ln["journal_id"] for ln in want]
    assert sum(round(float(r["amount"]) * 100) for r in rows) == sum(ln["amount"] for ln in want)


async def test_chart_figures_for_six_months_and_spending_by_kind(ctx, alice):
    data = await statements.chart_data(ctx, ALICE, month="2026-12")
    assert [s["month"] for s in data["series"]] == list(MONTHS)
    for s in data["series"]:
        summary = await bills.monthly_summary(ctx, ALICE, s["month"])
        assert (s["in"], s["out"], s["net"]) == (summary["total_in"], summary["total_out"], summary["net"])
    dec = await bills.monthly_summary(ctx, ALICE, "2026-12")
    assert data["spending"] == {g: v["out"] for g, v in dec["groups"].items() if v["out"]}
    assert set(data["spending"]) == {"transfer", "red_packet", "withdraw", "payment", "fee"}
    # the default month is the clock's
    assert (await statements.chart_data(ctx, ALICE))["month"] == bills.current_month(ctx)
