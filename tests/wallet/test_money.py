"""wallet.money: strict amount parsing and formatting."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, strategies as st

from wallet.errors import InvalidAmount
from wallet.money import MAX_FEN, format_amount, parse_amount

ACCEPTED = [
    ("12", 1200),
    ("12.3", 1230),
    ("12.34", 1234),
    ("0.01", 1),
    ("0.5", 50),
    (".5", 50),
    (".05", 5),
    ("12.", 1200),
    ("007", 700),
    ("¥12.34", 1234),
    ("￥12.34", 1234),
    ("¥ 12.34", 1234),
    ("12元", 1200),
    ("12.5 元", 1250),
    ("12块", 1200),
    ("¥12元", 1200),
    ("１２．３４", 1234),
    ("￥１２．３", 1230),
    ("12。34", 1234),
    ("  12.34  ", 1234),
    ("\u300012\u3000", 1200),
    ("\t5\n", 500),
    ("10000000000", 10**12),  # exactly max_fen
    ("9999999999.99", 10**12 - 1),
]

REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    ("\u3000", "empty"),
    ("¥", "empty"),
    ("abc", "not_a_number"),
    ("12a", "not_a_number"),
    ("1,234.50", "not_a_number"),
    ("1，234", "not_a_number"),
    ("1 234", "not_a_number"),
    ("1'234", "not_a_number"),
    ("12.3.4", "not_a_number"),
    ("1..2", "not_a_number"),
    (".", "not_a_number"),
    ("+5", "not_a_number"),
    ("-", "not_a_number"),
    ("0x10", "not_a_number"),
    ("五十", "not_a_number"),
    ("12 34", "not_a_number"),
    ("٣", "not_a_number"),  # Arabic-Indic digit: not ours
    ("1²", "not_a_number"),
    ("-5", "negative"),
    ("-0.01", "negative"),
    ("-¥5", "negative"),
    ("¥-5", "negative"),
    ("－５", "negative"),
    ("-0", "negative"),
    ("0", "zero"),
    ("0.00", "zero"),
    ("¥0", "zero"),
    ("000.0", "zero"),
    ("12.345", "too_many_decimals"),
    ("12.340", "too_many_decimals"),
    ("0.001", "too_many_decimals"),
    ("10000000000.01", "too_large"),
    ("99999999999", "too_large"),
    ("9" * 5000, "too_large"),
    ("1e3", "exponent"),
    ("1E3", "exponent"),
    ("1.5e2", "exponent"),
    ("2e-2", "exponent"),
    ("nan", "not_finite"),
    ("NaN", "not_finite"),
    ("inf", "not_finite"),
    ("-inf", "not_finite"),
    ("+Infinity", "not_finite"),
    ("∞", "not_finite"),
]


@pytest.mark.parametrize(("text", "fen"), ACCEPTED)
def test_accepted(text: str, fen: int) -> None:
    assert parse_amount(text) == fen


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount) as exc:
        parse_amount(text)
    assert exc.value.reason == reason
    assert exc.value.code == "invalid_amount"
    assert exc.value.text == text[:40]


def test_table_is_big_enough() -> None:
    assert len(ACCEPTED) + len(REFUSED) >= 40


def test_custom_max() -> None:
    assert parse_amount("10000000000") == MAX_FEN == 10**12
    assert parse_amount("200", max_fen=20_000) == 20_000
    with pytest.raises(InvalidAmount) as exc:
        parse_amount("200.01", max_fen=20_000)
    assert exc.value.reason == "too_large"


def test_not_a_string() -> None:
    for bad in (12, 12.5, None, b"12"):
        with pytest.raises(InvalidAmount) as exc:
            parse_amount(bad)  # type: ignore[arg-type]
        assert exc.value.reason == "not_a_number"


def test_huge_input_is_fast() -> None:
    huge = "1" * 1_000_000
    start = time.perf_counter()
    for text in (huge, "0" * 1_000_000 + "1" + "0" * 20, huge + ".5", "1." + "0" * 1_000_000):
        with pytest.raises(InvalidAmount):
            parse_amount(text)
    assert time.perf_counter() - start < 1.0


def test_leading_zeros_do_not_count_as_size() -> None:
    assert parse_amount("0" * 5000 + "1") == 100


@pytest.mark.parametrize(
    ("fen", "text"),
    [(1234, "¥12.34"), (1, "¥0.01"), (100, "¥1.00"), (0, "¥0.00"), (-100, "-¥1.00"), (-5, "-¥0.05"),
     (10**12, "¥10000000000.00")],
)
def test_format(fen: int, text: str) -> None:
    assert format_amount(fen) == text
    assert format_amount(fen, symbol=False) == text.replace("¥", "")


def test_format_refuses_non_int() -> None:
    for bad in (1.5, "12", True):
        with pytest.raises(TypeError):
            format_amount(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=10**10), st.booleans())
def test_round_trip(fen: int, symbol: bool) -> None:
    assert parse_amount(format_amount(fen, symbol=symbol)) == fen
