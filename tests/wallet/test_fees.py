"""Withdrawal fee (DESIGN §3): free up to a lifetime quota of ¥1,000, then 0.1 % of the part
above it, at least ¥0.10, taken from the balance on top; 'withdraw all' finds the largest
amount the fee allows."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from wallet.fees import FeeQuote, largest_withdrawal, quote
from wallet.rules import Rules

RULES = Rules()
QUOTA = 100_000  # ¥1,000


def test_defaults_are_the_design_numbers():
    assert (RULES.withdraw_free_quota, RULES.withdraw_fee_per_mille, RULES.withdraw_fee_min) == (100_000, 1, 10)


@pytest.mark.parametrize("amount, free_used_before, fee, free_used", [
    (1, 0, 0, 1),
    (100, 0, 0, 100),
    (99_999, 0, 0, 99_999),
    (100_000, 0, 0, 100_000),            # exactly the quota: free
    (100_001, 0, 10, 100_000),           # one fen above: the minimum fee
    (110_000, 0, 10, 100_000),           # 0.1 % of ¥100 = ¥0.10 = the minimum
    (110_499, 0, 10, 100_000),           # 10.499 fen rounds down
    (110_500, 0, 11, 100_000),           # 10.5 fen rounds half up
    (112_499, 0, 12, 100_000),
    (112_500, 0, 13, 100_000),
    (200_000, 0, 100, 100_000),          # 0.1 % of ¥1,000 above the quota = ¥1.00
    (50_000, 80_000, 30, 20_000),        # the rest of the quota is free, the part above pays
    (20_000, 80_000, 0, 20_000),
    (20_001, 80_000, 10, 20_000),
    (1, 100_000, 10, 0),                 # quota used up: even one fen pays the minimum
    (9_999, 100_000, 10, 0),
    (10_500, 100_000, 11, 0),
    (1_000_000, 100_000, 1_000, 0),
    (1, 250_000, 10, 0),                 # more than the quota used (never negative free_left)
])
def test_quote_table(amount, free_used_before, fee, free_used):
    q = quote(RULES, amount, free_used_before)
    assert q == FeeQuote(amount=amount, fee=fee, free_used=free_used)
    assert q.total == amount + fee


@pytest.mark.parametrize("balance, free_used_before, expected", [
    (0, 0, None),
    (1, 0, (1, 0)),
    (50_000, 0, (50_000, 0)),
    (100_000, 0, (100_000, 0)),
    (100_010, 0, (100_000, 0)),          # one fen more would cost 1 + 10: does not fit
    (100_011, 0, (100_001, 10)),
    (110_010, 0, (110_000, 10)),
    (110_011, 0, (110_001, 10)),
    (1_000_000, 0, (999_101, 899)),
    (10, 100_000, None),                 # quota used: the minimum fee alone eats the balance
    (11, 100_000, (1, 10)),
    (20, 100_000, (10, 10)),
    (1_000_000, 100_000, (999_001, 999)),
    (10_000, 90_000, (10_000, 0)),       # the rest of the quota, free
    (10_010, 90_000, (10_000, 0)),
    (10_011, 90_000, (10_001, 10)),
    (20_000, 90_000, (19_990, 10)),      # 9,990 fen above the quota: minimum fee
])
def test_largest_withdrawal_table(balance, free_used_before, expected):
    q = largest_withdrawal(RULES, balance, free_used_before)
    if expected is None:
        assert q is None
        return
    assert (q.amount, q.fee) == expected
    assert q == quote(RULES, q.amount, free_used_before)
    assert q.total <= balance
    assert quote(RULES, q.amount + 1, free_used_before).total > balance


def test_other_rules_are_honoured():
    rules = Rules(withdraw_free_quota=0, withdraw_fee_per_mille=6, withdraw_fee_min=100)
    assert quote(rules, 1, 0) == FeeQuote(1, 100, 0)
    assert quote(rules, 100_000, 0).fee == 600
    assert quote(rules, 100_083, 0).fee == 600  # 600.498 rounds down
    assert quote(rules, 100_084, 0).fee == 601  # 600.504 rounds up
    assert largest_withdrawal(rules, 100, 0) is None
    assert largest_withdrawal(rules, 101, 0) == FeeQuote(1, 100, 0)


amounts = st.integers(min_value=1, max_value=10**11)
used = st.integers(min_value=0, max_value=300_000)


@settings(max_examples=400, deadline=None)
@given(amount=amounts, free_used_before=used)
def test_quote_properties(amount, free_used_before):
    q = quote(RULES, amount, free_used_before)
    free_left = max(0, QUOTA - free_used_before)
    assert q.free_used == min(amount, free_left)
    if amount <= free_left:
        assert q.fee == 0
    else:
        taxable = amount - free_left
        assert q.fee >= RULES.withdraw_fee_min
        # 0.1 % of the taxable part, rounded half up (integer arithmetic: |fee - taxable/1000| <= 1/2)
        assert q.fee == RULES.withdraw_fee_min or abs(q.fee * 1000 - taxable) <= 500
    # the total grows strictly with the amount (what the binary search relies on)
    assert quote(RULES, amount + 1, free_used_before).total > q.total


@settings(max_examples=500, deadline=None)
@given(balance=st.integers(min_value=0, max_value=10**11), free_used_before=used)
def test_largest_withdrawal_is_largest_that_fits(balance, free_used_before):
    q = largest_withdrawal(RULES, balance, free_used_before)
    if q is None:
        assert quote(RULES, 1, free_used_before).total > balance
        return
    assert q.amount >= 1
    assert q.total <= balance
    assert quote(RULES, q.amount + 1, free_used_before).total > balance
