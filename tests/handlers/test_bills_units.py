"""The bills' pure pieces (handlers/bills/): the buttons and the list's view they carry, the last
months, a typed date range, the summary's caption; the package's modules import each other in
one direction only, and its buttons are built nowhere but through handlers/bills/callbacks.py."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from chat.i18n import t
from handlers.bills import callbacks as cb
from handlers.bills.callbacks import (Accept, Detail, Export, ExportMonth, KindPicker, List, MonthPicker, Return,
                                      Revoke, Summary, View, Waiting)
from handlers.bills.common import months_back
from handlers.bills.export import parse_range, summary_caption
from handlers.bills.listing import _filter_rows
from handlers.ui.callbacks import well_formed
from wallet.errors import InvalidDateRange



# --- the view and the buttons ---------------------------------------------------------------------
@pytest.mark.parametrize("view, token", [
    (View(), "1.a.."), (View(2, "o", "transfer", "2026-11"), "2.o.tr.202611"), (View(9999, "i", "fee"), "9999.i.fe."),
    (View(3, "a", None, "1970-01"), "3.a..197001")])
def test_a_view_is_its_token_and_back(view, token):
    assert view.token == token and View.parse(token) == view


@pytest.mark.parametrize("token", ["0.a..", "1.x..", "1.a.zz.", "1.a..202613", "1.a..196912", "1.a..20261",
                                   "10000.a..", "1.a.", "1.a...", "a.a..", "1.A..", "١.a..", "", None, 5])
def test_what_is_not_a_view_does_not_parse(token):
    assert View.parse(token) is None


def test_every_bills_button_keeps_its_data():
    view = View(2, "o", "transfer", "2026-11")
    built = {List.of(view): "bill:ls:0:2.o.tr.202611", MonthPicker.of(view): "bill:mo:0:2.o.tr.202611",
             KindPicker.of(view): "bill:ki:0:2.o.tr.202611", Detail.of(view, 42): "bill:dt:42:2.o.tr.202611",
             Waiting.of(View(), 7): "bill:wt:7:1.a..", Summary.of(View()): "bill:sum:0:1.a..",
             Export.of(View()): "bill:ex:0:1.a..", ExportMonth.of("2026-11"): "bill:xm:202611",
             Accept(5, "AbCdEf_-1234"): "bill:acc:5:AbCdEf_-1234", Return(5, "n0nce-x"): "bill:ret:5:n0nce-x",
             Revoke(6, "xyzxyzxyzxyz"): "bill:rev:6:xyzxyzxyzxyz"}
    for press, data in built.items():
        assert press.data() == data and type(press).parse(data) == press
    assert Detail.parse("bill:dt:42:2.o.tr.202611").shown == view
    assert ExportMonth.parse("bill:xm:202611").month == "2026-11"
    assert List.parse("bill:ls:3:1.a..") == List(3, "1.a..")  # the list never read its id


@pytest.mark.parametrize("data", [
    "bill:ls:0:0.a..", "bill:ls:0:1.a..000001", "bill:sum:0:1.a..202600", "bill:sum:1:1.a..", "bill:ex:5:1.a..",
    "bill:dt:-5:1.a..", "bill:dt:2147483648:1.a..", "bill:xm:202613", "bill:xm:196912", "bill:xm:abc",
    "bill:zz:1:1.a..", "bill:rev:1:123456", "bill:acc:1", "bill:ls:0", "bill:dt:1:1.a..:x", "tf:acc:1"])
def test_crafted_bills_data_parses_as_no_button(data):
    kinds = (List, MonthPicker, KindPicker, Detail, Waiting, Summary, Export, ExportMonth, Accept, Return, Revoke)
    assert cb.parse_any(data, *kinds) is None and not cb.any_of(*kinds)(data)
    assert cb.is_bill(data) == data.startswith("bill:")  # the bills' own catch-all answers it


def test_a_view_that_cannot_be_carried_is_refused_when_building():
    with pytest.raises(ValueError):
        List(0, "0.a..").data()
    with pytest.raises(ValueError):
        ExportMonth(202613).data()


MONTHS = st.one_of(st.none(), st.builds("{}-{:02d}".format, st.integers(1970, 9999), st.integers(1, 12)))


@given(st.integers(1, 9999), st.sampled_from("aio"), st.sampled_from([None, *cb.CODES]), MONTHS,
       st.integers(0, 2**31 - 1))
def test_every_view_rides_in_every_screen_within_64_bytes(page, direction, kind, month, row_id):
    view = View(page, direction, kind, month)
    for kind_ in (List, MonthPicker, KindPicker, Detail, Waiting):
        data = kind_.of(view, row_id).data()
        assert well_formed(data) and kind_.parse(data).shown == view


# --- months, ranges, the summary ------------------------------------------------------------------
def test_the_last_months_cross_the_new_year():
    assert months_back("2026-02", 4) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert len(months_back("2026-11")) == 12 and months_back("2026-11")[-1] == "2025-12"


@pytest.mark.parametrize("text, first, last", [
    ("2026-11-01 2026-11-30", date(2026, 11, 1), date(2026, 11, 30)),
    ("2026-11-01~2026-11-30", date(2026, 11, 1), date(2026, 11, 30)),
    (" 2026-11-01 至 2026-11-03 ", date(2026, 11, 1), date(2026, 11, 3)),
    ("2026-11-01 to 2026-11-02", date(2026, 11, 1), date(2026, 11, 2)),
    ("2026-11-05", date(2026, 11, 5), date(2026, 11, 5))])
def test_a_typed_range(text, first, last):
    assert parse_range(text) == (first, last)


@pytest.mark.parametrize("text", ["", "november", "2026-11-31", "2026/11/01 2026/11/02", "2026-11-01 2026-11-02 x"])
def test_a_range_that_is_not_one_says_so(text):
    with pytest.raises(InvalidDateRange):
        parse_range(text)


def test_the_summary_caption_lists_kinds_by_spending_and_fits_a_photo():
    data = {"month": "2026-11", "total_in": 10_000, "total_out": 4_200, "net": 5_800,
            "spending": {"fee": 200, "transfer": 3_000, "payment": 1_000},
            "series": [{"month": f"2026-{m:02d}", "in": 100 * m, "out": 50 * m} for m in range(6, 12)]}
    text = summary_caption("en", data)
    kinds = [t("en", f"bill.group.{g}") for g in ("transfer", "payment", "fee")]
    assert [text.index(k) for k in kinds] == sorted(text.index(k) for k in kinds)
    assert "¥42.00" in text and "2026-06" in text and len(text) <= 1024
    huge = {**data, "series": data["series"] * 100}
    assert len(summary_caption("zh_CN", huge)) == 1024


def test_the_filter_rows_tick_the_chosen_direction_and_start_at_page_one():
    rows = _filter_rows("en", View(3, "i", "transfer", "2026-11"))
    directions = rows[0]
    assert [b.callback_data for b in directions] == [f"bill:ls:0:1.{d}.tr.202611" for d in "aio"]
    assert [b.text.startswith("✓ ") for b in directions] == [False, True, False]
    assert [b.callback_data for b in rows[1]] == ["bill:mo:0:3.i.tr.202611", "bill:ki:0:3.i.tr.202611"]


# --- the package's shape ----------------------------------------------------------------------------
def test_the_modules_import_each_other_in_one_direction():
    """listing -> detail / export -> common -> callbacks: no circle (detail and export once imported
    listing, which imported them back inside a function)."""
    from tests.handlers.test_layering import cycles, graph

    g = {m: {i for i in imps if i.startswith("handlers.bills.")} for m, imps in graph().items()
         if m.startswith("handlers.bills.")}
    assert cycles(g) == []
    assert "handlers.bills.listing" not in set().union(*g.values())
