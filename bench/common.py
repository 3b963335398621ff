"""Shared plumbing for the benchmarks: databases, contexts, people in bulk, latency stats."""
from __future__ import annotations

import os
import uuid
import zlib
from datetime import datetime, timedelta, timezone

import asyncpg
from sqlalchemy import select, text, update

from wallet.models import (accounts, bank_ops, cards, entries, journal, metadata, operations, transfers, users)

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMTIzNDU="
BENCH_PIN_HASH_COST = 12  # the product default


def pg_url(dbname: str, driver: str = "postgresql+asyncpg") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://")
    return f"{base}/{dbname}"


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def pg_create(name: str) -> None:
    await pg_drop(name)
    await pg_admin(f'CREATE DATABASE "{name}"')


async def pg_drop(name: str) -> None:
    await pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                   "AND pid <> pg_backend_pid()")
    await pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


def risk_settings():
    """The shipped risk settings (wallet/risk/settings.toml) with what they decide taken out of the
    way of this workload, so the engine's cost is measured, not its verdicts: the benchmark's
    people pay each other many times a minute (velocity far past any person's) and all opened
    their wallets just now (every recipient "new" to the collection rule)."""
    from wallet.risk import settings

    s = settings.load()
    wide = 10**12
    velocity = s.velocity.model_copy(update={
        "count": s.velocity.count.model_copy(update={"over": wide, "severe_over": wide + 1}),
        "amount": s.velocity.amount.model_copy(update={"over": wide, "severe_over": wide + 1})})
    return s.model_copy(update={"velocity": velocity,
                                "collection": s.collection.model_copy(update={"new_wallet_seconds": 0})})


def make_context(engine, **rules):
    from wallet.bank import SandboxBank
    from wallet.context import Context
    from wallet.pii import PiiBox
    from wallet.rules import Rules
    from wallet.sms import SandboxSms

    return Context(engine=engine, rules=Rules(**rules), pii=PiiBox(PII_KEY), bank=SandboxBank(), sms=SandboxSms())


async def create_schema(engine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def seed_people(ctx, ids: list[int], *, balance: int, pin_hash: str | None = None) -> None:
    """Open, verify and fund people in bulk with plain inserts that keep every invariant the
    audit checks: a verified user, a wallet account, a bound card, a succeeded 'charge' bank
    operation and its 'topup' journal transaction (bank clearing shard -> wallet)."""
    from wallet import ledger

    now = datetime.now(timezone.utc)
    shards = ctx.rules.system_account_shards
    chunk = 2000
    async with ctx.engine.begin() as conn:
        clearing = {s: None for s in range(shards)}
        for s in clearing:
            clearing[s] = (await conn.execute(select(accounts.c.id).where(
                accounts.c.code == "bank_clearing", accounts.c.shard == s))).scalar_one()
        for i in range(0, len(ids), chunk):
            part = ids[i:i + chunk]
            await conn.execute(users.insert(), [
                {"id": u, "language": "zh-CN", "first_name": f"B{u}", "verified_at": now, "pin_hash": pin_hash,
                 "created_at": now} for u in part])
            await conn.execute(accounts.insert(), [
                {"user_id": u, "kind": "wallet", "shard": 0, "balance": balance, "allow_negative": False}
                for u in part])
            await conn.execute(cards.insert(), [
                {"user_id": u, "token": f"tok-{u}", "bank_code": "ICBC", "bank_name_zh": "工商银行",
                 "bank_name_en": "ICBC", "card_type": "debit", "last4": f"{u % 10000:04d}", "created_at": now}
                for u in part])
            card_of = dict((await conn.execute(select(cards.c.user_id, cards.c.id).where(
                cards.c.user_id.in_(part)))).all())
            acct_of = dict((await conn.execute(select(accounts.c.user_id, accounts.c.id).where(
                accounts.c.user_id.in_(part)))).all())
            await conn.execute(bank_ops.insert(), [
                {"key": f"bench-fund-{u}", "kind": "charge", "user_id": u, "card_id": card_of[u], "amount": balance,
                 "status": "succeeded", "bank_ref": f"b{u}", "created_at": now, "resolved_at": now} for u in part])
            op_of = dict((await conn.execute(select(bank_ops.c.user_id, bank_ops.c.id).where(
                bank_ops.c.user_id.in_(part)))).all())
            await conn.execute(journal.insert(), [
                {"idem_key": f"bench-fund-{u}", "kind": "topup", "user_id": u, "ref_type": "bank_op",
                 "ref_id": op_of[u], "created_at": now} for u in part])
            tx_of = dict((await conn.execute(select(journal.c.user_id, journal.c.id).where(
                journal.c.kind == "topup", journal.c.user_id.in_(part)))).all())
            rows, per_shard = [], {}
            for u in part:
                shard = zlib.crc32(str(u).encode()) % shards
                rows.append({"tx_id": tx_of[u], "account_id": clearing[shard], "amount": -balance})
                rows.append({"tx_id": tx_of[u], "account_id": acct_of[u], "amount": balance})
                per_shard[shard] = per_shard.get(shard, 0) + balance
            await conn.execute(entries.insert(), rows)
            for shard, total in per_shard.items():
                await conn.execute(update(accounts).where(accounts.c.id == clearing[shard])
                                   .values(balance=accounts.c.balance - total))
        if conn.dialect.name == "postgresql":
            for t in ("users", "accounts", "cards", "bank_ops", "journal", "entries"):
                await conn.execute(text(f"ANALYZE {t}"))
    ledger  # noqa: B018  (imported for side effects of model registration)


async def seed_history(ctx, ids: list[int], *, per_person: int, days: int = 30) -> int:
    """Give the people a past: ``per_person`` completed transfers each (sent over the last ``days``
    days, accepted), written as the product writes them (the transfer, its hold and accept
    transactions with their entries, both idempotency rows), so the audit stays clean and the
    database has the size of a wallet in use. Then VACUUM ANALYZE on PostgreSQL (as
    ``pgbench -i`` does after loading): PostgreSQL plans a prepared statement once per
    connection, and a plan made on empty tables (sequential scans) is kept as they grow.
    Returns the number of transfers written."""
    from wallet import ledger

    if per_person <= 0 or len(ids) < 2:
        return 0
    now = datetime.now(timezone.utc)
    people = len(ids)
    total = per_person * people
    async with ctx.engine.begin() as conn:
        escrow_of = {u: await ledger.system_account(ctx, conn, "transfer_escrow", spread_by=u) for u in ids}
        wallet_of = dict((await conn.execute(select(accounts.c.user_id, accounts.c.id).where(
            accounts.c.kind == "wallet", accounts.c.user_id.in_(ids)))).all())
        t0 = ((await conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM transfers"))).scalar_one()) + 1
        j0 = ((await conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM journal"))).scalar_one()) + 1
        delta: dict[int, int] = {}
        chunk = 5000
        for start in range(0, total, chunk):
            tr, jr, en, ops = [], [], [], []
            for g in range(start, min(total, start + chunk)):
                s = g % people
                r = (s + 1 + (g // people) % (people - 1)) % people
                sender, recipient = ids[s], ids[r]
                amount = 1 + g % 100
                at = now - timedelta(hours=(g * 7919) % (days * 24), seconds=g % 3600)
                tid, hold, acc = t0 + g, j0 + 2 * g, j0 + 2 * g + 1
                esc = escrow_of[sender]
                tr.append({"id": tid, "sender_id": sender, "recipient_id": recipient, "amount": amount,
                           "status": "accepted", "escrow_account_id": esc, "created_at": at, "arrive_at": at,
                           "expires_at": at + timedelta(days=1), "resolved_at": at + timedelta(minutes=1)})
                for jid, kind, who, other in ((hold, "transfer_hold", sender, recipient),
                                              (acc, "transfer_accept", recipient, sender)):
                    key = f"hist-{tid}-{kind}"
                    jr.append({"id": jid, "idem_key": key, "kind": kind, "user_id": who, "counterparty_id": other,
                               "ref_type": "transfer", "ref_id": tid, "created_at": at})
                    ops.append({"key": key, "op": kind.replace("transfer_hold", "transfer_send"), "user_id": who,
                                "request_hash": "history", "result": "{}", "created_at": at})
                en += [{"tx_id": hold, "account_id": wallet_of[sender], "amount": -amount},
                       {"tx_id": hold, "account_id": esc, "amount": amount},
                       {"tx_id": acc, "account_id": esc, "amount": -amount},
                       {"tx_id": acc, "account_id": wallet_of[recipient], "amount": amount}]
                delta[wallet_of[sender]] = delta.get(wallet_of[sender], 0) - amount
                delta[wallet_of[recipient]] = delta.get(wallet_of[recipient], 0) + amount
            await conn.execute(transfers.insert(), tr)
            await conn.execute(journal.insert(), jr)
            await conn.execute(entries.insert(), en)
            await conn.execute(operations.insert(), ops)
        for acc_id, d in delta.items():
            await conn.execute(update(accounts).where(accounts.c.id == acc_id).values(balance=accounts.c.balance + d))
        if conn.dialect.name == "postgresql":
            for t in ("transfers", "journal"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"))
    if ctx.engine.dialect.name == "postgresql":
        url = ctx.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
    else:
        async with ctx.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    return total


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def new_key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


async def run_audit(ctx) -> tuple[bool, str]:
    from wallet.audit import audit_engine, report

    checks = await audit_engine(ctx.engine, now=ctx.now(), reconcile_seconds=ctx.rules.bank_reconcile_seconds)
    ok = all(c.ok for c in checks)
    return ok, ("" if ok else report([c for c in checks if not c.ok]))
