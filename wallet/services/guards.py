"""Checks shared by the operations: who the user is and what they may do."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.errors import AccountFrozen, NotVerified, WalletNotOpen
from wallet.models import users


async def load_user(conn: AsyncConnection, user_id: int, *, for_update: bool = False) -> Row:
    stmt = select(users).where(users.c.id == user_id)
    if for_update and conn.dialect.name == "postgresql":
        # FOR NO KEY UPDATE: does not block the FOR KEY SHARE that foreign keys to this user
        # take (a transfer B -> A inserting sender/recipient ids while A sends to B)
        stmt = stmt.with_for_update(key_share=True)
    row = (await conn.execute(stmt)).one_or_none()
    if row is None:
        raise WalletNotOpen(user_id=user_id)
    return row


def require_active(user: Row) -> None:
    """A frozen account can neither pay, transfer, send red packets nor withdraw."""
    if user.frozen:
        raise AccountFrozen(user_id=user.id)


def require_verified(user: Row) -> None:
    """A wallet without a bound, verified card can neither pay nor receive."""
    if user.verified_at is None:
        raise NotVerified(user_id=user.id)


async def payer(conn: AsyncConnection, user_id: int) -> Row:
    """The person paying, locked for the transaction on PostgreSQL: their outgoing operations
    run one at a time, so the spending caps are checked against everything already spent."""
    user = await load_user(conn, user_id, for_update=True)
    require_active(user)
    require_verified(user)
    return user


async def payee(conn: AsyncConnection, user_id: int) -> Row:
    """Money owed to a frozen account still arrives; an unverified one cannot receive."""
    user = await load_user(conn, user_id)
    require_verified(user)
    return user
