"""`wallet-bot` command line: migrate, audit, run."""
from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import Settings


def _migrate(settings: Settings) -> int:
    from wallet.migrate import upgrade_head

    upgrade_head(settings.database_url)
    print(f"database is at the newest schema: {_safe_url(settings.database_url)}")
    return 0


def _audit(settings: Settings) -> int:
    from wallet.audit import run_audit_cli

    return asyncio.run(run_audit_cli(settings.database_url))


def _run(settings: Settings) -> int:
    from bot.run import run

    return run(settings)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wallet-bot", description="Wallet assistant for Telegram")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    sub.add_parser("audit", help="check every ledger invariant; exit non-zero on a violation")
    sub.add_parser("run", help="run the bot (on the local messenger when no token is set)")
    args = parser.parse_args(argv)
    settings = Settings()
    handler = {"migrate": _migrate, "audit": _audit, "run": _run}[args.command]
    return handler(settings)


if __name__ == "__main__":
    sys.exit(main())
