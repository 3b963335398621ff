"""The red packet's pure pieces (handlers/red_packet/): parsing ``/hongbao`` (hongbao.parse), the
owner tag of the confirm link, the summary, the live card's text and buttons (card.py), the inline
query's parsing (inline.py) and the typed buttons and deep links (callbacks.py) with the exact data
the cards carried before them."""
from __future__ import annotations

import pytest

from handlers.red_packet import callbacks as cb
from handlers.red_packet.card import _duration, card_markup, card_text, claim_list
from handlers.red_packet.hongbao import Refused, describe, owner_tag, parse
from handlers.red_packet.inline import parse_query
from handlers.red_packet.spec import PacketSpec
from wallet.errors import InvalidAmount

TOKEN = "AbCdEfGh_-12"


# --- hongbao.parse: the command's arguments ---------------------------------------------------------
@pytest.mark.parametrize("args,spec", [
    (["10", "3"], {"kind": "lucky", "amount": 1000, "total": 1000, "shares": 3, "greeting": None}),
    (["10", "3", "Happy", "new", "year"], {"kind": "lucky", "amount": 1000, "total": 1000, "shares": 3,
                                           "greeting": "Happy new year"}),
    (["10", "4", "equal"], {"kind": "equal", "amount": 250, "total": 1000, "shares": 4, "greeting": None}),
    (["10", "4", "普通", "恭喜"], {"kind": "equal", "amount": 250, "total": 1000, "shares": 4, "greeting": "恭喜"}),
    (["8.88", "2", "LUCKY", "hi"], {"kind": "lucky", "amount": 888, "total": 888, "shares": 2, "greeting": "hi"}),
    (["8.88", "2", "拼手气"], {"kind": "lucky", "amount": 888, "total": 888, "shares": 2, "greeting": None}),
    (["１０", "３"], {"kind": "lucky", "amount": 1000, "total": 1000, "shares": 3, "greeting": None}),  # a Chinese IME's digits
])
def test_a_group_packet(args, spec):
    got = parse(args, exclusive=False)
    assert {**got.as_draft(), "amount": got.amount} == spec


def test_an_exclusive_packet_has_one_share_and_the_rest_is_the_greeting():
    got = parse(["8.88", "Happy", "birthday"], exclusive=True)
    assert {**got.as_draft(), "amount": got.amount} == {
        "kind": "exclusive", "amount": 888, "total": 888, "shares": 1, "greeting": "Happy birthday"}
    assert parse(["5"], exclusive=True).greeting is None


@pytest.mark.parametrize("args,exclusive,msgid", [
    ([], False, "rp.usage"), ([], True, "rp.usage_exclusive"), (["ten", "3"], False, "rp.bad_amount"),
    (["10"], False, "rp.missing_shares"), (["10", "three"], False, "rp.bad_shares"), (["10", ""], False, "rp.bad_shares"),
    (["10", "12345"], False, "rp.bad_shares"), (["10", "-3"], False, "rp.bad_shares"),
    (["10", "٣"], False, "rp.bad_shares"), (["10", "³"], False, "rp.bad_shares"),  # other scripts' digits
    (["10", "3", "equal"], False, "rp.equal_uneven"), (["10", "0", "equal"], False, "rp.equal_uneven"),
])
def test_what_cannot_become_a_packet_says_why(args, exclusive, msgid):
    with pytest.raises(Refused) as refused:
        parse(args, exclusive=exclusive)
    assert refused.value.msgid == msgid


def test_a_refusal_names_what_was_given_and_may_add_the_usage():
    with pytest.raises(Refused) as refused:
        parse(["10", ""], exclusive=False)
    assert '"" is not a number of shares' in refused.value.text("en")
    with pytest.raises(Refused) as refused:
        parse(["10"], exclusive=False)
    said, usage = refused.value.text("en").split("\n\n")
    assert "/hongbao <total> <shares>" in usage and "/hongbao" not in said.split(":")[0]
    with pytest.raises(Refused) as refused:
        parse(["x" * 50], exclusive=False)
    assert refused.value.fields == {"given": "x" * 20}  # what was typed, cut for the message


def test_the_owner_tag_is_six_hex_digits_of_the_sender():
    assert len(owner_tag(1)) == 6 and int(owner_tag(1), 16) >= 0
    assert owner_tag(1) == owner_tag(1) != owner_tag(2)


def test_the_summary():
    text = describe("en", PacketSpec("equal", 1000, 4))
    assert "¥10.00" in text and "4 share(s)" in text and "equal packet" in text and "Best wishes" in text


# --- card.py: the live card -------------------------------------------------------------------------
def _view(**over) -> dict:
    view = {"greeting": "Hi", "kind": "lucky", "total": 1000, "shares": 3, "status": "open", "claimed_count": 1,
            "created_at": "2026-03-01T10:00:00+00:00", "closed_at": None, "refunded_amount": 0,
            "claims": [{"user_id": 2, "first_name": "Bob", "amount": 600}], "luckiest": None}
    return {**view, **over}


def test_an_open_card_counts_the_shares():
    text = card_text({"lang": "en", "sender": "Alice"}, _view())
    assert text.splitlines() == ["🧧 A red packet from Alice", '"Hi"', "lucky packet (random amounts) · ¥10.00", "1/3 opened"]


def test_a_finished_card_lists_the_claims_the_luckiest_and_how_long():
    claims = [{"user_id": 2, "first_name": "Bob", "amount": 600}, {"user_id": 3, "first_name": "", "amount": 400}]
    view = _view(status="finished", claimed_count=2, shares=2, claims=claims, luckiest=claims[0],
                 closed_at="2026-03-01T10:02:05+00:00")
    record = {"lang": "en", "sender": "Alice", "names": {"3": "Carol"}}  # the name the group knows, kept at the press
    text = card_text(record, view)
    assert "All 2/2 opened, in 2 min 5 s" in text
    assert "Bob  ¥6.00" in text and "Carol  ¥4.00" in text and text.rstrip().endswith("Bob ¥6.00")


def test_an_expired_card_says_what_went_back():
    text = card_text({"lang": "en", "sender": "Alice"}, _view(status="expired", refunded_amount=400))
    assert "1/3 opened, the rest (¥4.00) went back to the sender" in text and "Bob  ¥6.00" in text
    assert claim_list("en", _view(claims=[]), {}) == "Nobody has opened it yet."


def test_an_exclusive_card_names_its_one_person_and_the_default_greeting():
    text = card_text({"lang": "en", "sender": "A", "exclusive_name": "Bob"}, _view(kind="exclusive", greeting=None))
    assert "exclusive packet for Bob" in text and "Best wishes" in text


@pytest.mark.parametrize("seconds,said", [(0, "0 s"), (59, "59 s"), (60, "1 min 0 s"), (3599, "59 min 59 s"),
                                          (3600, "1 h 0 min"), (7380, "2 h 3 min")])
def test_how_long_it_took(seconds, said):
    from datetime import datetime, timedelta
    start = datetime(2026, 3, 1, 10, 0)
    assert _duration("en", start.isoformat(), (start + timedelta(seconds=seconds)).isoformat()) == said
    assert _duration("en", start.isoformat(), None) == "0 s"


def test_the_card_buttons_carry_the_data_they_always_did():
    record = {"lang": "en", "token": TOKEN}
    opened = [(b.text, b.callback_data) for row in card_markup(7, record, _view()).inline_keyboard for b in row]
    assert opened == [("Open 拆", f"rp:open:7:{TOKEN}"), ("Details", f"rp:info:7:{TOKEN}")]
    done = [(b.text, b.callback_data) for row in card_markup(7, record, _view(status="finished")).inline_keyboard
            for b in row]
    assert done == [("Details", f"rp:info:7:{TOKEN}")]


# --- callbacks.py ----------------------------------------------------------------------------------
def test_the_card_presses_parse_and_anything_else_under_rp_is_the_cards_refusal():
    assert cb.Open.parse(f"rp:open:7:{TOKEN}") == cb.Open(7, TOKEN)
    assert cb.Details.parse(f"rp:info:7:{TOKEN}") == cb.Details(7, TOKEN)
    assert cb.Open.parse(f"rp:info:7:{TOKEN}") is None and cb.Details.parse(f"rp:open:7:{TOKEN}") is None
    for data in ("rp:zap:1:x", "rp:open:1:123456", "rp:open:2147483648:abcdef", "rp:open:1", "rp:"):
        assert cb.Open.parse(data) is None and cb.Details.parse(data) is None and cb.other_press(data), data
    for data in ("rpx:open:1:abcdef", "hb:no:0:abcdef", "", None, 5):
        assert not cb.other_press(data), data


def test_the_confirm_screen_and_the_inline_ids():
    assert cb.Confirm("no", 0, TOKEN).data() == f"hb:no:0:{TOKEN}"
    assert cb.Confirm.parse(f"hb:st:0:{TOKEN}") == cb.Confirm("st", 0, TOKEN)
    assert cb.InlineResult(TOKEN).data() == f"hb:{TOKEN}"
    assert cb.InlineRefused("rp.greeting_too_long").data() == "hb:refused:rp.greeting_too_long"


def test_the_confirm_link():
    tag = owner_tag(1)
    assert cb.confirm_link(TOKEN, tag) == f"hb_{TOKEN}_{tag}"
    assert cb.confirm_link_parts(f"/start hb_{TOKEN}_{tag}") == (TOKEN, tag)
    assert cb.confirm_link_parts(f"/start@WalletBot hb_{TOKEN}") == (TOKEN, None)  # an older link: no tag
    assert cb.confirm_link_parts("/start hb_abc") is None and cb.confirm_link_parts("/start tf_1") is None


# --- inline.py: the query --------------------------------------------------------------------------
@pytest.mark.parametrize("query,spec", [
    ("20", (2000, 1, None)), ("hb 20 5 Happy new year", (2000, 5, "Happy new year")), ("红包20 3", (2000, 3, None)),
    ("20 dinner", (2000, 1, "dinner")), ("8.88 2 ", (888, 2, None)),
])
def test_the_inline_query(query, spec):
    parsed = parse_query(query)
    assert (parsed.total, parsed.shares, parsed.greeting) == spec
    assert parsed.kind == "lucky" and parsed.amount == parsed.total


def test_an_inline_query_that_is_no_packet():
    assert parse_query("abc") is None and parse_query("") is None and parse_query(None) is None
    with pytest.raises(InvalidAmount):
        parse_query("0")


def test_the_amount_the_service_takes_is_stated_once_and_survives_the_draft():
    equal = PacketSpec("equal", 1000, 4, "hi")
    assert equal.amount == 250 and PacketSpec("lucky", 1000, 4).amount == 1000
    assert PacketSpec("exclusive", 888, 1).amount == 888
    assert PacketSpec.of(equal.as_draft()) == equal
    # a draft kept before the spec existed (it also held "amount") reads the same
    assert PacketSpec.of({"kind": "equal", "amount": 250, "total": 1000, "shares": 4, "greeting": "hi"}) == equal
