"""Withdrawal fee: free up to a lifetime quota per person, then 0.1 % of the part above it,
at least ¥0.10 (all settings). Integer fen throughout; the fee rounds half up to the fen."""
from __future__ import annotations

from dataclasses import dataclass

from wallet.rules import Rules


@dataclass(frozen=True)
class FeeQuote:
    amount: int  # what reaches the card
    fee: int  # taken from the balance on top
    free_used: int  # how much of the lifetime free quota this withdrawal uses

    @property
    def total(self) -> int:
        return self.amount + self.fee


def quote(rules: Rules, amount: int, free_used_before: int) -> FeeQuote:
    free_left = max(0, rules.withdraw_free_quota - free_used_before)
    free = min(amount, free_left)
    taxable = amount - free
    fee = 0
    if taxable > 0:
        fee = max(rules.withdraw_fee_min, (taxable * rules.withdraw_fee_per_mille + 500) // 1000)
    return FeeQuote(amount=amount, fee=fee, free_used=free)


def largest_withdrawal(rules: Rules, balance: int, free_used_before: int) -> FeeQuote | None:
    """'Withdraw all': the largest amount whose amount + fee fits the balance (None if nothing
    fits). amount + fee grows strictly with amount, so a binary search finds it."""
    lo, hi = 0, balance
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if quote(rules, mid, free_used_before).total <= balance:
            lo = mid
        else:
            hi = mid - 1
    return quote(rules, lo, free_used_before) if lo > 0 else None
