"""wallet.redsplit: the double-mean lucky split, the equal split, the luckiest claim."""
from __future__ import annotations

import random
import statistics

import pytest
from hypothesis import given, settings, strategies as st

from wallet.redsplit import equal_split, lucky_split, luckiest


@st.composite
def valid_packets(draw):
    shares = draw(st.integers(min_value=1, max_value=100))
    min_share = draw(st.integers(min_value=1, max_value=5))
    total = draw(st.integers(min_value=shares * min_share, max_value=max(shares * min_share, 20_000)))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return total, shares, min_share, seed


@given(valid_packets())
@settings(max_examples=500)
def test_lucky_split_properties(packet):
    total, shares, min_share, seed = packet
    parts = lucky_split(total, shares, min_share=min_share, rng=random.Random(seed))
    assert len(parts) == shares
    assert sum(parts) == total
    assert all(isinstance(p, int) for p in parts)
    assert min(parts) >= min_share
    # the double-mean bound: no draw (the last excepted) exceeds twice the mean of what was left
    remaining = total
    for i, p in enumerate(parts[:-1]):
        left = shares - i
        assert p <= 2 * remaining // left
        remaining -= p


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=1, max_value=20_000))
def test_lucky_split_default_rng(shares, total):
    if total < shares:
        with pytest.raises(ValueError):
            lucky_split(total, shares)
        return
    parts = lucky_split(total, shares)  # secrets.SystemRandom
    assert len(parts) == shares and sum(parts) == total and min(parts) >= 1


def test_lucky_split_edges():
    assert lucky_split(1, 1) == [1]
    assert lucky_split(7, 1) == [7]
    assert lucky_split(100, 100) == [1] * 100  # exactly the minimum for each share
    assert lucky_split(20, 10, min_share=2) == [2] * 10


@pytest.mark.parametrize("args, kw", [
    ((0, 1), {}), ((5, 0), {}), ((9, 10), {}), ((19, 10), {"min_share": 2}),
    ((10, 2), {"min_share": 0}), ((-5, 1), {}),
])
def test_lucky_split_refuses_impossible(args, kw):
    with pytest.raises(ValueError):
        lucky_split(*args, **kw)


@pytest.mark.parametrize("bad", [1.0, "10", True, None])
def test_lucky_split_refuses_non_integers(bad):
    with pytest.raises(TypeError):
        lucky_split(bad, 1)
    with pytest.raises(TypeError):
        lucky_split(10, bad)


def test_lucky_split_is_random_but_reproducible_with_a_seed():
    a = lucky_split(10_000, 10, rng=random.Random(7))
    assert a == lucky_split(10_000, 10, rng=random.Random(7))
    draws = {tuple(lucky_split(10_000, 10)) for _ in range(20)}
    assert len(draws) > 1


def test_lucky_split_mean_is_fair_at_every_position():
    """Statistical sanity: each claim position gets the mean on average (no advantage in
    being first or last), the first draw spans [1, 2 × mean], and nobody exceeds 2 × mean first."""
    rng = random.Random(20261128)
    total, shares, rounds = 1000, 10, 20_000
    columns = [[] for _ in range(shares)]
    for _ in range(rounds):
        for i, p in enumerate(lucky_split(total, shares, rng=rng)):
            columns[i].append(p)
    mean = total / shares
    for i, col in enumerate(columns):
        m = statistics.fmean(col)
        assert abs(m - mean) < 0.05 * mean, f"position {i}: mean {m:.2f}, expected about {mean}"
    first = columns[0]
    assert min(first) == 1 and max(first) == 2 * total // shares
    # the first share is uniform on [1, 200]: its mean and spread match
    assert abs(statistics.fmean(first) - 100.5) < 1.5
    assert abs(statistics.pstdev(first) - statistics.pstdev(range(1, 201))) < 1.5


def test_equal_split():
    assert equal_split(100, 3) == [100, 100, 100]
    assert equal_split(1, 1) == [1]
    with pytest.raises(ValueError):
        equal_split(0, 3)
    with pytest.raises(ValueError):
        equal_split(5, 0)


def test_luckiest_is_largest_earliest_on_tie():
    assert luckiest([5]) == 0
    assert luckiest([3, 9, 2]) == 1
    assert luckiest([3, 9, 9, 1]) == 1
    assert luckiest([7, 7, 7]) == 0
    assert luckiest([1, 2, 3, 4, 4]) == 3
    with pytest.raises(ValueError):
        luckiest([])


@given(st.lists(st.integers(min_value=1, max_value=20_000), min_size=1, max_size=100))
def test_luckiest_property(amounts):
    i = luckiest(amounts)
    assert amounts[i] == max(amounts)
    assert all(a < amounts[i] for a in amounts[:i])
