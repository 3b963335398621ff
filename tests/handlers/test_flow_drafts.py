"""What each flow's draft says (handlers/*/draft.py): the step it is at, what ``amount`` means in it,
and the pure pieces that read it (the 余额不足 choice, the card being bound, the opening's secrets)."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from handlers.bills.draft import DetailDraft
from handlers.cards.draft import CardsDraft
from handlers.onboarding.draft import OpeningDraft
from handlers.red_packet.draft import PacketDraft
from handlers.shop.draft import PayDraft
from handlers.tickets.draft import ReportDraft
from handlers.topup_withdraw.draft import TopUpDraft, WithdrawDraft
from handlers.transfer.draft import InlineWaiting, TransferDraft
from handlers.ui import shortfall
from handlers.ui.draft import Funding, PaymentDraft, Short
from handlers.ui.entry import card_label
from wallet.bank import lookup_card
from wallet.pii import PiiBox

N = "AbCdEfGh_-12"


# --- transfer ------------------------------------------------------------------------------------
def test_a_private_transfer_goes_amount_note_arrival_confirm():
    d = TransferDraft(nonce=N, recipient_id=7, name="Bob", newcomer=False)
    assert d.step == "amount" and d.amount is None
    d = d.replace(amount=2000)  # fen the sender sends
    assert d.step == "note"
    assert d.with_note("").step == "delay" and d.with_note("dinner").step == "delay"  # skipped or typed
    assert d.with_note("").with_delay(0).step == "confirm"  # "now" is an arrival too
    assert d.with_note("x").with_delay(7200).delay == 7200


def test_a_group_or_inline_transfer_starts_at_the_confirm_screen():
    group = TransferDraft.of({"nonce": N, "recipient_id": 8, "name": "Carol", "amount": 2000, "note": "x", "delay": 0,
                              "group_chat": -100, "newcomer": True})
    assert group.step == "confirm" and group.group_chat == -100 and group.inline is None
    inline = TransferDraft.of({"nonce": N, "recipient_id": None, "name": "anyone", "amount": 2000, "note": "",
                               "delay": 0, "inline": "AAQ"})
    assert inline.step == "confirm" and inline.recipient_id is None and inline.newcomer is None
    assert inline.send_extras() == {} and group.send_extras() == {"to_newcomer": True, "recipient_name": "Carol"}


def test_an_inline_card_waits_for_its_post_then_for_the_pin():
    w = InlineWaiting(nonce=N, amount=2000, note="", sender="Alice")
    assert w.card is None and w.inline_message_id is None
    posted = w.posted("AAQ-id")
    assert posted.card == {"inline": "AAQ-id"} and posted.inline_message_id == "AAQ-id" and posted.nonce == N


# --- red packets: the sender pays the total; the service takes a share for an equal packet ---------
def test_a_packets_amounts():
    equal = PacketDraft(nonce=N, kind="equal", total=1000, shares=4, chat_id=-100, sender="Alice", sender_id=7)
    assert equal.spec.total == 1000 and equal.spec.amount == 250
    assert equal.replace(kind="lucky").spec.amount == 1000
    assert equal.card is None and equal.posted({"chat_id": -100, "message_id": 5}).card == {"chat_id": -100,
                                                                                           "message_id": 5}


# --- paying a code ------------------------------------------------------------------------------
def test_an_open_code_asks_the_amount_a_fixed_one_does_not():
    open_code = PayDraft(nonce=N, code="c0de", kind="shop", payee="🏪 Noodles", amount=None, fixed=False)
    assert open_code.step == "amount"
    assert open_code.replace(amount=1250).step == "confirm"
    assert PayDraft(nonce=N, code="c0de", kind="personal", payee="👤 Bob", amount=500, fixed=True).step == "confirm"


# --- the 余额不足 choice ----------------------------------------------------------------------------
OFFERED = PaymentDraft(nonce=N, short=Short(amount=1000, short=700, card_id=3, last4="0018"))


def test_the_choice_pressed_says_what_the_card_pays():
    assert shortfall.choose("st", OFFERED).funding == Funding(card_id=3, last4="0018", top_up=700)   # the shortfall
    assert shortfall.choose("sc", OFFERED).funding == Funding(card_id=3, last4="0018", top_up=1000)  # the whole
    assert shortfall.choose("ok", shortfall.choose("st", OFFERED)).funding is None  # "Pay": from the balance
    assert shortfall.choose("st", OFFERED).nonce == N  # the same draft: the same key


@pytest.mark.parametrize("verb,draft", [("st", PaymentDraft(nonce=N)), ("sc", PaymentDraft(nonce=N)),
                                        ("zz", OFFERED), ("no", OFFERED)])
def test_a_choice_never_offered_is_none(verb, draft):
    assert shortfall.choose(verb, draft) is None


# --- top-up and withdraw --------------------------------------------------------------------------
def test_top_up_and_withdraw_wait_for_the_card_then_the_pin():
    assert TopUpDraft(nonce=N, amount=100).step == "card"
    assert TopUpDraft(nonce=N, amount=100, card_id=3).step == "pin"
    everything = WithdrawDraft(nonce=N, amount=None, quoted=99800, fee=100)  # "all": what the preview worked out
    assert everything.step == "card" and everything.replace(card_id=3).step == "pin"
    assert everything.quoted + everything.fee == 99900


# --- cards: what the bank said of the number typed ---------------------------------------------------
def test_the_card_being_bound_is_labelled_from_the_draft():
    d = CardsDraft(nonce=N)
    assert d.card == {}
    bound = d.recognised(lookup_card("6222 0200 0000 0000 018"))
    assert bound.card == {"bank_code": "ICBC", "card_type": "debit", "last4": "0018", "bank_name_zh": "中国工商银行",
                          "bank_name_en": bound.bank_name_en}
    assert card_label(bound.card, "en") == "ICBC debit ****0018" and bound.nonce == N
    assert bound.renewed().card == bound.card and bound.renewed().nonce != N  # a new attempt, a new key


# --- opening a wallet: secrets only encrypted -------------------------------------------------------
def test_the_openings_secrets_are_kept_encrypted_and_dropped_once_bound():
    pii = PiiBox(Fernet.generate_key())
    d = OpeningDraft(nonce=N)
    assert d.secret(pii, "phone") is None
    d = d.with_secret(pii, "phone", "+8613800138000").with_secret(pii, "id", "11010119900307002X")
    assert "+8613800138000" not in str(d.as_draft()) and "11010119900307002X" not in str(d.as_draft())
    assert d.secret(pii, "phone") == "+8613800138000" and d.secret(pii, "id") == "11010119900307002X"
    shown = d.replace(id_masked="1101**********002X", last4="0018", phone_ok=True).without_secrets()
    assert shown.as_draft() == {"nonce": N, "phone_ok": True, "id_masked": "1101**********002X", "last4": "0018"}


# --- reports and a bill's buttons -------------------------------------------------------------------
def test_a_report_waits_for_a_reason_then_for_details():
    d = ReportDraft(nonce=N, journal_id=42)
    assert d.step == "why" and d.replace(reason="not_me").step == "details"


def test_a_details_buttons_are_its_verbs_only():
    d = DetailDraft.of({"nonce": N, "tid": 5, "jid": None, "view": "", "verbs": ["acc", "ret"]})
    assert d.offers("acc") and d.offers("ret") and not d.offers("rev")
