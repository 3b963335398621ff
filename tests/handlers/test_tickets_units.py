"""The reports' pure pieces (handlers/tickets/): the reporter's and the admins' buttons keep their
data and refuse anything else; a bill as one line; the buttons are built nowhere but through
handlers/tickets/callbacks.py."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from handlers.tickets import callbacks as cb
from handlers.tickets.callbacks import (Confirm, Evidence, Freeze, FreezeAsk, FreezeNo, FreezeYes, Mine, Pick, Reply,
                                        Report, Resolve, Show, ShowCard)
from handlers.tickets.cards import bill_line, signed
from handlers.ui import confirm

KINDS = (Pick, Mine, Report, Freeze, Show, Confirm, Reply, Resolve, Evidence, ShowCard, FreezeAsk, FreezeYes, FreezeNo)


def test_every_ticket_button_keeps_its_data():
    built = {Pick(): "ticket:pick:0", Mine(): "ticket:list:0", Report(12): "ticket:report:12",
             Freeze(3): "ticket:freeze:3", Show(3): "ticket:show:3",
             Confirm("why", 2, "AbCdEf_-1234"): "ticket:why:2:AbCdEf_-1234", Confirm("skip", 0, "xyz"): "ticket:skip:0:xyz", Reply(9): "tka:reply:9", Resolve(9): "tka:resolve:9",
             Evidence(9): "tka:evidence:9", ShowCard(9): "tka:show:9", FreezeAsk(9): "tka:freeze:9",
             FreezeYes(9): "tka:freezeok:9", FreezeNo(9): "tka:freezeno:9"}
    for press, data in built.items():
        assert press.data() == data
        assert [k for k in KINDS if k.parse(data) is not None] == [type(press)], data  # exactly one parses it
    assert Confirm is confirm.button("ticket")  # the confirm screens' class of this prefix


@pytest.mark.parametrize("data", [
    "ticket:pick:1", "ticket:list:5", "ticket:report:-1", "ticket:report:x", "ticket:show:9999999999999",
    "ticket:show:2147483648", "ticket:why:1:123", "ticket:zap:1", "ticket:freeze", "tka:zap:1", "tka:resolve:1:2",
    "tka:resolve:abc", "tka:reply:", "tf:acc:1", "", None])
def test_crafted_ticket_data_parses_as_no_button(data):
    assert not any(k.parse(data) is not None for k in KINDS)
    text = data or ""
    assert cb.is_ticket(data) == text.startswith("ticket:") and cb.is_admin_press(data) == text.startswith("tka:")


def test_change_pin_is_the_security_flows_button():
    from handlers.security.callbacks import Change

    assert Change().data() == "sec:change"  # the reports offer it (handlers/tickets/report.py)


def test_a_bill_as_one_line():
    line = {"time": "2026-11-28T12:00:00+00:00", "group": "transfer", "amount": -4200, "counterparty_name": "Bob"}
    assert bill_line("en", line, ZoneInfo("Asia/Shanghai")) == "11-28 20:00 Transfer -¥42.00 Bob"
    topup = {"time": "2026-11-28T12:00:00+00:00", "group": "topup", "amount": 10_000,
             "card": {"bank_name_zh": "工商银行", "bank_name_en": "ICBC", "last4": "0018"}}
    assert bill_line("en", topup, ZoneInfo("UTC")).startswith("11-28 12:00 ") and "+¥100.00 ICBC" in bill_line(
        "en", topup, ZoneInfo("UTC"))
    long_name = {**line, "counterparty_name": "X" * 40}
    assert bill_line("en", long_name, ZoneInfo("UTC")).endswith(" " + "X" * 16)  # a button's label stays short
    nobody = {"time": "2026-11-28T12:00:00+00:00", "group": "fee", "amount": -10}
    assert bill_line("en", nobody, ZoneInfo("UTC")).endswith("-¥0.10")
    assert signed(500) == "+¥5.00" and signed(-1) == "-¥0.01" and signed(0) == "¥0.00"
