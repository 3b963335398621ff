"""Typed drafts: what a chat flow keeps between the steps of a person's conversation, stated once.

A flow's draft lives in ``user_data["draft:<feature>"]`` as a plain dict (JSON, persisted by
bot/persistence.py, so a restart continues at the same step). Each flow states its draft once, as
a frozen dataclass in its package's ``draft.py`` subclassing ``Draft``: the fields, what each
means (amounts always in fen), which exist at which step, and the step it is at. The flow builds
and reads its draft only through that class:

    d = TransferDraft.start(context, recipient_id=7, name="Bob")  # a fresh nonce; stored
    d = TransferDraft.load(context)                               # None: no draft (the flow ended)
    d = TransferDraft.of(press.draft)                             # a stored dict (a confirm press)
    d = d.with_note("dinner").save(context)                       # a new value, stored in its place
    ui.op_key(update, "transfer", d.nonce)                        # the idempotency key, as always
    TransferDraft.drop(context)

The stored dict keeps the keys the flows always stored (a draft kept by older code reads back,
and ``of(stored).as_draft() == stored``): a field made with ``later()`` is set at a later step and
is absent from the dict while it holds its default (``"delay" in draft`` was how a flow told the
step); every other field is always stored, ``None`` included. Keys a class does not know are kept
as they were (``extra``). ``PaymentDraft`` adds what the 余额不足 offer keeps in a paying flow's
draft (handlers/ui/shortfall.py).
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Callable, ClassVar, Mapping, Self

from telegram.ext import ContextTypes

from handlers.ui import common as ui

LATER = "later"   # field metadata: absent from the stored dict while it holds its default
READ = "read"     # field metadata: how the stored value is read back (a nested part, a tuple)


def later(default: Any = None, *, read: Callable[[Any], Any] | None = None) -> Any:
    """A field that a later step sets: absent from the stored dict while it holds ``default``."""
    return field(default=default, metadata={LATER: True, **({READ: read} if read else {})})


def stored_as(read: Callable[[Any], Any], default: Any = MISSING) -> Any:
    """An always-stored field whose stored form is read back with ``read``."""
    return field(default=default, metadata={READ: read})


def _plain(value: Any) -> Any:
    """A field's value as JSON keeps it: a nested part as its dict, a tuple as a list."""
    if hasattr(value, "as_draft"):
        return value.as_draft()
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A draft of feature ``FEATURE``: ``nonce`` (12 characters, ``ui.new_nonce``) is carried by the
    draft's buttons and gives its operation's idempotency key; a new draft, a new nonce."""

    FEATURE: ClassVar[str] = ""

    nonce: str
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # stored keys not stated here

    # --- the stored dict -------------------------------------------------------------------------
    @classmethod
    def _stated(cls):
        return [f for f in fields(cls) if f.name != "extra"]

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Self:
        """The draft a stored dict holds (as kept by this class, or by the flows before it)."""
        stated = cls._stated()
        names = {f.name for f in stated}
        values = {}
        for f in stated:
            if f.name in stored:
                value = stored[f.name]
                read = f.metadata.get(READ)
                values[f.name] = read(value) if read is not None and value is not None else value
        return cls(**values, extra={k: v for k, v in stored.items() if k not in names})

    def as_draft(self) -> dict:
        """The dict kept in ``user_data`` (JSON): the keys the flow always stored."""
        out = {}
        for f in self._stated():
            value = getattr(self, f.name)
            if f.metadata.get(LATER) and value == f.default:
                continue
            out[f.name] = _plain(value)
        out.update((k, v) for k, v in self.extra.items() if k not in out)
        return out

    def replace(self, **changes: Any) -> Self:
        """The same draft (same nonce) with ``changes``; not stored until ``save``."""
        return replace(self, **changes)

    def renewed(self) -> Self:
        """The same fields under a fresh nonce: a new attempt, so a new idempotency key."""
        return replace(self, nonce=ui.new_nonce())

    # --- in user_data ----------------------------------------------------------------------------
    @classmethod
    def start(cls, context: ContextTypes.DEFAULT_TYPE, **values: Any) -> Self:
        """A new draft with a fresh nonce, stored (it replaces the feature's older one)."""
        return cls(nonce=ui.new_nonce(), **values).save(context)

    @classmethod
    def load(cls, context: ContextTypes.DEFAULT_TYPE) -> Self | None:
        """The person's live draft of this feature, or None."""
        stored = ui.draft(context, cls.FEATURE)
        return None if stored is None else cls.of(stored)

    def save(self, context: ContextTypes.DEFAULT_TYPE) -> Self:
        """Store this draft as the feature's live one (in place of what was there)."""
        ui.keep_draft(context, self.FEATURE, self.as_draft())
        return self

    @classmethod
    def drop(cls, context: ContextTypes.DEFAULT_TYPE) -> None:
        ui.drop_draft(context, cls.FEATURE)


# --- what the 余额不足 offer keeps in a paying draft (handlers/ui/shortfall.py) ----------------------
@dataclass(frozen=True)
class Short:
    """The balance was short when the confirm screen was drawn: the choices it offered."""

    amount: int     # fen: the whole payment
    short: int      # fen: what the balance lacked (amount - balance)
    card_id: int    # the card both choices charge
    last4: str

    def as_draft(self) -> dict:
        return {"amount": self.amount, "short": self.short, "card_id": self.card_id, "last4": self.last4}

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> "Short":
        return cls(amount=stored["amount"], short=stored["short"], card_id=stored["card_id"], last4=stored["last4"])


@dataclass(frozen=True)
class Funding:
    """The choice pressed: the card is charged ``top_up`` fen into the balance, then the payment
    is paid from the balance (wallet/services/funded.py)."""

    card_id: int
    last4: str
    top_up: int     # fen: the shortfall ("top up and pay") or the whole amount ("pay with the card")

    def as_draft(self) -> dict:
        return {"card_id": self.card_id, "last4": self.last4, "top_up": self.top_up}

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> "Funding":
        return cls(card_id=stored["card_id"], last4=stored["last4"], top_up=stored["top_up"])


@dataclass(frozen=True, kw_only=True)
class PaymentDraft(Draft):
    """A draft that ends in a payment from the balance (transfer, red packet, merchant payment):
    what handlers/ui/shortfall.py keeps in it. All absent until the confirm screen gets that far."""

    short: Short | None = later(read=Short.of)          # the balance was short: the choices offered
    funding: Funding | None = later(read=Funding.of)    # a choice pressed: paid through that card
    confirmed: bool = later(False)                      # "Pay" or a choice pressed: the PIN keypad is up
    declines: int = later(0)                            # times a chosen card declined (each retry: a new key)
