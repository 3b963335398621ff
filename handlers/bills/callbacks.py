"""Every button of the bills, stated once: the same class builds the callback_data, registers the
handler (``pattern=X.pattern()``) and parses the press (handlers/ui/callbacks.py).

The list's screens carry ``bill:<verb>:<id>:<view>``, where ``<view>`` is the list's page and
filters (``View``: ``2.o.tr.202611`` is page 2, money out, transfers, November 2026; ``1.a..`` page
1 of everything), so every screen can lead back to the same list:

    bill:ls:0:<view>             List         the list (a page, a filter)
    bill:mo:0:<view>             MonthPicker  all months, or one of the last 12
    bill:ki:0:<view>             KindPicker   all kinds, or one
    bill:dt:<journal id>:<view>  Detail       a bill line's detail
    bill:wt:<transfer id>:<view> Waiting      a transfer waiting for the person (Accept / Return)
    bill:sum:0:<view>            Summary      the monthly summary (a chart)
    bill:ex:0:<view>             Export       the export step
    bill:xm:<YYYYMM>             ExportMonth  the export of one month (also from an older message)
    bill:acc|ret|rev:<transfer id>:<nonce>    Accept / Return / Revoke on a detail (the detail's draft)

A ``bill:`` press none of these parses (a view that is not one, a month that is not one, a verb
that is not one) is refused by the bills' own catch-all (``is_bill``) with "this button is no
longer valid".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from telegram import InlineKeyboardButton

from handlers.ui.callbacks import Button

PREFIX = "bill"
# a bill's kind as carried in the view ('' for every kind)
CODES = {"transfer": "tr", "red_packet": "rp", "topup": "tu", "withdraw": "wd", "payment": "py", "fee": "fe",
         "savings": "sv", "interest": "it", "other": "ot"}
GROUP_OF = {v: k for k, v in CODES.items()}
DIRECTIONS = {"a": None, "i": "in", "o": "out"}  # all / money in / money out, as the wallet's bills() takes it
_VIEW = re.compile(r"([0-9]{1,4})\.([aio])\.([a-z]{0,2})\.((?:[0-9]{6})?)")


def valid_month(yyyymm: int) -> bool:
    """A month as carried in buttons (``202611``): from 1970 on, 01 … 12."""
    return 197001 <= yyyymm <= 999912 and 1 <= yyyymm % 100 <= 12


@dataclass(frozen=True)
class View:
    """A page of the list and its filters, as carried in callback_data (``token``)."""
    page: int = 1
    direction: str = "a"
    kind: str | None = None
    month: str | None = None  # local 'YYYY-MM'

    @property
    def token(self) -> str:
        return f"{self.page}.{self.direction}.{CODES.get(self.kind, '')}.{(self.month or '').replace('-', '')}"

    def at(self, page: int) -> str:
        return replace(self, page=page).token

    @classmethod
    def parse(cls, token: object) -> "View | None":
        """The view this token names, or None (not the format, page 0, an unknown kind or month)."""
        m = _VIEW.fullmatch(token) if isinstance(token, str) else None
        if m is None:
            return None
        page, direction, kind, month = m.groups()
        if (kind and kind not in GROUP_OF) or int(page) < 1 or (month and not valid_month(int(month))):
            return None
        return cls(int(page), direction, GROUP_OF.get(kind), f"{month[:4]}-{month[4:]}" if month else None)


@dataclass(frozen=True)
class OnList(Button, prefix=PREFIX):
    """``bill:<verb>:<id>:<view>``: a screen reached from the list, with the list's view."""

    row_id: int  # a journal or transfer id; 0 for the screens of the whole list
    view: str
    rowless: ClassVar[bool] = False  # True: the id is always 0

    @classmethod
    def of(cls, view: View, row_id: int = 0) -> "OnList":
        return cls(row_id, view.token)

    @classmethod
    def parse(cls, data: object):
        press = super().parse(data)
        if press is None or View.parse(press.view) is None or (cls.rowless and press.row_id != 0):
            return None
        return press

    @property
    def shown(self) -> View:
        return View.parse(self.view)


@dataclass(frozen=True)
class List(OnList, verb="ls"):
    """The list at this view (the id is not read: any number)."""


@dataclass(frozen=True)
class MonthPicker(OnList, verb="mo"):
    pass


@dataclass(frozen=True)
class KindPicker(OnList, verb="ki"):
    pass


@dataclass(frozen=True)
class Detail(OnList, verb="dt"):
    """``row_id``: the journal id of the person's bill line."""


@dataclass(frozen=True)
class Waiting(OnList, verb="wt"):
    """``row_id``: a transfer sent to the person, not accepted yet."""


@dataclass(frozen=True)
class Summary(OnList, verb="sum"):
    rowless: ClassVar[bool] = True


@dataclass(frozen=True)
class Export(OnList, verb="ex"):
    rowless: ClassVar[bool] = True


@dataclass(frozen=True)
class ExportMonth(Button, prefix=PREFIX, verb="xm"):
    """``bill:xm:202611``: export one month (``valid_month``)."""

    yyyymm: int

    @classmethod
    def of(cls, month: str) -> "ExportMonth":
        """From 'YYYY-MM'."""
        return cls(int(month.replace("-", "")))

    @classmethod
    def parse(cls, data: object):
        press = super().parse(data)
        return press if press is not None and valid_month(press.yyyymm) else None

    @property
    def month(self) -> str:
        return f"{self.yyyymm // 100:04d}-{self.yyyymm % 100:02d}"


@dataclass(frozen=True)
class Action(Button, prefix=PREFIX):
    """A transfer's button on a detail, with the detail's draft nonce (its operation's key)."""

    transfer_id: int
    nonce: str
    op: ClassVar[str] = ""  # the operation, for its key and the log
    done: ClassVar[str] = ""  # its ``transfer.done.<done>`` popup


@dataclass(frozen=True)
class Accept(Action, verb="acc"):
    op: ClassVar[str] = "transfer_accept"
    done: ClassVar[str] = "accepted"


@dataclass(frozen=True)
class Return(Action, verb="ret"):
    op: ClassVar[str] = "transfer_return"
    done: ClassVar[str] = "returned"


@dataclass(frozen=True)
class Revoke(Action, verb="rev"):
    op: ClassVar[str] = "transfer_revoke"
    done: ClassVar[str] = "revoked"


ACTIONS: tuple[type[Action], ...] = (Accept, Return, Revoke)


def any_of(*kinds: type[Button]):
    """For ``pattern=``: a press that any of these buttons parses."""
    return lambda data: any(k.parse(data) is not None for k in kinds)


def parse_any(data: object, *kinds: type[Button]) -> Button | None:
    return next((p for p in (k.parse(data) for k in kinds) if p is not None), None)


def is_bill(data: object) -> bool:
    """Any ``bill:`` press (the bills' catch-all, after every button above)."""
    return isinstance(data, str) and data.startswith(PREFIX + ":")


def button(label: str, press: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=press.data())

