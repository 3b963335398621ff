"""The contract wallet/sqlite_hop.py relies on: aiosqlite's private ``Connection._execute`` runs a
function in the connection's own worker thread and ``Connection._conn`` is its stdlib connection.
pyproject.toml pins aiosqlite exactly; if a new release changes either, this fails by name."""
from __future__ import annotations

import sqlite3
import threading

import aiosqlite

from wallet.sqlite_hop import on_connection_thread

PINNED = "0.22.1"


def test_aiosqlite_is_the_pinned_version():
    assert aiosqlite.__version__ == PINNED, (
        f"aiosqlite {aiosqlite.__version__} is not {PINNED}: check Connection._execute and _conn "
        "(wallet/sqlite_hop.py) against the new release, then move the pin here and in pyproject.toml")


async def test_private_execute_runs_on_the_connection_thread_with_the_stdlib_connection(tmp_path):
    async with aiosqlite.connect(tmp_path / "c.db") as conn:
        await conn.execute("CREATE TABLE t (x INTEGER)")
        await conn.commit()

        def work(db, value):
            assert isinstance(db, sqlite3.Connection)
            db.execute("INSERT INTO t VALUES (?)", (value,))
            db.commit()
            return threading.get_ident(), db.execute("SELECT sum(x) FROM t").fetchone()[0]

        thread, total = await on_connection_thread(conn, work, 41)
        assert thread != threading.get_ident() and total == 41
        thread_again, total = await on_connection_thread(conn, work, 1)
        assert thread_again == thread and total == 42  # the same worker thread each time
