"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
WALLET_TEST_DB=postgres (with WALLET_TEST_POSTGRES_URL pointing at a server we may create
databases on): the run creates its own database and drops it at the end.

`ctx` is a wallet Context on a fresh database with the sandbox bank and SMS and a fake
clock; when the test ends the audit runs, so a test that breaks an invariant fails."""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from wallet.models import metadata

BACKEND = os.environ.get("WALLET_TEST_DB", "sqlite")
# The risk engine (wallet/risk) is on in the bot as shipped; the suite's chat tests of other
# features run many payments in a few minutes (which it would rightly question), so it is off for
# them unless a test turns it on (Settings(risk_engine=True), or ctx.risk = settings.load()):
# tests/wallet/risk and tests/e2e/test_risk*.py do.
os.environ.setdefault("WALLET_RISK_ENGINE", "0")
PG_URL = os.environ.get("WALLET_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMTIzNDU="

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE: "default" (CI: Hypothesis's own defaults,
# and a few dozen examples of the state machine) or "long" (a long run: many more examples of
# every property test that does not fix its own count, and of the state machine). The state
# machine's examples each open a database, so it has a profile of its own for each.
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
_MACHINE = dict(deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=2_000, deadline=None)
settings.register_profile("state-machine-default", max_examples=30, stateful_step_count=30, **_MACHINE)
settings.register_profile("state-machine-long", max_examples=400, stateful_step_count=80, **_MACHINE)
if HYPOTHESIS_PROFILE != "default":
    settings.load_profile(HYPOTHESIS_PROFILE)


def state_machine_settings() -> settings:
    """The state machine's settings under HYPOTHESIS_PROFILE (an unknown profile is an error)."""
    return settings.get_profile(f"state-machine-{HYPOTHESIS_PROFILE}")


def _run(coro) -> None:
    """Run a coroutine to completion from sync code, even when an event loop is running here
    (a session fixture first requested from inside an async test): on a thread of its own."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def _pg_admin_dsn() -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_template():
    """Session-wide: the URL of a database of this run's own (PostgreSQL) or None (SQLite)."""
    if BACKEND != "postgres":
        yield None
        return
    name = f"wallet_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _run(_pg_exec(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"

    async def create_schema():
        from wallet.db import create_engine

        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await engine.dispose()

    _run(create_schema())
    yield url
    _run(_pg_exec(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
    _run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture
def database_url(database_template, tmp_path):
    if database_template is None:
        return f"sqlite+aiosqlite:///{tmp_path / 'wallet.db'}"
    return database_template


_SQLITE_SCHEMA: list[Path] = []  # this process's empty SQLite database with the schema, made once


def copy_sqlite_schema(dest: Path) -> None:
    """Make ``dest`` an empty SQLite database with the whole schema: a copy of one file that
    ``metadata.create_all`` filled once in this process (creating the schema per test cost
    ~60 ms of DDL each, ~1 min over the suite). Copied while no connection has it open; its
    last connection closed, so its WAL is checkpointed into the file (asserted). ``dest`` must
    be no database in use: a copy over an open file corrupts it."""
    if not _SQLITE_SCHEMA:
        import tempfile

        from wallet.db import create_engine

        path = Path(tempfile.mkdtemp(prefix="wallet-schema-")) / "schema.db"

        async def create():
            eng = create_engine(f"sqlite+aiosqlite:///{path}")
            async with eng.begin() as conn:
                await conn.run_sync(metadata.create_all)
            await eng.dispose()

        _run(create())
        assert not Path(f"{path}-wal").exists(), "the schema's WAL was not checkpointed"
        atexit.register(shutil.rmtree, path.parent, True)
        _SQLITE_SCHEMA.append(path)
    shutil.copyfile(_SQLITE_SCHEMA[0], dest)


@pytest.fixture
async def engine(database_url, database_template):
    from wallet.db import create_engine

    path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    fresh = database_template is None and not path.exists()
    if fresh:  # SQLite, the test's own file not made yet (the bot fixture may have migrated it)
        copy_sqlite_schema(path)
    # at most 20 connections: PostgreSQL allows 100 in all, and a test may hold two engines
    eng = create_engine(database_url, pool_size=20, max_overflow=0)
    if database_template is None and not fresh:  # a file already there, maybe open: what it lacks
        async with eng.begin() as conn:
            await conn.run_sync(metadata.create_all)
    elif database_template is not None:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with eng.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield eng
    await eng.dispose()


def make_context(engine, **rule_overrides):
    from wallet.bank import SandboxBank
    from wallet.clock import FakeClock
    from wallet.context import Context
    from wallet.pii import PiiBox
    from wallet.rules import Rules
    from wallet.sms import SandboxSms

    rules = Rules(**{"bcrypt_cost": 4, **rule_overrides})
    return Context(engine=engine, rules=rules, pii=PiiBox(PII_KEY), bank=SandboxBank(), sms=SandboxSms(), clock=FakeClock())


@pytest.fixture
async def ctx(engine):
    from wallet.audit import audit_engine, report
    from wallet.bootstrap import bootstrap

    context = make_context(engine)
    await bootstrap(context)
    yield context
    checks = await audit_engine(engine, now=context.now(), reconcile_seconds=context.rules.bank_reconcile_seconds)
    failed = [c for c in checks if not c.ok]
    assert not failed, "audit failed after the test:\n" + report(checks)


# --- tiers ----------------------------------------------------------------------------------------
# Every test is in one tier, by where it lives (a test may mark itself ``stress`` explicitly):
#   unit     pure functions, no database, no bot (tests/handlers: texts, rendering, parsers)
#   service  wallet services on the real database (tests/wallet)
#   chat     the bot through python-telegram-bot and the emulator (tests/e2e, tests/emulator, tests/bot)
#   stress   processes killed mid-operation, many concurrent tasks (tests/crash, *concurrency*), and
#            tests marked so where they live: hundreds of concurrent operations, the state machines
# ``make test-fast`` runs unit and service on SQLite (from their folders: FAST_PATHS in the Makefile,
# tests/handlers/test_tiers.py); ``make test`` runs everything.
TIERS = {"handlers": "unit", "wallet": "service", "e2e": "chat", "emulator": "chat", "bot": "chat", "crash": "stress"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.iter_markers(name="stress")):
            continue
        parts = item.path.relative_to(config.rootpath).parts
        tier = TIERS.get(parts[1]) if len(parts) > 2 and parts[0] == "tests" else None
        if "concurrency" in item.path.name:
            tier = "stress"
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
