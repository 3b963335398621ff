"""Unit of work: one database transaction per operation, retried on transient conflicts,
with an idempotency key that makes a repeated request replay the first result.

Keys live in two namespaces that cannot meet:
- a caller's key (what a handler or client passes to a service) is checked by ``caller_key``
  first thing — before a PIN check, a bank call or any SQL — and stored scoped by the person
  and the operation: ``u<user_id>:<op>:<key>``. The same key used by another person, or for
  another operation, is another key: it can only ever replay its own caller's own request.
- the wallet's own keys (sweeps, bank settlements) are ``sys:<...>`` (``internal_key``), which
  no scoped caller key can equal.
``idempotent`` refuses any key that is in neither form, so a service that forgot to scope one
fails loudly instead of sharing the space."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from typing import Any, Awaitable, Callable, TypeVar

import re

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.attempts import note as note_attempt
from wallet.context import Context
from wallet.errors import IdempotencyConflict, InvalidKey
from wallet.models import operations

log = logging.getLogger("wallet.uow")
T = TypeVar("T")

# PostgreSQL: deadlock_detected, serialization_failure; SQLite: database is locked/busy.
_TRANSIENT_SQLSTATES = {"40P01", "40001"}


def is_transient(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _TRANSIENT_SQLSTATES:
        return True
    msg = str(orig).lower()
    return "database is locked" in msg or "database is busy" in msg or "deadlock detected" in msg


async def transaction(ctx: Context, fn: Callable[[AsyncConnection], Awaitable[T]], *, attempts: int = 12) -> T:
    """Run ``fn(conn)`` in one transaction; retry the whole of it on a transient conflict."""
    gate = ctx.write_gate if ctx.sqlite else contextlib.nullcontext()
    for attempt in range(attempts):
        try:
            async with gate, ctx.engine.begin() as conn:
                return await fn(conn)
        except DBAPIError as exc:
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            log.info("transient conflict, retrying (attempt %d): %s", attempt + 1, type(exc.orig).__name__)
            await asyncio.sleep(random.uniform(0, 0.005 * 2**min(attempt, 6)))
    raise AssertionError("unreachable")


KEY_MAX = 160  # a caller's key; scoped keys and internal ones fit the 255 of the key columns
_PRINTABLE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces, no NUL
_STORED = re.compile(r"(?:u-?[0-9]+:[a-z_]+:|sys:)[\x21-\x7e]+")


def check_key(key: object) -> str:
    """A caller's idempotency key as given, or InvalidKey (a typed error, raised before the
    operation does anything)."""
    if not isinstance(key, str):
        raise InvalidKey(reason="not_text")
    if not key:
        raise InvalidKey(reason="empty")
    if len(key) > KEY_MAX:
        raise InvalidKey(reason="too_long")
    if not _PRINTABLE.fullmatch(key):
        raise InvalidKey(reason="characters")
    return key


def caller_key(key: object, *, op: str, user_id: int) -> str:
    """Check a caller's key and scope it to the acting person and the operation (noted in the
    task's ``wallet.attempts`` record, if one is open)."""
    scoped = f"u{int(user_id)}:{op}:{check_key(key)}"
    note_attempt(scoped)
    return scoped


def internal_key(*parts: object) -> str:
    """A key of the wallet's own (sweeps, settlements): ``sys:part:part…``."""
    return "sys:" + ":".join(str(p) for p in parts)


def require_stored_key(key: str) -> str:
    """Every key written to the operations or journal tables is scoped or internal."""
    if not isinstance(key, str) or len(key) > 255 or not _STORED.fullmatch(key):
        raise ValueError(f"unscoped idempotency key {key!r}: use uow.caller_key or uow.internal_key")
    return key


def request_hash(op: str, request: dict[str, Any]) -> str:
    blob = json.dumps({"op": op, **request}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def insert_ignore(conn: AsyncConnection, table, **values):
    """INSERT ... ON CONFLICT DO NOTHING for the connection's dialect (statement only)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


async def idempotent(
    ctx: Context,
    *,
    key: str,
    op: str,
    user_id: int | None,
    request: dict[str, Any],
    fn: Callable[[AsyncConnection], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run ``fn`` once per key. The same key with the same request replays the stored result;
    with a different request it raises IdempotencyConflict. A failed run stores nothing, so
    the key may be retried. The result is a JSON-able dict and is returned as JSON gives it back,
    so a fresh and a replayed answer are identical. ``key`` is already scoped
    (``caller_key``) or internal (``internal_key``)."""
    require_stored_key(key)
    digest = request_hash(op, request)

    async def body(conn: AsyncConnection) -> dict[str, Any]:
        claimed = await conn.execute(
            insert_ignore(conn, operations, key=key, op=op, user_id=user_id, request_hash=digest,
                          result="", created_at=ctx.now())
        )
        if claimed.rowcount == 0:
            row = (await conn.execute(
                select(operations.c.request_hash, operations.c.result).where(operations.c.key == key)
            )).one()
            if row.request_hash != digest:
                raise IdempotencyConflict(key=key)
            log.info("replay op=%s user=%s key=%s", op, user_id, key)
            return json.loads(row.result)
        result = json.loads(json.dumps(await fn(conn), default=str))
        await conn.execute(
            operations.update().where(operations.c.key == key).values(result=json.dumps(result))
        )
        log.info("done op=%s user=%s key=%s", op, user_id, key)
        return result

    return await transaction(ctx, body)


async def read(ctx: Context, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run a read-only ``fn(conn)`` in one consistent snapshot (no write lock on SQLite)."""
    async with ctx.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # one statement, BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY: nothing can run
            # between the BEGIN and the isolation level (a separate SET TRANSACTION could meet a
            # connection that already ran a query and fail)
            conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn = await conn.execution_options(readonly=True)
        async with conn.begin():
            return await fn(conn)


async def replay(ctx: Context, *, key: str, op: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """The stored result of a finished operation with this key, or None. Operations with steps
    outside the database (SMS code, PIN, the bank) look here first, so a retry after success
    replays instead of asking for a code or the bank again."""
    require_stored_key(key)

    async def body(conn: AsyncConnection):
        row = (await conn.execute(
            select(operations.c.request_hash, operations.c.result).where(operations.c.key == key)
        )).one_or_none()
        if row is None:
            return None
        if row.request_hash != request_hash(op, request):
            raise IdempotencyConflict(key=key)
        return json.loads(row.result)

    return await read(ctx, body)
