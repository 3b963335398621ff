"""Chinese resident ID numbers (GB 11643-1999): 6-digit region, YYYYMMDD birth date,
3-digit sequence (odd = male), and an ISO 7064 MOD 11-2 check character (0-9 or X).

``validate_id_number`` raises ``InvalidIdNumber(reason)`` with reason, checked in this order:
``length`` (not 18 characters), ``format`` (not 17 digits + digit/X), ``region`` (first digit
not 1-8), ``birth_date`` (not a real date, before 1900 or in the future), ``checksum``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from wallet.errors import InvalidIdNumber

__all__ = ["IdNumber", "validate_id_number", "check_character", "make_test_id_number", "mask_id_number"]

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK = "10X98765432"
_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_FULLWIDTH = str.maketrans({**{0xFF10 + i: ord("0") + i for i in range(10)}, 0xFF38: "X", 0xFF58: "X"})


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def mask_id_number(number: str) -> str:
    """``110101199003071234`` -> ``110***********1234`` (first 3, last 4)."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)


@dataclass(frozen=True)
class IdNumber:
    """A validated ID number. ``repr`` never shows the full number."""
    number: str = field(repr=False)  # normalized: 18 characters, upper-case X
    birth_date: date
    region: str = field(repr=False)

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    @property
    def sex(self) -> str:
        """``'M'`` or ``'F'`` from the parity of the 17th digit."""
        return "M" if int(self.number[16]) % 2 else "F"

    def __str__(self) -> str:
        return self.masked


def validate_id_number(text: str, *, today: date | None = None) -> IdNumber:
    """Normalize (strip spaces, full-width digits, ``x`` -> ``X``) and validate."""
    s = re.sub(r"\s+", "", str(text)).translate(_FULLWIDTH).upper()
    if len(s) != 18:
        raise InvalidIdNumber(reason="length")
    if not _FORMAT.fullmatch(s):
        raise InvalidIdNumber(reason="format")
    if s[0] not in "12345678":
        raise InvalidIdNumber(reason="region")
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidIdNumber(reason="birth_date") from None
    if birth.year < 1900 or birth > (today or date.today()):
        raise InvalidIdNumber(reason="birth_date")
    if check_character(s[:17]) != s[17]:
        raise InvalidIdNumber(reason="checksum")
    return IdNumber(number=s, birth_date=birth, region=s[:6])


def make_test_id_number(birth: date, region: str = "110101", seq: str = "123") -> str:
    """A valid ID number for tests and the sandbox (no real person's)."""
    if not (len(region) == 6 and region.isdigit() and len(seq) == 3 and seq.isdigit()):
        raise ValueError("region is 6 digits, seq is 3 digits")
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq}"
    return body + check_character(body)
