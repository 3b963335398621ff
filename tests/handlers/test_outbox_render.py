"""How jobs/outbox.py renders a notice for its reader: existing notices unchanged, names and
texts HTML-escaped, typed parameters in the reader's language and time zone, a note under the
text, and buttons whose labels are in the reader's language."""
from __future__ import annotations

from jobs.outbox import keyboard, render
from chat.i18n import t


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
        buttons=[[["tka.button.reply", "tka:reply:1"], ["tka.button.resolve", "tka:resolve:1"]]])
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
