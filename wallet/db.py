"""Engines for SQLite (embedded default) and PostgreSQL, set up for money.

SQLite: WAL, synchronous=FULL (a setting), busy_timeout, and every transaction starts with
BEGIN IMMEDIATE so a reader that later writes never fails with "database is locked".
Both hide bound parameters from error messages and logs (they may carry PII or keys).
(SQLAlchemy's documented recipe: disable pysqlite's own BEGIN, emit ours in the begin event.)
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(engine_or_url) -> bool:
    url = engine_or_url.url if hasattr(engine_or_url, "url") else make_url(str(engine_or_url))
    return url.get_backend_name() == "sqlite"


def create_engine(url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 10,
                  max_overflow: int | None = None, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            # let SQLAlchemy (and us) control BEGIN instead of the driver
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn):  # pragma: no cover
            # reads may say so (execution_options(readonly=True)) and share the database
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")

        return engine
    overflow = pool_size * 2 if max_overflow is None else max_overflow
    return create_async_engine(url, echo=echo, hide_parameters=True, pool_size=pool_size, max_overflow=overflow,
                               pool_pre_ping=False)
