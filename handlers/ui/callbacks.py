"""callback_data: the grammar every button follows, checked before any flow sees a press.

Every button the bot sends carries ``<prefix>:<field>[:<field>…]`` (DESIGN §4, §8): a short
lower-case prefix naming the feature, then fields of ``[A-Za-z0-9_.-]``, 64 bytes at most. Row ids
are decimal numbers within a database integer (0 … 2³¹−1, what PostgreSQL's ``integer`` holds).

The gate (``handlers.fallback.register_gate``, added by bot/app.py before every flow) answers any
press that breaks the grammar (``well_formed``: including a number a database integer cannot
hold) with "this button is no longer valid" and stops it there, so no flow ever parses an id the
database cannot hold.

A feature states each of its buttons once, as a typed ``Button`` (its ``callbacks.py``): the same
class builds the data and parses it, and its ``pattern()`` is what the handler registers::

    @dataclass(frozen=True)
    class Accept(Button, prefix="tf", verb="acc"):
        transfer_id: int                       # int: a row id (0 … 2³¹−1); str: a token

    markup = InlineKeyboardButton("Accept", callback_data=Accept(42).data())     # "tf:acc:42"
    app.add_handler(CallbackQueryHandler(on_accept, pattern=Accept.pattern()))
    press = Accept.parse(update.callback_query.data)                           # Accept(transfer_id=42)

Nonces and tokens in buttons are never all digits (``handlers.ui.common.new_nonce``), so a field
of digits is always a number.

The features' buttons are in ``handlers/<feature>/callbacks.py``; the shared pieces' here: the PIN
keypad's keys (``PinKey``, ``pin:<d|x|c>:<position>:<nonce>``, drawn by handlers/ui/keypad_screen.py)
and the confirm screens' (``ConfirmPress``: one class per feature prefix, ``confirm_button(prefix)``,
alias ``handlers.ui.confirm.button``; here so that a feature's callbacks.py needs nothing but this module).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Callable, ClassVar, TypeVar


ID_MAX = 2**31 - 1
MAX_BYTES = 64

_GRAMMAR = re.compile(r"[a-z]{1,12}(?::[A-Za-z0-9_.-]{1,48}){0,6}")
_NUMBER = re.compile(r"-?[0-9]+")  # ASCII digits only (\d and str.isdigit take any script's)
_ROW_ID = re.compile(r"[0-9]{1,10}")
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,48}")
B = TypeVar("B", bound="Button")


def row_id(field: str) -> int | None:
    """A row id field as an int, or None when it is not one (not digits, negative, too large)."""
    if not _ROW_ID.fullmatch(field):
        return None
    value = int(field)
    return value if value <= ID_MAX else None


def token(nbytes: int) -> str:
    """A random field for a button (a nonce): ``secrets.token_urlsafe(nbytes)`` that never reads as
    a number, so the gate never takes it for an id."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not _NUMBER.fullmatch(value):
            return value


def in_bounds(field: str) -> bool:
    """A number field a database integer can hold (a negative one is left to the flow to refuse)."""
    digits = field.lstrip("-")
    return len(digits) <= 10 and int(digits) <= ID_MAX


def well_formed(data: object) -> bool:
    """True when ``data`` follows the grammar and every number in it fits a database integer."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES or not _GRAMMAR.fullmatch(data):
        return False
    return all(in_bounds(f) for f in data.split(":")[1:] if _NUMBER.fullmatch(f))


class Button:
    """One button's callback_data, typed: ``<prefix>:<verb>:<field>…`` (fields in declaration order).

    Subclass it as a frozen dataclass with ``prefix=`` and ``verb=`` class arguments; each field is
    an ``int`` (a row id, within 0 … ID_MAX) or a ``str`` (a token of ``[A-Za-z0-9_.-]``)."""

    prefix: ClassVar[str] = ""
    verb: ClassVar[str] = ""

    def __init_subclass__(cls, *, prefix: str = "", verb: str = "", **kw) -> None:
        super().__init_subclass__(**kw)
        if prefix:
            cls.prefix = prefix
        if verb:
            cls.verb = verb

    def data(self) -> str:
        head = [self.prefix] + ([self.verb] if self.verb else [])
        out = ":".join([*head, *(str(getattr(self, f.name)) for f in fields(self))])
        if not well_formed(out) or type(self).parse(out) != self:
            raise ValueError(f"{type(self).__name__} cannot carry {out!r}")
        return out

    @classmethod
    def parse(cls: type[B], data: object) -> B | None:
        """The button this data names, or None when it is not exactly one of these."""
        if not isinstance(data, str):
            return None
        head = [cls.prefix] + ([cls.verb] if cls.verb else [])
        parts = data.split(":")
        declared = fields(cls)
        if parts[:len(head)] != head or len(parts) != len(head) + len(declared):
            return None
        values = {}
        for f, raw in zip(declared, parts[len(head):]):
            if f.type in ("int", int):
                value = row_id(raw)
                if value is None:
                    return None
            elif _TOKEN.fullmatch(raw) and not _NUMBER.fullmatch(raw):
                value = raw
            else:
                return None
            values[f.name] = value
        return cls(**values)

    @classmethod
    def pattern(cls) -> Callable[[object], bool]:
        """For ``CallbackQueryHandler(..., pattern=X.pattern())``: true for this button's data only."""
        return lambda data: cls.parse(data) is not None


@dataclass(frozen=True)
class Fixed(Button):
    """``<prefix>:<verb>:0``: a screen of no particular row (the 0 is part of the button); subclass
    it with ``prefix=`` and ``verb=``."""

    zero: int = 0

    @classmethod
    def parse(cls, data: object):
        press = super().parse(data)
        return press if press is not None and press.zero == 0 else None


@dataclass(frozen=True)
class PinKey(Button, prefix="pin"):
    """A key of the PIN keypad (handlers/ui/keypad_screen.py): ``pin:<d|x|c>:<position>:<nonce>``.

    ``d`` the key at ``position`` (0 … 9; the digit it shows lives in memory only, never in the
    data), ``x`` delete and ``c`` cancel (position 0); ``nonce`` (6 … 16 of ``[A-Za-z0-9_-]``) names
    the keypad it was drawn on. Anything else under ``pin:`` does not parse."""

    action: str
    position: int
    nonce: str

    DIGIT, DELETE, CANCEL = "d", "x", "c"

    @classmethod
    def parse(cls, data: object) -> "PinKey | None":
        key = super().parse(data)
        if key is None or key.action not in (cls.DIGIT, cls.DELETE, cls.CANCEL) or key.position > 9:
            return None
        return key if _PIN_NONCE.fullmatch(key.nonce) else None


_PIN_NONCE = re.compile(r"[A-Za-z0-9_-]{6,16}")


@dataclass(frozen=True)
class ConfirmPress(Button):
    """A press on a confirm screen (handlers/ui/confirm.py): ``<prefix>:<action>:<row id>:<nonce>``
    (the draft's nonce)."""

    action: str
    row_id: int
    nonce: str


@lru_cache(maxsize=None)
def confirm_button(prefix: str) -> type[ConfirmPress]:
    """The confirm button of the feature with this prefix (one class per prefix)."""
    return type(f"Confirm[{prefix}]", (ConfirmPress,), {"__module__": "handlers.ui.confirm"}, prefix=prefix)
