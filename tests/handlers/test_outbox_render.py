"""How jobs/outbox.py renders a notice for its reader: existing notices unchanged, names and
texts HTML-escaped, typed parameters in the reader's language and time zone, a note under the
text, and buttons whose labels are in the reader's language."""
from __future__ import annotations

import logging

import pytest

from handlers.home import callbacks as home_buttons
from handlers.risk import callbacks as risk_buttons
from handlers.tickets import callbacks as ticket_buttons
from jobs import outbox as outbox_job
from jobs.outbox import keyboard, render
from chat.i18n import t
from wallet import outbox


@pytest.fixture(autouse=True)
def offered_actions():
    """The notices' actions as bot/app.py offers them."""
    outbox_job.actions(home_buttons.OUTBOX_ACTIONS)
    outbox_job.actions(ticket_buttons.OUTBOX_ACTIONS)


def notice(msgid: str, **params) -> dict:
    return {"msgid": msgid, "params": params}


def test_a_plain_notice_is_unchanged_and_has_no_keyboard():
    n = notice("notice.receive_code_paid", amount=300, counterparty_id=7)
    names = {7: ("en", False, "<Bob>", "UTC")}
    assert render("en", n, names) == t("en", "notice.receive_code_paid", amount="¥3.00", name="&lt;Bob&gt;")
    assert keyboard("en", n) is None


def test_a_card_with_typed_params_a_note_and_buttons():
    card = notice(
        "tka.card", number="20261128-00001", status={"msgid": "ticket.status.open"}, name="<b>Eve</b>",
        reporter_id=5, time={"time": "2026-11-28T12:00:00+00:00"}, kind={"msgid": "bill.group.transfer"},
        amount={"fen": -4200, "signed": True},
        party={"msgid": "party.bank", "last4": "1234", "bank": {"langs": {"en": "ICBC", "zh_CN": "工商银行"}}},
        reference="R1", reason={"msgid": "ticket.reason.not_me"}, details="a <b>",
        buttons=[[["tka.button.reply", "tka:reply:1"], ["tka.button.resolve", {"act": "tka.resolve", "ticket_id": 1}]]])
    en = render("en", card, {}, "Asia/Shanghai")
    assert "2026-11-28 20:00" in en and "-¥42.00" in en and "ICBC" in en and "1234" in en
    assert "&lt;b&gt;Eve&lt;/b&gt;" in en and "a &lt;b&gt;" in en and "<b>Eve" not in en
    assert t("en", "ticket.reason.not_me") in en and t("en", "ticket.status.open") in en
    zh = render("zh-CN", card, {}, "UTC")
    assert "2026-11-28 12:00" in zh and "工商银行" in zh and t("zh_CN", "ticket.reason.not_me") in zh
    assert [[b.text for b in row] for row in keyboard("zh-CN", card).inline_keyboard] == [
        [t("zh_CN", "tka.button.reply"), t("zh_CN", "tka.button.resolve")]]
    assert keyboard("en", card).inline_keyboard[0][1].callback_data == "tka:resolve:1"
    assert render("en", notice("notice.someone", amount={"fen": 100, "signed": True}), {}) == t("en", "notice.someone")


def test_a_note_goes_under_the_text_escaped():
    n = notice("ticket.notice.reply", number="N1", note="check <this> & that", buttons=[])
    assert render("en", n, {}) == t("en", "ticket.notice.reply", number="N1") + "\ncheck &lt;this&gt; &amp; that"
    assert render("en", notice("ticket.notice.resolved", number="N1", note=None), {}) == t(
        "en", "ticket.notice.resolved", number="N1")
    assert keyboard("en", n) is None


def test_a_button_action_becomes_the_features_button():
    n = notice("alert.low_balance", amount=100, threshold_amount=500,
               button=["alert.button.topup", outbox.action("home.topup")])
    assert [[(b.text, b.callback_data) for b in row] for row in keyboard("en", n).inline_keyboard] == [
        [(t("en", "alert.button.topup"), "home:topup")]]
    card = notice("tka.card", buttons=[[[f"tka.button.{v}", outbox.action(f"tka.{v}", ticket_id=42)]
                                        for v in ("reply", "resolve", "freeze", "evidence")]])
    assert [b.callback_data for b in keyboard("en", card).inline_keyboard[0]] == [
        "tka:reply:42", "tka:resolve:42", "tka:freeze:42", "tka:evidence:42"]
    view = notice("ticket.notice.reply", buttons=[[["ticket.view", outbox.action("ticket.show", ticket_id=7)]]])
    assert keyboard("zh-CN", view).inline_keyboard[0][0].callback_data == "ticket:show:7"


def test_an_action_nobody_offers_is_left_out_and_logged(caplog):
    n = notice("ticket.notice.reply", buttons=[[["ticket.view", outbox.action("nobody.offers", ticket_id=7)],
                                                ["ticket.view", outbox.action("ticket.show", ticket_id=7)]],
                                               [["ticket.view", outbox.action("ticket.show", wrong=1)]]])
    with caplog.at_level(logging.ERROR, logger="jobs.outbox"):
        rows = keyboard("en", n).inline_keyboard
    assert [[b.callback_data for b in row] for row in rows] == [["ticket:show:7"]]
    assert "nobody.offers" in caplog.text and "left out" in caplog.text
    only_bad = notice("ticket.notice.reply", button=["ticket.view", outbox.action("nobody.offers")])
    assert keyboard("en", only_bad) is None


def test_every_action_the_wallet_writes_is_offered_by_a_feature():
    """The wallet names button actions in its notices (``outbox.action("…")``); each must be one a
    feature's callbacks.OUTBOX_ACTIONS makes a button of, or the button would be left out."""
    import pathlib
    import re

    written = set()
    for path in pathlib.Path("wallet").rglob("*.py"):
        written |= set(re.findall(r'outbox\.action\(f?"([a-z_.{}]+)"', path.read_text()))
    written = {w.replace("{verb}", v) for w in written for v in ("reply", "resolve", "freeze", "evidence")}
    offered = {**home_buttons.OUTBOX_ACTIONS, **ticket_buttons.OUTBOX_ACTIONS, **risk_buttons.OUTBOX_ACTIONS}
    assert written and written <= set(offered), written - set(offered)
