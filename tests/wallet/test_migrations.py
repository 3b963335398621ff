"""Alembic migrations build exactly the schema of wallet.models (SQLite, and PostgreSQL when
the suite runs on it). Plain sync tests: upgrade_head runs its own event loop."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, inspect

from wallet.db import create_engine
from wallet.migrate import alembic_config, upgrade_head
from wallet.models import metadata

BACKEND = os.environ.get("WALLET_TEST_DB", "sqlite")
PG_URL = os.environ.get("WALLET_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def _diff_and_state(sync_conn):
    mc = MigrationContext.configure(sync_conn, opts={"compare_type": True, "compare_server_default": False})
    insp = inspect(sync_conn)
    tables = set(insp.get_table_names())
    # autogenerate does not compare CHECK constraints: those protect money, so compare their names
    checks = {t: {c["name"] for c in insp.get_check_constraints(t)} for t in tables if t != "alembic_version"}
    return compare_metadata(mc, metadata), mc.get_current_revision(), tables, checks


def _model_checks():
    return {t.name: {c.name for c in t.constraints if isinstance(c, CheckConstraint)} for t in metadata.sorted_tables}


async def _inspect(url):
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff_and_state)
    finally:
        await engine.dispose()


def _check(url):
    upgrade_head(url)
    diffs, revision, tables, checks = asyncio.run(_inspect(url))
    assert diffs == [], diffs
    assert checks == _model_checks()
    assert revision == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert tables == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    upgrade_head(url)  # running it again is harmless
    assert asyncio.run(_inspect(url))[0] == []


def test_one_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_heads()
    assert len(heads) == 1


def test_sqlite_migrations_match_the_models(tmp_path):
    _check(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'wallet.db'}")  # creates the folder too


def test_migrated_sqlite_database_works_for_the_services(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'wallet.db'}"
    upgrade_head(url)

    async def scenario():
        from tests.conftest import make_context
        from tests.wallet.helpers import make_person
        from wallet.audit import audit_engine
        from wallet.bootstrap import bootstrap

        engine = create_engine(url)
        try:
            ctx = make_context(engine)
            await bootstrap(ctx)
            await make_person(ctx, 1, balance=5_000)
            return await audit_engine(engine, now=ctx.now())
        finally:
            await engine.dispose()

    checks = asyncio.run(scenario())
    assert all(c.ok for c in checks), checks


async def _pg(sql):
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL runs only with WALLET_TEST_DB=postgres")
def test_postgres_migrations_match_the_models():
    name = f"wallet_migrate_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        _check(f"{PG_URL.rsplit('/', 1)[0]}/{name}")
    finally:
        asyncio.run(_pg(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}"'))


def _round_trip(url):
    """The newest migration downgrades (with data in the tables) and upgrades again to exactly
    the models' schema."""
    from alembic import command

    _check(url)

    async def seed():
        from tests.conftest import make_context
        from tests.wallet.helpers import make_person
        from wallet.bootstrap import bootstrap

        engine = create_engine(url)
        try:
            ctx = make_context(engine)
            await bootstrap(ctx)
            await make_person(ctx, 1, balance=5_000)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    cfg = alembic_config(url)
    script = ScriptDirectory.from_config(cfg)
    head = script.get_revision(script.get_current_head())
    command.downgrade(cfg, head.down_revision)
    assert asyncio.run(_inspect(url))[1] == head.down_revision
    _check(url)


def test_sqlite_newest_migration_downgrades_and_upgrades(tmp_path):
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'wallet.db'}")


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL runs only with WALLET_TEST_DB=postgres")
def test_postgres_newest_migration_downgrades_and_upgrades():
    name = f"wallet_migrate_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(f"{PG_URL.rsplit('/', 1)[0]}/{name}")
    finally:
        asyncio.run(_pg(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}"'))
