"""The typed drafts (handlers/ui/draft.py and each flow's ``draft.py``): a draft stored by the code
before them reads back and is stored again key for key (users in the middle of a flow across the
upgrade keep their step and their idempotency key), each class writes the keys the flows always
wrote, and the base's mechanics (``later`` fields, unknown keys kept, user_data, the key)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from telegram import Update

from handlers.bills.draft import DetailDraft
from handlers.cards.draft import CardsDraft
from handlers.onboarding.draft import OpeningDraft
from handlers.red_packet.draft import PacketDraft
from handlers.security.draft import SecurityDraft
from handlers.shop.draft import CodeDraft, PayDraft, RegisterDraft
from handlers.tickets.draft import ReplyDraft, ReportDraft
from handlers.topup_withdraw.draft import TopUpDraft, WithdrawDraft
from handlers.transfer.draft import InlineWaiting, TransferDraft
from handlers.ui import common as ui
from handlers.ui import confirm
from handlers.ui.draft import Funding, PaymentDraft, Short

N = "AbCdEfGh_-12"
SHORT = {"amount": 1000, "short": 700, "card_id": 3, "last4": "0018"}
FUNDING = {"card_id": 3, "last4": "0018", "top_up": 700}

# each as the code before the typed drafts stored it (handlers/*, at the step named)
OLD_SHAPES = [
    # transfer, private: the person picked, then amount, note, arrival, the 余额不足 choices, a card declined
    (TransferDraft, {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": False}),
    (TransferDraft, {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": True, "amount": 2000}),
    (TransferDraft, {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": False, "amount": 2000, "note": ""}),
    (TransferDraft, {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": False, "amount": 2000,
                     "note": "dinner", "delay": 7200, "short": SHORT}),
    (TransferDraft, {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": False, "amount": 1000, "note": "",
                     "delay": 0, "short": SHORT, "confirmed": True, "funding": FUNDING}),
    (TransferDraft, {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": False, "amount": 1000, "note": "",
                     "delay": 0, "short": SHORT, "funding": FUNDING, "declines": 1}),
    # transfer: /transfer in a group, and an inline card's deep link
    (TransferDraft, {"nonce": N, "recipient_id": 8, "name": "Carol", "amount": 2000, "note": "x", "delay": 0,
                     "group_chat": -100123, "newcomer": True}),
    (TransferDraft, {"nonce": N, "recipient_id": None, "name": "anyone", "amount": 2000, "note": "", "delay": 0,
                     "inline": "AAQAAB-inline"}),
    (InlineWaiting, {"nonce": N, "amount": 2000, "note": "", "sender": "Alice"}),
    (InlineWaiting, {"nonce": N, "amount": 2000, "note": "dinner", "sender": "Alice", "card": {"inline": "AAQ"}}),
    # red packets: in a group (exclusive), inline; one kept before PacketSpec (it also held "amount")
    (PacketDraft, {"nonce": N, "kind": "exclusive", "total": 500, "shares": 1, "greeting": None, "chat_id": -100,
                   "exclusive_user_id": 8, "exclusive_name": "Bob", "sender": "Alice", "sender_id": 7,
                   "card": {"chat_id": -100, "message_id": 55}}),
    (PacketDraft, {"nonce": N, "kind": "lucky", "total": 2000, "shares": 5, "greeting": "hi", "chat_id": None,
                   "exclusive_user_id": None, "exclusive_name": None, "sender": "Alice", "sender_id": 7}),
    (PacketDraft, {"nonce": N, "kind": "equal", "amount": 250, "total": 1000, "shares": 4, "greeting": None,
                   "chat_id": -100, "exclusive_user_id": None, "exclusive_name": None, "sender": "Alice",
                   "sender_id": 7, "card": {"inline": "AAQ"}, "short": SHORT, "confirmed": True, "funding": FUNDING}),
    # paying a code: open amount, fixed amount with the choices
    (PayDraft, {"nonce": N, "code": "c0de", "kind": "shop", "payee": "🏪 Noodles", "label": None, "amount": None,
                "fixed": False}),
    (PayDraft, {"nonce": N, "code": "c0de", "kind": "personal", "payee": "👤 Bob", "label": "rent", "amount": 500,
                "fixed": True, "short": SHORT, "confirmed": True}),
    # a shop registered, a new code
    (RegisterDraft, {"nonce": N, "step": "register"}),
    (RegisterDraft, {"nonce": N, "step": "register", "name": "Noodle House"}),
    (CodeDraft, {"nonce": N, "step": "code", "shop_id": None}),
    (CodeDraft, {"nonce": N, "step": "code", "shop_id": 4}),
    # top-up and withdraw
    (TopUpDraft, {"nonce": N, "amount": 10000}),
    (TopUpDraft, {"nonce": N, "amount": 10000, "card_id": 3}),
    (WithdrawDraft, {"nonce": N, "amount": None, "quoted": 99800, "fee": 100}),
    (WithdrawDraft, {"nonce": N, "amount": 2000, "quoted": 2000, "fee": 0, "preview": "Withdraw ¥20.00", "card_id": 3}),
    # cards: the list, an unbinding, a binding
    (CardsDraft, {"nonce": N}),
    (CardsDraft, {"nonce": N, "card_id": 3}),
    (CardsDraft, {"nonce": N, "bank_code": "ICBC", "card_type": "debit", "last4": "0018",
                  "bank_name_zh": "中国工商银行", "bank_name_en": "Industrial and Commercial Bank of China"}),
    # opening a wallet: at the start, at the card's code, after the card was bound
    (OpeningDraft, {"nonce": N}),
    (OpeningDraft, {"nonce": N, "phone": "gAAA-phone", "phone_ok": True, "name": "gAAA-name", "id": "gAAA-id",
                    "id_masked": "1101**********002X", "card": "gAAA-card", "bank_zh": "中国工商银行", "bank_en": "ICBC",
                    "card_type": "debit", "last4": "0018", "bind_nonce": "ZyXwVuTs_-98"}),
    (OpeningDraft, {"nonce": N, "phone_ok": True, "id_masked": "1101**********002X", "bank_zh": "中国工商银行",
                    "bank_en": "ICBC", "card_type": "debit", "last4": "0018", "bind_nonce": "ZyXwVuTs_-98"}),
    # reports, an admin's reply, a bill's detail, freeze / unfreeze
    (ReportDraft, {"nonce": N, "journal_id": 42}),
    (ReportDraft, {"nonce": N, "journal_id": 42, "reason": "not_me"}),
    (ReplyDraft, {"nonce": N, "ticket_id": 9, "number": "T20261128-0009"}),
    (DetailDraft, {"nonce": N, "tid": 5, "jid": 42, "view": "a.0.all", "verbs": ["rev"]}),
    (DetailDraft, {"nonce": N, "tid": 5, "jid": None, "view": "", "verbs": ["acc", "ret"]}),
    (SecurityDraft, {"nonce": N, "action": "freeze"}),
    (SecurityDraft, {"nonce": N, "action": "unfreeze"}),
]


def _id(case) -> str:
    return f"{case[0].__name__}-{'-'.join(sorted(case[1]))}"


@pytest.mark.parametrize("kind,old", OLD_SHAPES, ids=[_id(c) for c in OLD_SHAPES])
def test_a_draft_stored_before_reads_back_and_is_stored_again_key_for_key(kind, old):
    draft = kind.of(old)
    assert draft.nonce == N and draft.as_draft() == old
    assert kind.of(json.loads(json.dumps(draft.as_draft()))) == draft  # as the persistence keeps it (JSON)


def test_the_keys_each_step_writes_are_the_ones_the_flows_always_wrote():
    picked = {"nonce": N, "recipient_id": 7, "name": "Bob", "newcomer": False}
    d = TransferDraft(nonce=N, recipient_id=7, name="Bob", newcomer=False)
    assert d.as_draft() == picked
    d = d.replace(amount=1000).with_note("")
    assert d.as_draft() == {**picked, "amount": 1000, "note": ""}
    paid = d.with_delay(0).replace(short=Short(**SHORT), funding=Funding(**FUNDING), confirmed=True)
    assert paid.as_draft() == {**picked, "amount": 1000, "note": "", "delay": 0, "short": SHORT, "funding": FUNDING,
                               "confirmed": True}
    assert paid.replace(confirmed=False, declines=1).as_draft() == {
        **picked, "amount": 1000, "note": "", "delay": 0, "short": SHORT, "funding": FUNDING, "declines": 1}
    inline = TransferDraft(nonce=N, recipient_id=None, name="anyone", amount=2000, note="", delay=0, inline="AAQ")
    assert inline.as_draft() == {"nonce": N, "recipient_id": None, "name": "anyone", "amount": 2000, "note": "",
                                 "delay": 0, "inline": "AAQ"}  # no "newcomer" for an inline card, as before
    assert WithdrawDraft(nonce=N, amount=None, quoted=99800, fee=100).as_draft() == {
        "nonce": N, "amount": None, "quoted": 99800, "fee": 100}  # "all": the amount stored as None
    assert CodeDraft(nonce=N, shop_id=None).as_draft() == {"nonce": N, "step": "code", "shop_id": None}
    assert RegisterDraft(nonce=N).as_draft() == {"nonce": N, "step": "register"}
    assert DetailDraft(nonce=N, tid=5, jid=None, view="", verbs=("acc", "ret")).as_draft() == {
        "nonce": N, "tid": 5, "jid": None, "view": "", "verbs": ["acc", "ret"]}


# --- the base ------------------------------------------------------------------------------------
def test_unknown_keys_are_kept_and_set_fields_are_dropped_when_back_to_their_default():
    d = TopUpDraft.of({"nonce": N, "amount": 100, "card_id": 3, "someday": [1]})
    assert d.extra == {"someday": [1]} and d.as_draft()["someday"] == [1]
    assert d == TopUpDraft(nonce=N, amount=100, card_id=3)  # not part of what the draft is
    assert "card_id" not in d.replace(card_id=None).as_draft()  # a later field back to its default: absent


def context() -> SimpleNamespace:
    return SimpleNamespace(user_data={})


def test_start_load_save_drop_in_user_data():
    c = context()
    assert TopUpDraft.load(c) is None
    d = TopUpDraft.start(c, amount=100)
    assert c.user_data == {"draft:topup": {"nonce": d.nonce, "amount": 100}} and len(d.nonce) == 12
    assert TopUpDraft.load(c) == d and ui.draft(c, "topup") == d.as_draft()
    chosen = d.replace(card_id=3).save(c)
    assert TopUpDraft.load(c) == chosen and c.user_data["draft:topup"]["card_id"] == 3
    again = TopUpDraft.start(c, amount=100)  # a new draft replaces the older one, with a new nonce
    assert again.nonce != d.nonce and TopUpDraft.load(c) == again
    assert again.renewed().nonce != again.nonce and again.renewed().amount == 100
    TopUpDraft.drop(c)
    assert c.user_data == {}


def test_two_kinds_of_draft_share_a_feature_told_apart_by_step():
    c = context()
    CodeDraft.start(c, shop_id=None)
    assert CodeDraft.load(c).step == "code" and RegisterDraft.load(c).step == "code"  # the flow checks the step
    RegisterDraft.start(c)
    assert CodeDraft.load(c).step == "register" and set(c.user_data) == {"draft:shop"}


def test_the_key_is_the_nonces_whether_typed_or_stored():
    u = Update.de_json({"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "x",
                                                    "chat": {"id": 9, "type": "private"},
                                                    "from": {"id": 9, "is_bot": False, "first_name": "P"}}}, None)
    d = TransferDraft(nonce=N, recipient_id=7, name="Bob")
    assert ui.op_key(u, "transfer", d) == ui.op_key(u, "transfer", d.as_draft()) == ui.op_key(u, "transfer", N)
    assert ui.op_key(u, "transfer", d) == f"tg:9:transfer:{N}"  # the key drafts always gave
    assert confirm.data("tf", "ok", 0, d) == confirm.data("tf", "ok", 0, d.as_draft()) == f"tf:ok:0:{N}"


def test_what_the_shortfall_keeps():
    d = PaymentDraft.of({"nonce": N})
    assert (d.short, d.funding, d.confirmed, d.declines) == (None, None, False, 0) and d.as_draft() == {"nonce": N}
    d = PaymentDraft.of({"nonce": N, "short": SHORT, "funding": FUNDING, "confirmed": True, "declines": 2})
    assert d.short == Short(amount=1000, short=700, card_id=3, last4="0018")
    assert d.funding == Funding(card_id=3, last4="0018", top_up=700) and d.confirmed and d.declines == 2
