"""One thread hop per SQLite transaction: run a plain sync function on the stdlib ``sqlite3``
connection of a pooled aiosqlite connection, in that connection's own worker thread, inside
``BEGIN IMMEDIATE ... COMMIT``.

aiosqlite runs every call in one thread per connection (a queue of functions, each answered
through a future); awaiting statement by statement costs a hop per statement. ``in_write_tx``
hands the thread the whole transaction as one function (aiosqlite's ``Connection._execute``,
the call its own methods use), so the event loop waits once.

Same durability as ``wallet.uow.transaction``: the pooled connection keeps the engine's
settings (WAL, synchronous, busy_timeout, foreign keys; ``wallet.db``), the transaction starts
with ``BEGIN IMMEDIATE``, the writers of this process queue on ``ctx.write_gate`` (gate first,
then the connection, as the unit of work does, so neither waits on the other in reverse), and
"database is locked" (another process holding the write lock past busy_timeout) retries the
whole of it. The caller gets its answer only after the COMMIT returned.

``fn(db, *args)`` returning None means "declined": everything it wrote is rolled back. An
exception rolls back too and is raised here."""
from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from typing import Any, Callable, TypeVar

from wallet.context import Context
from wallet.group_commit import GroupCommit, of_this_loop

log = logging.getLogger("wallet.sqlite_hop")
T = TypeVar("T")
ATTEMPTS = 12


def is_locked(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("database is locked" in msg or "database is busy" in msg)


def _tx(db: sqlite3.Connection, fn: Callable[..., T | None], args: tuple) -> T | None:
    """In the worker thread: the whole transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db, *args)
        db.execute("COMMIT" if result is not None else "ROLLBACK")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return result


async def on_connection_thread(aconn, fn: Callable[..., T], *args: Any) -> T:
    """``fn(db, *args)`` in the worker thread of an ``aiosqlite.Connection`` (``db``: its stdlib
    connection). The one place that uses aiosqlite's private API (``_execute``, ``_conn``): the
    version is pinned exactly (pyproject.toml) and tests/wallet/test_aiosqlite_contract.py fails
    loudly if a release changes it."""
    return await aconn._execute(fn, aconn._conn, *args)


async def _once(ctx: Context, fn, args: tuple):
    # the gate first, then the connection, as uow.transaction does (a writer waiting for the
    # gate holds no connection, so the gate's holder always gets one); the gate is let go as
    # soon as the COMMIT returned, before the pool's reset of the connection (one more thread
    # hop, a no-op rollback: the transaction is over), so the next writer need not wait for it
    gate = ctx.write_gate
    await gate.acquire()
    try:
        conn = await ctx.engine.connect().start()
    except BaseException:
        gate.release()
        raise
    try:
        try:
            raw = await conn.get_raw_connection()
            return await on_connection_thread(raw.driver_connection, _tx, fn, args)
        finally:
            gate.release()
    finally:
        await conn.close()


async def in_write_tx(ctx: Context, fn: Callable[..., T | None], *args: Any) -> T | None:
    """``fn(db, *args)`` in one write transaction, in the connection's thread (one hop)."""
    for attempt in range(ATTEMPTS):
        try:
            return await _once(ctx, fn, args)
        except sqlite3.OperationalError as exc:
            if not is_locked(exc) or attempt == ATTEMPTS - 1:
                raise
            log.info("sqlite write lock busy, retrying (attempt %d)", attempt + 1)
            await asyncio.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    raise AssertionError("unreachable")


# --- group commit --------------------------------------------------------------------------
# Concurrent requests of this process share one write transaction: while one transaction is in
# the worker thread the next requests queue, and the next transaction takes them all, each in
# its own SAVEPOINT (its own key, its own checks, its own answer). A request whose function
# declines (None) or fails rolls back its savepoint only and is answered None (its caller then
# takes the general path, which raises the precise error or replays); the others commit. Every
# request is answered only after the COMMIT returned. If the transaction fails as a whole,
# nothing of it was written and every request in it is answered None. A lone request never
# waits for a timer: the first one starts a transaction at once (a transaction of one). The
# engine is wallet.group_commit's: one transaction in flight at a time, at most GROUP_MAX
# requests in it, one turn of the event loop after each (GROUP_TURN).
GROUP_MAX = 64
GROUP_TURN = True  # measured in bench/REPORT.md ("SQLite fast path")


def _group(db: sqlite3.Connection, items: list[tuple[Callable[..., Any], tuple]]) -> list[Any]:
    out = []
    for fn, args in items:
        db.execute("SAVEPOINT grouped")
        try:
            result = fn(db, *args)
        except Exception:
            log.warning("grouped request %s failed; rolled back alone, general path", getattr(fn, "__name__", fn),
                        exc_info=True)
            result = None
        if result is None:
            db.execute("ROLLBACK TO grouped")
        db.execute("RELEASE grouped")
        out.append(result)
    return out


def group(ctx: Context) -> GroupCommit:
    """This event loop's group of ``ctx``: requests are (fn, args); a batch is one transaction."""
    ctx.sqlite_group = of_this_loop(ctx.sqlite_group, lambda: GroupCommit(
        lambda items: in_write_tx(ctx, _group, items), failed=None, limit=GROUP_MAX, turn=GROUP_TURN,
        name="sqlite group commit"))
    return ctx.sqlite_group


async def grouped(ctx: Context, fn: Callable[..., T | None], *args: Any) -> T | None:
    """``fn(db, *args)`` in this process's next group transaction, in its own savepoint."""
    return await group(ctx).submit((fn, args))
