"""The double-entry ledger: post a journal transaction whose entries sum to zero, updating
each account's cached balance in the same database transaction.

Accounts are touched in id order, so two postings over the same accounts take their row
locks in the same order on PostgreSQL and cannot deadlock. A debit is a conditional update
(the debit rule, ``debit_allowed``: ``allow_negative OR balance >= amount``); no row means not
enough money. The fast paths' statements write the same rule with ``debit_allowed_sql``.
"""
from __future__ import annotations

import zlib
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.context import Context
from wallet.errors import InsufficientBalance, WalletNotOpen
from wallet.models import SYSTEM_ACCOUNTS, accounts, entries, journal
from wallet.uow import insert_ignore

NEGATIVE_ALLOWED = {"bank_clearing", "interest_expense"}


def debit_allowed(amount: int):
    """The debit rule (taking ``amount`` > 0 fen out of an account), as a Core condition on
    ``accounts``: the account may go negative, or its balance covers the amount."""
    return or_(accounts.c.allow_negative, accounts.c.balance >= amount)


def debit_allowed_sql(*, amount: str, balance: str = "balance", allow_negative: str = "allow_negative") -> str:
    """``debit_allowed`` as SQL text over the given column/parameter expressions (the fast
    paths' statements: ``debit_allowed_sql(amount="?")``, ``(amount=":amount", balance="a.balance", ...)``)."""
    return f"({allow_negative} OR {balance} >= {amount})"


async def post(
    conn: AsyncConnection,
    *,
    key: str,
    kind: str,
    legs: Iterable[tuple[int, int]],
    now: datetime,
    user_id: int | None = None,
    counterparty_id: int | None = None,
    note: str | None = None,
    ref_type: str | None = None,
    ref_id: int | None = None,
) -> int:
    """Post one journal transaction. ``legs`` are (account_id, amount) with amounts in fen
    summing to zero. Returns the journal id. Raises InsufficientBalance on an overdraft.
    Amounts must be plain ``int`` fen (never a float, bool or Decimal: nothing is truncated)."""
    merged: dict[int, int] = {}
    for account_id, amount in legs:
        if type(amount) is not int or type(account_id) is not int:
            raise TypeError(f"posting {kind}: legs must be (int account id, int fen), got "
                            f"({type(account_id).__name__}, {type(amount).__name__})")
        merged[account_id] = merged.get(account_id, 0) + amount
    merged = {a: v for a, v in merged.items() if v != 0}
    if len(merged) < 2 or sum(merged.values()) != 0:
        raise ValueError(f"unbalanced posting {kind}: {merged}")

    tx_id = (await conn.execute(
        journal.insert().values(
            idem_key=key, kind=kind, user_id=user_id, counterparty_id=counterparty_id,
            note=note, ref_type=ref_type, ref_id=ref_id, created_at=now,
        ).returning(journal.c.id)
    )).scalar_one()

    for account_id in sorted(merged):
        amount = merged[account_id]
        stmt = accounts.update().where(accounts.c.id == account_id)
        if amount < 0:
            stmt = stmt.where(debit_allowed(-amount))
        res = await conn.execute(stmt.values(balance=accounts.c.balance + amount))
        if res.rowcount != 1:
            available = (await conn.execute(
                select(accounts.c.balance).where(accounts.c.id == account_id)
            )).scalar_one()
            raise InsufficientBalance(needed=-amount, available=available)

    await conn.execute(
        entries.insert(), [{"tx_id": tx_id, "account_id": a, "amount": v} for a, v in merged.items()]
    )
    return tx_id


async def ensure_system_accounts(conn: AsyncConnection, shards: int) -> None:
    for code in SYSTEM_ACCOUNTS:
        for shard in range(shards):
            await conn.execute(insert_ignore(
                conn, accounts, kind="system", code=code, shard=shard, balance=0,
                allow_negative=code in NEGATIVE_ALLOWED,
            ))


async def system_account(ctx: Context, conn: AsyncConnection, code: str, spread_by: int = 0) -> int:
    """The id of a shard of system account ``code``; ``spread_by`` (a user or row id) picks
    the shard, so busy system accounts do not become one hot row."""
    return await system_shard(ctx, conn, code, zlib.crc32(str(spread_by).encode()) % ctx.rules.system_account_shards)


async def system_shard(ctx: Context, conn: AsyncConnection, code: str, shard: int) -> int:
    """The id of shard ``shard`` of system account ``code``."""
    cached = ctx.system_ids.get((code, shard))
    if cached is not None:
        return cached
    row_id = (await conn.execute(
        select(accounts.c.id).where(and_(accounts.c.code == code, accounts.c.shard == shard))
    )).scalar_one_or_none()
    if row_id is None:
        raise RuntimeError("system accounts are missing: call wallet.bootstrap.bootstrap(ctx) at start-up")
    ctx.system_ids[(code, shard)] = row_id
    return row_id


async def wallet_account(conn: AsyncConnection, user_id: int, kind: str = "wallet") -> int:
    row_id = (await conn.execute(
        select(accounts.c.id).where(and_(accounts.c.user_id == user_id, accounts.c.kind == kind))
    )).scalar_one_or_none()
    if row_id is None:
        raise WalletNotOpen(user_id=user_id)
    return row_id


async def balance_of(conn: AsyncConnection, account_id: int) -> int:
    return (await conn.execute(select(accounts.c.balance).where(accounts.c.id == account_id))).scalar_one()
