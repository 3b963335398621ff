"""Top-up and withdraw: their card choices (handlers/topup_withdraw/callbacks.py) carry the same
data as before the typed classes, with card ids within a database integer; the amount typed
(handlers/ui/amount.py ``parse``: "all" only where allowed)."""
from __future__ import annotations

import pytest

from handlers.topup_withdraw.callbacks import TopUpConfirm, WithdrawConfirm
from handlers.ui import amount
from handlers.ui import confirm
from wallet.errors import InvalidAmount


def test_the_card_choices_carry_the_same_data_as_before():
    draft = {"nonce": "abcdefabcdef"}
    assert TopUpConfirm("card", 7, "abcdefabcdef").data() == "tu:card:7:abcdefabcdef" == confirm.data("tu", "card", 7, draft)
    assert WithdrawConfirm("no", 0, "abcdefabcdef").data() == "wd:no:0:abcdefabcdef" == confirm.data("wd", "no", 0, draft)
    assert TopUpConfirm is confirm.button("tu") and WithdrawConfirm is confirm.button("wd")


@pytest.mark.parametrize("data", ["tu:card:99999999999:abcdefabcdef", "tu:card:-1:abcdefabcdef", "tu:card:1",
                                  "tu:card:1:123456", "wd:card:1:abcdefabcdef", "tu:card:1:abc def"])
def test_a_top_up_choice_out_of_bounds_or_of_another_flow_does_not_parse(data):
    assert TopUpConfirm.parse(data) is None


def test_the_two_flows_never_take_each_others_presses():
    assert not WithdrawConfirm.pattern()("tu:card:1:abcdefabcdef") and not TopUpConfirm.pattern()("wd:card:1:abcdefabcdef")


@pytest.mark.parametrize(("typed", "fen"), [("100", 10_000), ("0.5", 50), ("¥12.30", 1_230), ("１００", 10_000),
                                            ("8元", 800)])
def test_an_amount_typed(typed, fen):
    assert amount.parse(typed) == fen and amount.parse(typed, allow_all=True) == fen


@pytest.mark.parametrize("word", ["all", "ALL ", "全部", "全部提现", "max"])
def test_all_only_where_allowed(word):
    assert amount.parse(word, allow_all=True) == amount.ALL
    with pytest.raises(InvalidAmount):
        amount.parse(word)


@pytest.mark.parametrize("typed", ["", "-5", "1.234", "1e3", "abc", "nan"])
def test_what_is_not_an_amount(typed):
    with pytest.raises(InvalidAmount):
        amount.parse(typed, allow_all=True)
