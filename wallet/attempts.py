"""Which operations the current task asked the wallet to run (their scoped idempotency keys).

A caller that wants to say afterwards whether anything happened (the chat's error handler: "nothing
was paid" / "it went through") opens a record at the start of its unit of work; every caller key the
services scope on that task (``uow.caller_key``) is noted in it. ``wallet.services.outcomes``
then tells which of those operations committed. Outside a record nothing is kept.

    attempts.begin()            # at the start of one update (a fresh record for this task)
    ...                         # services run; each scoped key is noted
    attempts.current()          # ("u42:top_up:tg:42:topup:AbC...", ...)
"""
from __future__ import annotations

from contextvars import ContextVar

_record: ContextVar[list[str] | None] = ContextVar("wallet_attempts", default=None)

MAX_KEPT = 32  # one update runs a handful of operations; never grow without bound


def begin() -> None:
    """Start a fresh record for the current task (asyncio tasks each carry their own)."""
    _record.set([])


def note(scoped_key: str) -> None:
    record = _record.get()
    if record is not None and scoped_key not in record and len(record) < MAX_KEPT:
        record.append(scoped_key)


def current() -> tuple[str, ...]:
    record = _record.get()
    return tuple(record) if record else ()
