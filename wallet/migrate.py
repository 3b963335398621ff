"""Alembic, driven from code: `wallet-bot migrate` and the tests use these."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_head(database_url: str) -> None:
    """Bring the database to the newest schema. Creates a SQLite file's folder if needed.
    Must be called outside a running event loop (Alembic's async env runs its own)."""
    if database_url.startswith("sqlite") and ":///" in database_url:
        path = database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    # "heads": branches of migrations made side by side (re-chained at merge) all apply
    command.upgrade(alembic_config(database_url), "heads")
