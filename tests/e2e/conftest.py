"""End-to-end tests: the real bot long-polling the emulator; people act through the control API."""
from tests.people import *  # noqa: F401,F403  (fixtures: emulator, people, bot, alice, bob, carol)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
async def _fresh_postgres(database_template):
    """On PostgreSQL the bot of every test runs on the run's one database: empty it first
    (the emulator gives each test's people the same ids). SQLite gets a new file per test."""
    if database_template is None:
        yield
        return
    from sqlalchemy import text

    from wallet.db import create_engine
    from wallet.models import metadata

    engine = create_engine(database_template)
    try:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
    yield
