"""wallet.idnumber: GB 11643-1999 resident ID numbers."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from wallet.errors import InvalidIdNumber
from wallet.idnumber import check_character, make_test_id_number, mask_id_number, validate_id_number

TODAY = date(2024, 6, 1)


def test_standard_example_with_x() -> None:
    # The example from GB 11643-1999: 110105 19491231 002 X
    idn = validate_id_number("11010519491231002X", today=TODAY)
    assert idn.number == "11010519491231002X"
    assert idn.birth_date == date(1949, 12, 31)
    assert idn.region == "110105"
    assert idn.sex == "F"  # 002 is even
    assert idn.masked == "110***********002X"
    assert str(idn) == idn.masked
    assert "11010519491231002X" not in repr(idn)


def test_lower_case_x_spaces_and_full_width_are_normalized() -> None:
    assert validate_id_number(" 110105 19491231 002x ").number == "11010519491231002X"
    assert validate_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


def test_made_numbers_validate() -> None:
    n = make_test_id_number(date(1990, 3, 7))
    assert n == "110101199003071233"
    idn = validate_id_number(n)
    assert idn.birth_date == date(1990, 3, 7)
    assert idn.sex == "M"
    assert idn.masked == "110***********1233"
    assert validate_id_number(make_test_id_number(date(2000, 2, 29), "440305", "456")).region == "440305"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "length"),
        ("11010519491231002", "length"),  # 17
        ("11010519491231002X1", "length"),  # 19
        ("110105491231002", "length"),  # old 15-digit numbers are not accepted
        ("1101051949123100XX", "format"),
        ("X10105194912310021", "format"),
        ("11010519491231002Y", "format"),
        ("11010519491231-02X", "format"),
        ("01010519491231002X", "region"),
        ("91010519491231002X", "region"),
        ("110105194913310021", "birth_date"),  # month 13
        ("110105194902300021", "birth_date"),  # 30 February
        ("110105190002290021", "birth_date"),  # 1900 was no leap year
        ("440524188001010014", "birth_date"),  # valid checksum, but born 1880
        ("110105194912310021", "checksum"),
        ("110101199003071234", "checksum"),
    ],
)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as exc:
        validate_id_number(text, today=TODAY)
    assert exc.value.reason == reason


def test_future_birth_date_refused() -> None:
    tomorrow = date(2024, 6, 2)
    with pytest.raises(InvalidIdNumber) as exc:
        validate_id_number(make_test_id_number(tomorrow), today=TODAY)
    assert exc.value.reason == "birth_date"
    assert validate_id_number(make_test_id_number(TODAY), today=TODAY).birth_date == TODAY
    assert validate_id_number(make_test_id_number(date(1900, 1, 1))).birth_date == date(1900, 1, 1)


def test_leap_day() -> None:
    assert validate_id_number(make_test_id_number(date(2000, 2, 29))).birth_date == date(2000, 2, 29)


def test_make_test_id_number_checks_arguments() -> None:
    with pytest.raises(ValueError):
        make_test_id_number(date(1990, 1, 1), region="1101")
    with pytest.raises(ValueError):
        make_test_id_number(date(1990, 1, 1), seq="12a")


def test_mask() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("123") == "***"


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.from_regex(r"[1-8][0-9]{5}", fullmatch=True),
       st.from_regex(r"[0-9]{3}", fullmatch=True))
def test_every_made_number_validates_and_any_single_digit_change_breaks_it(birth, region, seq) -> None:
    n = make_test_id_number(birth, region, seq)
    assert validate_id_number(n, today=TODAY).birth_date == birth
    # MOD 11-2 catches every single-character substitution in the first 17 digits
    for i in (0, 7, 16):
        wrong = n[:i] + str((int(n[i]) + 1) % 10) + n[i + 1:]
        assert check_character(wrong[:17]) != wrong[17]
