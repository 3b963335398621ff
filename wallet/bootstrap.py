"""Start-up work for a database that has the schema: create the system accounts."""
from __future__ import annotations

from wallet.context import Context
from wallet.ledger import ensure_system_accounts
from wallet.uow import transaction


async def bootstrap(ctx: Context) -> None:
    async def body(conn):
        await ensure_system_accounts(conn, ctx.rules.system_account_shards)

    await transaction(ctx, body)
