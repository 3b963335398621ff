"""Each rule fires on its own case (and no other rule does) and stays silent on its near miss: the
same facts one step short of its threshold. Thresholds come from the shipped settings."""
from __future__ import annotations

import json

import pytest

from tests.wallet.risk.cases import SETTINGS as S, ago, quiet
from wallet.risk import rules
from wallet.risk.engine import evaluate

V, P = S.velocity, S.pattern


def usual(amount: int) -> dict:
    """A 30-day history in which ``amount`` is an ordinary payment."""
    return {"amount": amount, "period_count": 20, "period_sum": 20 * amount, "period_max": 2 * amount}


def farming(claims: int, new: int) -> dict:
    return {"kind": "red_packet", "group_chat_id": -100, "group_claims": claims, "group_new_claims": new}


def _share_ceil(claims: int) -> int:
    return -(-S.red_packet_farming.share_percent * claims // 100)


RP = S.red_packet_farming
FC, PG, NR, CO = S.fresh_credentials, S.pin_guessing, S.new_recipient, S.collection
# the pattern case: 2 × min_history operations, the largest one fen below the amount, the sum as
# large as the factor allows (one fen more and the mean is too high)
A = max(P.min_amount, 2)
N = 2 * P.min_history
SUM = A * 100 * N // P.factor_percent

CASES = {  # rule: (fires, near miss)
    "velocity_count": ({"recent_count": V.count.over}, {"recent_count": V.count.over - 1}),
    "velocity_amount": ({"recent_sum": V.amount.over - 1_000 + 1}, {"recent_sum": V.amount.over - 1_000}),
    "above_pattern": ({"amount": A, "period_count": N, "period_max": A - 1, "period_sum": SUM},
                      {"amount": A, "period_count": N, "period_max": A - 1, "period_sum": SUM + 1}),
    "new_recipient": ({**usual(NR.min_amount), "paid_recipient_before": False},
                      {**usual(NR.min_amount - 1), "paid_recipient_before": False}),
    "fresh_credentials": ({"kind": "withdraw", "card_id": 7, "card_bound_at": ago(FC.window_seconds - 1)},
                          {"kind": "withdraw", "card_id": 7, "card_bound_at": ago(FC.window_seconds)}),
    "pin_guessing": ({**usual(PG.min_amount), "pin_wrong_before_right": PG.min_wrong,
                      "pin_right_after_wrong_at": ago(PG.window_seconds - 1)},
                     {**usual(PG.min_amount), "pin_wrong_before_right": PG.min_wrong - 1,
                      "pin_right_after_wrong_at": ago(PG.window_seconds - 1)}),
    "red_packet_farming": (farming(RP.min_claims, _share_ceil(RP.min_claims)),
                           farming(RP.min_claims, _share_ceil(RP.min_claims) - 1)),
    "collection": ({"recipient_recent_payers": CO.min_payers - 1, "recipient_opened_at": ago(60)},
                   {"recipient_recent_payers": CO.min_payers - 2, "recipient_opened_at": ago(60)}),
}

# more near misses: each one step short on another of the rule's conditions
NEAR_MISSES = [
    ("above_pattern", {"amount": A, "period_count": P.min_history - 1, "period_max": A - 1, "period_sum": SUM}),
    ("above_pattern", {"amount": A, "period_count": N, "period_max": A, "period_sum": SUM}),
    ("above_pattern", {"amount": P.min_amount - 1, "period_count": N, "period_max": 1, "period_sum": N}),
    ("new_recipient", {**usual(NR.min_amount), "paid_recipient_before": True}),
    ("new_recipient", {**usual(NR.min_amount), "paid_recipient_before": None, "recipient_id": None}),
    ("new_recipient", {**usual(NR.min_amount), "paid_recipient_before": False, "kind": "withdraw"}),
    ("fresh_credentials", {"kind": "withdraw", "pin_set_at": ago(FC.window_seconds)}),
    ("fresh_credentials", {"kind": "transfer", "card_id": 7, "card_bound_at": ago(60)}),
    ("pin_guessing", {**usual(PG.min_amount), "pin_wrong_before_right": PG.min_wrong,
                      "pin_right_after_wrong_at": ago(PG.window_seconds)}),
    ("pin_guessing", {**usual(PG.min_amount - 1), "pin_wrong_before_right": PG.min_wrong,
                      "pin_right_after_wrong_at": ago(PG.window_seconds - 1)}),
    ("red_packet_farming", farming(RP.min_claims - 1, RP.min_claims - 1)),
    ("red_packet_farming", {**farming(RP.min_claims, RP.min_claims), "kind": "transfer"}),
    ("collection", {"recipient_recent_payers": None}),
    ("collection", {"recipient_recent_payers": CO.min_payers, "kind": "withdraw"}),
]


def test_a_quiet_payment_fires_nothing():
    assert evaluate(quiet(), S) == ()


def test_every_rule_has_its_case():
    assert set(CASES) == {r.__name__ for r in rules.RULES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_fires_on_its_own_case(name):
    fired = evaluate(quiet(**CASES[name][0]), S)
    assert [f.rule for f in fired] == [name]
    assert fired[0].weight > 0
    json.dumps(fired[0].inputs)  # stored as JSON: its inputs must be plain values


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_is_silent_on_its_near_miss(name):
    assert getattr(rules, name)(quiet(**CASES[name][1]), S) is None


@pytest.mark.parametrize(("name", "changes"), NEAR_MISSES)
def test_more_near_misses(name, changes):
    assert getattr(rules, name)(quiet(**changes), S) is None


def test_fresh_credentials_after_a_pin_change():
    f = rules.fresh_credentials(quiet(kind="withdraw", pin_set_at=ago(FC.window_seconds - 1)), S)
    assert f is not None and f.inputs["fresh_pin"] and not f.inputs["fresh_card"]


@pytest.mark.parametrize(("rule", "tier", "field", "base"), [
    (rules.velocity_count, V.count, "recent_count", 1),
    (rules.velocity_amount, V.amount, "recent_sum", 1_000),
])
def test_velocity_past_the_severe_mark_weighs_more(rule, tier, field, base):
    # ``base``: what the operation itself adds (one operation; ¥10)
    at_severe = rule(quiet(**{field: tier.severe_over - base}), S)
    past_severe = rule(quiet(**{field: tier.severe_over - base + 1}), S)
    assert (at_severe.weight, at_severe.inputs["severe"]) == (tier.weight, False)
    assert (past_severe.weight, past_severe.inputs["severe"]) == (tier.severe_weight, True)
