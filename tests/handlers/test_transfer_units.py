"""The transfer feature's pure pieces (handlers/transfer/): its typed buttons and deep links
(callbacks.py) with the exact data the cards carried before them, what a card says (card_text.py),
the inline query's parsing (inline.py) and who is who (people.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from handlers.transfer import callbacks as cb
from handlers.transfer import people as who
from handlers.transfer.card_text import both_text, card_text, open_buttons, recipient_buttons, revoke_button
from handlers.transfer.draft import TransferDraft
from handlers.transfer.inline import parse_query
from handlers.ui.callbacks import ID_MAX

NONCE = "AbCdEfGh_-12"


# --- callbacks.py: the data the buttons carry -------------------------------------------------------
@pytest.mark.parametrize("button,data", [(cb.Accept(42), "tf:acc:42"), (cb.Return(42), "tf:ret:42"),
                                         (cb.Revoke(7), "tf:rev:7"), (cb.Take(ID_MAX), f"tf:take:{ID_MAX}")])
def test_the_card_buttons_carry_the_data_they_always_did(button, data):
    assert button.data() == data
    assert cb.card_press(data) == button and type(cb.card_press(data)) is type(button)


@pytest.mark.parametrize("data", ["tf:zzz:1", "tf:acc:-1", "tf:acc:1.0", "tf:acc:2147483648", "tf:acc:", "tf:acc",
                                  "tf:acc:1:2", f"tf:ok:0:{NONCE}", "tf:take:x1", "rp:open:1:abcdef", None, 42])
def test_anything_else_is_no_card_press(data):
    assert cb.card_press(data) is None
    assert not any(button.pattern()(data) for button in cb.CARD_BUTTONS)


def test_the_senders_screens_are_one_confirm_class_of_prefix_tf():
    assert cb.Confirm.prefix == "tf"
    assert cb.Confirm("delay", 7200, NONCE).data() == f"tf:delay:7200:{NONCE}"
    assert cb.Confirm.parse(f"tf:skip:0:{NONCE}") == cb.Confirm("skip", 0, NONCE)
    assert cb.Confirm.parse("tf:acc:42") is None and cb.Confirm.parse("tf:ok:0:123456") is None  # a nonce is never digits
    assert cb.card_press(f"tf:acc:0:{NONCE}") is None  # the two shapes never overlap


def test_inline_result_ids():
    assert cb.InlineResult(NONCE).data() == f"tf:{NONCE}"
    assert cb.InlineRefused("note").data() == "tf:refused:note"
    assert cb.InlineResult.parse("tf:refused:note") is None
    assert cb.InlineResult.parse(f"hb:{NONCE}") is None


def test_the_card_link_is_bounded_like_a_row_id():
    assert cb.card_link(42) == "tf_42"
    assert cb.card_link_id("/start tf_42") == 42 and cb.card_link_id("/start@WalletBot tf_7") == 7
    assert cb.card_link_id(f"/start tf_{ID_MAX}") == ID_MAX
    for text in (f"/start tf_{ID_MAX + 1}", "/start tf_999999999999", "/start tf_", "/start tf_x", "/start", None):
        assert cb.card_link_id(text) is None, text


def test_the_inline_confirm_link():
    assert cb.inline_link(NONCE) == f"tfi_{NONCE}"
    assert cb.inline_link_nonce(f"/start tfi_{NONCE}") == NONCE
    assert cb.inline_link_nonce("/start tfi_abc") is None and cb.inline_link_nonce(f"/start tf_{NONCE}") is None


# --- card_text.py: what a card says and its buttons ------------------------------------------------
def _view(**over) -> dict:
    created = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    view = {"transfer_id": 5, "status": "pending", "recipient_id": 2, "amount": 2000, "note": None,
            "created_at": created.isoformat(), "arrive_at": created.isoformat(),
            "expires_at": (created + timedelta(hours=24)).isoformat()}
    return {**view, **over}


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_card_names_both_people_escaped_with_amount_note_and_status():
    text = card_text("en", _view(note="<b>dinner</b>"), {"s": "Alice & co", "r": "<Bob>"}, tz=SHANGHAI)
    assert "Alice &amp; co → &lt;Bob&gt; <b>¥20.00</b>" in text
    assert "Note: &lt;b&gt;dinner&lt;/b&gt;" in text
    assert "Waiting for the recipient to accept" in text and "Arrives" not in text
    assert card_text("zh_CN", _view(status="accepted"), {"s": "A", "r": "B"}).splitlines()[-1] != text.splitlines()[-1]
    assert "Accepted" in card_text("en", _view(status="accepted"), {"s": "A", "r": "B"})


def test_a_delayed_card_says_when_it_arrives_in_the_readers_zone():
    created = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    two_hours = _view(arrive_at=(created + timedelta(hours=2)).isoformat())
    assert "Arrives at 20:00." in card_text("en", two_hours, {"s": "A", "r": "B"}, tz=SHANGHAI)
    next_day = _view(arrive_at=(created + timedelta(hours=24)).isoformat())
    assert "Arrives at 03-02 18:00." in card_text("en", next_day, {"s": "A", "r": "B"}, tz=SHANGHAI)
    assert "Arrives" not in card_text("en", two_hours, {"s": "A", "r": "B"})  # an edit without a zone


def test_a_card_for_a_newcomer_says_until_when_the_money_waits():
    text = card_text("en", _view(), {"s": "A", "r": "Dave", "waiting": True}, tz=SHANGHAI)
    assert "Dave has no wallet yet: the money waits for them until 2026-03-02 18:00" in text


def test_an_inline_card_nobody_took_names_nobody():
    text = card_text("en", _view(recipient_id=None), {"s": "Alice", "r": None})
    assert text.startswith("💸 Alice sends <b>¥20.00</b>") and "The first person" in text
    assert "The first person" not in card_text("en", _view(recipient_id=None, status="revoked"), {"s": "A"})


def test_a_group_card_is_in_both_languages_the_senders_first():
    text = both_text("zh_CN", _view(), {"s": "A", "r": "B"})
    zh, en = text.split("\n\n")
    assert zh == card_text("zh_CN", _view(), {"s": "A", "r": "B"}) and en == card_text("en", _view(), {"s": "A", "r": "B"})


def _buttons(markup) -> list[tuple[str, str | None, str | None]]:
    return [(b.text, b.callback_data, b.url) for row in markup.inline_keyboard for b in row]


def test_the_card_buttons():
    assert _buttons(recipient_buttons(None, "en", 5)) == [("✅ Accept", "tf:acc:5", None), ("↩️ Return", "tf:ret:5", None)]
    context = SimpleNamespace(bot=SimpleNamespace(username="WalletBot"))
    both = _buttons(recipient_buttons(context, "en", 5, waiting=True, both=True))
    assert both == [("✅ 收款 Accept", "tf:acc:5", None), ("↩️ 退还 Return", "tf:ret:5", None),
                    ("👛 开通钱包 Open a wallet", None, "https://t.me/WalletBot?start=tf_5")]
    assert _buttons(open_buttons("en", 9)) == [("✅ Accept", "tf:take:9", None), ("↩️ Take back (sender)", "tf:rev:9", None)]
    assert _buttons(revoke_button("en", 9)) == [("🚫 Revoke", "tf:rev:9", None)]


def test_send_extras_only_for_a_newcomer():
    assert TransferDraft.of({"nonce": NONCE, "name": "Dave"}).send_extras() == {}
    assert TransferDraft.of({"nonce": NONCE, "name": "Dave", "newcomer": False}).send_extras() == {}
    assert TransferDraft.of({"nonce": NONCE, "newcomer": True, "name": "Dave"}).send_extras() == {
        "to_newcomer": True, "recipient_name": "Dave"}


# --- inline.py: the query --------------------------------------------------------------------------
@pytest.mark.parametrize("query,parsed", [
    ("20", ("20", "")), ("  20.5  ", ("20.5", "")), ("tf 20 dinner", ("20", "dinner")), ("转账20 午饭", ("20", "午饭")),
    ("20 dinner for two ", ("20", "dinner for two")), ("8.88 x\ny", ("8.88", "x\ny")),
    ("20 5", None), ("hb 20", None), ("abc", None), ("20.123", None), ("", None), (None, None)])
def test_the_inline_query(query, parsed):
    assert parse_query(query) == parsed


# --- people.py: who is who -------------------------------------------------------------------------
def test_names_and_usernames():
    context = SimpleNamespace(bot_data={who.USERNAMES: {"bob": 2, "carol_x": 3}})
    assert who.user_id_of(context, "bob") == 2 and who.user_id_of(context, "dave") is None
    assert who.known_name(context, 3) == "@carol_x" and who.known_name(context, 9) == "?"
    assert who.name({"first_name": "Bob"}, "B") == "Bob" and who.name(None, "B") == "B" and who.name(None) == "?"
    assert who.name({"first_name": ""}, "") == "?"
