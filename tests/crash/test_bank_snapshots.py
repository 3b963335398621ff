"""Jepsen-style bank test: 8 accounts and a fixed total; 16 concurrent workers make random
transfers (send, then accept) while readers take snapshots of every balance in one read
transaction (``wallet.uow.read``). Every snapshot sums to the total (wallets plus money in
escrow for pending transfers between them) and no balance is ever negative."""
from __future__ import annotations

import asyncio
import os
import random
import time

from sqlalchemy import func, select

from tests.wallet.helpers import make_person
from wallet import errors
from wallet.models import accounts, transfers as transfers_t
from wallet.services import transfers
from wallet.uow import read

PEOPLE = list(range(301, 309))  # 8 accounts
START = 10_000
TOTAL = START * len(PEOPLE)
SECONDS = float(os.environ.get("WALLET_BANK_SECONDS", "4"))


async def snapshot(ctx):
    async def body(conn):
        balances = dict((await conn.execute(select(accounts.c.user_id, accounts.c.balance).where(
            accounts.c.user_id.in_(PEOPLE), accounts.c.kind == "wallet"))).all())
        in_escrow = (await conn.execute(select(func.coalesce(func.sum(transfers_t.c.amount), 0)).where(
            transfers_t.c.status == "pending", transfers_t.c.sender_id.in_(PEOPLE)))).scalar_one()
        return balances, int(in_escrow)
    return await read(ctx, body)


async def test_bank_snapshots_sum_to_total(ctx):
    for uid in PEOPLE:
        await make_person(ctx, uid, balance=START)
    rnd = random.Random(int(os.environ.get("WALLET_BANK_SEED", random.randrange(10**6))))
    deadline = time.monotonic() + SECONDS
    done = {"transfers": 0, "refused": 0, "snapshots": 0}
    bad: list[str] = []

    async def mover(n: int):
        i = 0
        while time.monotonic() < deadline:
            i += 1
            a, b = rnd.sample(PEOPLE, 2)
            try:
                t = await transfers.send(ctx, key=f"bank-{n}-{i}", sender_id=a, recipient_id=b,
                                         amount=rnd.randint(1, 3_000), pin=None, pin_checked=True)
            except errors.InsufficientBalance:
                done["refused"] += 1
                continue
            await transfers.accept(ctx, key=f"bank-{n}-{i}-a", user_id=b, transfer_id=t["transfer_id"])
            done["transfers"] += 1

    async def reader():
        while time.monotonic() < deadline:
            balances, in_escrow = await snapshot(ctx)
            done["snapshots"] += 1
            if len(balances) != len(PEOPLE) or sum(balances.values()) + in_escrow != TOTAL:
                bad.append(f"snapshot {balances} + escrow {in_escrow} != {TOTAL}")
            if any(v < 0 for v in balances.values()):
                bad.append(f"negative balance in {balances}")
            await asyncio.sleep(0)

    await asyncio.gather(*(mover(n) for n in range(16)), *(reader() for _ in range(2)))
    balances, in_escrow = await snapshot(ctx)
    assert in_escrow == 0 and sum(balances.values()) == TOTAL
    assert not bad, bad[:5]
    assert done["transfers"] > 16 and done["snapshots"] > 10, done
