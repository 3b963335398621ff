"""Money: amounts are ``int`` fen (¥1.00 == 100). No floats on the money path.

Parsing rules (``parse_amount``), chosen to be strict and unambiguous:

* accepted: ``12``, ``12.3``, ``12.34``, ``0.5``, ``.5`` (= ¥0.50), ``12.`` (= ¥12.00),
  leading zeros (``007``), a ``¥``/``￥`` prefix, a ``元``/``块`` suffix, surrounding
  whitespace (also the ideographic space), full-width digits and dots (``１２．３４``,
  and ``。`` as typed by Chinese IMEs).
* refused (``InvalidAmount.reason``): ``empty``; ``not_a_number`` (letters, commas or other
  thousands separators, several dots, a leading ``+``, inner spaces); ``negative`` (a leading
  minus, even ``-0``); ``zero``; ``too_many_decimals`` (more than two, even ``12.340``);
  ``too_large`` (above ``max_fen``; thousands of digits are refused by length, without
  building a huge int); ``exponent`` (``1e3``); ``not_finite`` (``nan``, ``inf``, ``infinity``, ``∞``).
"""
from __future__ import annotations

import re

from wallet.errors import InvalidAmount

__all__ = ["parse_amount", "format_amount", "require_amount", "MAX_FEN"]

MAX_FEN = 10**12  # ¥10,000,000,000.00

# Full-width forms -> ASCII (only these; no NFKC, which would also turn "²" into "2").
_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update({0xFF0E: ".", 0x3002: ".", 0xFFE5: "¥", 0xFF0D: "-", 0x2212: "-", 0xFF0B: "+"})
_FULLWIDTH = str.maketrans(_FULLWIDTH)

_NUMBER = re.compile(r"([0-9]*)(?:\.([0-9]*))?")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity|∞)", re.IGNORECASE)
_SYMBOLS = ("¥",)
_UNITS = ("元", "块")


def _refuse(reason: str, text: object) -> InvalidAmount:
    shown = text if isinstance(text, str) else repr(text)
    return InvalidAmount(reason=reason, text=shown[:40])


def parse_amount(text: str, *, max_fen: int = MAX_FEN) -> int:
    """Parse what a person typed into a positive amount in fen, or raise ``InvalidAmount``."""
    if not isinstance(text, str):
        raise _refuse("not_a_number", text)
    s = text.translate(_FULLWIDTH).strip()
    if not s:
        raise _refuse("empty", text)
    negative = False
    if s.startswith("-"):
        negative, s = True, s[1:].lstrip()
    if s.startswith(_SYMBOLS):
        s = s[1:].lstrip()
        if s.startswith("-") and not negative:
            negative, s = True, s[1:].lstrip()
    if s.endswith(_UNITS):
        s = s[:-1].rstrip()
    if not s:
        raise _refuse("empty" if not negative else "not_a_number", text)

    m = _NUMBER.fullmatch(s)
    if m is None or not (m.group(1) or m.group(2)):
        if _NOT_FINITE.fullmatch(s):
            raise _refuse("not_finite", text)
        if _EXPONENT.fullmatch(s):
            raise _refuse("exponent", text)
        raise _refuse("not_a_number", text)
    if negative:
        raise _refuse("negative", text)

    whole, frac = m.group(1).lstrip("0"), m.group(2) or ""
    if len(frac) > 2:
        raise _refuse("too_many_decimals", text)
    if len(whole) > len(str(max_fen)):  # cheap refusal of thousands of digits
        raise _refuse("too_large", text)
    fen = int(whole or "0") * 100 + int(frac.ljust(2, "0"))
    if fen > max_fen:
        raise _refuse("too_large", text)
    if fen == 0:
        raise _refuse("zero", text)
    return fen


def require_amount(value: object, *, max_fen: int = MAX_FEN) -> int:
    """The service boundary: ``value`` must be a plain positive ``int`` of fen, at most
    ``max_fen``; anything else (a float, a bool, a Decimal, a str, zero, negative, absurdly
    large) raises ``InvalidAmount`` before the operation has any effect."""
    if type(value) is not int:  # bool is an int subclass; Decimal/float/str are refused too
        raise _refuse("not_an_integer", value)
    if value < 0:
        raise _refuse("negative", value)
    if value == 0:
        raise _refuse("zero", value)
    if value > max_fen:
        raise _refuse("too_large", value)
    return value


def format_amount(fen: int, *, symbol: bool = True) -> str:
    """``1234`` -> ``¥12.34``; ``-100`` -> ``-¥1.00``; ``symbol=False`` -> ``12.34``."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amount must be int fen, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{'¥' if symbol else ''}{yuan}.{cents:02d}"
