"""How a red packet is split into shares (DESIGN §3). Pure functions, integers in fen.

Lucky packets use the double-mean method (二倍均值法), as WeChat does: with ``remaining`` fen
left for ``k`` shares, the next share is drawn uniformly from the integers in
``[min_share, floor(2 × remaining / k)]``, but never so large that fewer than ``min_share``
fen would be left for each of the ``k - 1`` shares still to come; the last share takes the
rest. Every share's expectation is the mean ``total / shares`` (up to the floor), and no
share exceeds twice the mean of what was left when it was drawn.

The split is drawn when the packet is made and stored (``red_packet_shares``); claim number n
takes share n. So the draw needs no lock and the sum is fixed before anyone claims.
"""
from __future__ import annotations

import random
import secrets
from typing import Any, Sequence

_system_random = secrets.SystemRandom()


def _check_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def lucky_split(total: int, shares: int, *, min_share: int = 1,
                rng: random.Random | None = None) -> list[int]:
    """Split ``total`` fen into ``shares`` random shares by the double-mean method.

    Every share is at least ``min_share``; the shares sum to ``total``. ``rng`` defaults to
    the operating system's generator (``secrets.SystemRandom``), so nobody can predict a
    packet's split; tests pass a seeded ``random.Random``.
    Raises ValueError if ``total < shares × min_share`` or either count is below 1."""
    _check_int("total", total)
    _check_int("shares", shares)
    _check_int("min_share", min_share)
    if shares < 1:
        raise ValueError("shares must be at least 1")
    if min_share < 1:
        raise ValueError("min_share must be at least 1")
    if total < shares * min_share:
        raise ValueError(f"total {total} is less than {shares} shares of {min_share}")
    rng = rng or _system_random
    result: list[int] = []
    remaining = total
    for left in range(shares, 1, -1):  # left = shares still to draw, this one included
        upper = min(2 * remaining // left, remaining - min_share * (left - 1))
        # upper >= min_share: remaining >= left × min_share gives both bounds >= min_share
        share = rng.randint(min_share, upper)
        result.append(share)
        remaining -= share
    result.append(remaining)
    return result


def equal_split(per_share: int, shares: int) -> list[int]:
    """``shares`` shares of ``per_share`` fen each."""
    _check_int("per_share", per_share)
    _check_int("shares", shares)
    if shares < 1:
        raise ValueError("shares must be at least 1")
    if per_share < 1:
        raise ValueError("per_share must be at least 1")
    return [per_share] * shares


def luckiest(claims: Sequence[int]) -> int:
    """Index of the luckiest claim (手气最佳): the largest amount, the earliest on a tie.
    ``claims`` are amounts in claim order. Raises ValueError if there are none."""
    if not claims:
        raise ValueError("no claims")
    best = 0
    for i, amount in enumerate(claims):
        if amount > claims[best]:
            best = i
    return best
