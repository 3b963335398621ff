"""EXPLAIN (ANALYZE) of every query that reads the hot tables, on a PostgreSQL database with
bench-size people and a year of history, before and after a schema variant of
bench/schema_variants.py (bench/REPORT.md, "Schema for the hot tables").

    flock /tmp/bench.lock python -m bench.schema_explain --before orig_transfers partial

The history: ``--transfers`` transfers among 10,000 people over the past year (those of the
last 0.9 day still pending, none past its expiry: the sweep refunds those; the rest accepted),
each with its hold and accept transactions and their entries, as the services write them. Prints each query's plan (nodes and index names) and its time.
"""
from __future__ import annotations

import argparse
import asyncio
import re
from datetime import datetime, timezone

import asyncpg

from bench import common
from bench.schema_variants import VARIANTS

DB = "bench_schema_explain"
PEOPLE = 10_000
FIRST = 1_000_001


async def build(transfers: int) -> None:
    from bench.workload import engine_for
    from wallet.bootstrap import bootstrap

    await common.pg_create(DB)
    engine = engine_for(common.pg_url(DB), "FULL", 2)
    ctx = common.make_context(engine)
    await common.create_schema(engine)
    await bootstrap(ctx)
    await common.seed_people(ctx, list(range(FIRST, FIRST + PEOPLE)), balance=100_000_000)
    await engine.dispose()
    conn = await asyncpg.connect(common.pg_url(DB, "postgresql"))
    try:
        escrow = await conn.fetchval("SELECT min(id) FROM accounts WHERE code = 'transfer_escrow'")
        await conn.execute(f"""
        CREATE TEMP TABLE gen AS
        SELECT g AS n, {FIRST} + (g::bigint * 7919) % {PEOPLE} AS s, {FIRST} + (g::bigint * 104729 + 1) % {PEOPLE} AS r,
               1 + g % 500 AS amt,
               now()::timestamp - make_interval(secs => (365 * 86400.0) * (1 - g::float8 / {transfers})) AS at,
               g > {transfers} * (1 - 0.9 / 365) AS pending
        FROM generate_series(1, {transfers}) g;
        DELETE FROM gen WHERE s = r;
        INSERT INTO transfers (id, sender_id, recipient_id, amount, status, escrow_account_id, created_at,
                               arrive_at, expires_at, resolved_at)
        SELECT n, s, r, amt, CASE WHEN pending THEN 'pending' ELSE 'accepted' END, {escrow}, at, at,
               at + interval '1 day', CASE WHEN pending THEN NULL ELSE at + interval '1 minute' END FROM gen;
        SELECT setval(pg_get_serial_sequence('transfers', 'id'), {transfers} + 1);
        INSERT INTO journal (idem_key, kind, user_id, counterparty_id, ref_type, ref_id, created_at)
        SELECT 'h' || n, 'transfer_hold', s, r, 'transfer', n, at FROM gen
        UNION ALL SELECT 'a' || n, 'transfer_accept', r, s, 'transfer', n, at + interval '1 minute'
        FROM gen WHERE NOT pending;
        INSERT INTO entries (tx_id, account_id, amount)
        SELECT j.id, v.acc, v.amt FROM journal j JOIN transfers t ON t.id = j.ref_id AND j.ref_type = 'transfer'
        JOIN accounts sa ON sa.user_id = t.sender_id AND sa.kind = 'wallet'
        JOIN accounts ra ON ra.user_id = t.recipient_id AND ra.kind = 'wallet',
        LATERAL (VALUES (CASE WHEN j.kind = 'transfer_hold' THEN sa.id ELSE t.escrow_account_id END, -t.amount),
                        (CASE WHEN j.kind = 'transfer_hold' THEN t.escrow_account_id ELSE ra.id END, t.amount))
                AS v(acc, amt);
        """)
        for t in ("transfers", "journal", "entries"):
            await conn.execute(f"VACUUM ANALYZE {t}")
    finally:
        await conn.close()


def queries(now: datetime, person: int, account: int, fee_ids: list[int]) -> dict[str, str]:
    from sqlalchemy.dialects import postgresql

    from wallet.services import bills

    n = f"'{now.replace(tzinfo=None).isoformat(sep=' ')}'::timestamp"
    year = f"'{now.replace(month=1, day=1, tzinfo=None).isoformat(sep=' ')}'::timestamp"
    lines = bills._lines_query({"wallet": account}, user_id=person, group=None, start=None, end=None,
                               fee_ids=fee_ids, direction=None)
    from wallet.models import journal

    lines = lines.order_by(journal.c.created_at.desc(), journal.c.id.desc()).limit(10)
    lines_sql = str(lines.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return {
        "transfers.expire_due (sweep)":
            f"SELECT id FROM transfers WHERE status = 'pending' AND expires_at <= {n} ORDER BY id LIMIT 500",
        "alerts: pending transfers expiring soon (sweep)":
            f"SELECT id FROM transfers WHERE status = 'pending' AND recipient_id IS NOT NULL AND arrive_at <= {n} "
            f"AND expires_at > {n} AND expires_at <= {n} + interval '2 hours'",
        "alerts: delayed transfers arrived (sweep)":
            f"SELECT id FROM transfers WHERE status = 'pending' AND recipient_id IS NOT NULL "
            f"AND arrive_at > created_at AND arrive_at <= {n} AND expires_at > {n}",
        "alerts: a person's pending incoming":
            f"SELECT count(*), coalesce(sum(amount), 0) FROM transfers WHERE recipient_id = {person} "
            f"AND status = 'pending'",
        "bills.balance: pending outgoing":
            f"SELECT coalesce(sum(amount), 0), count(*) FROM transfers WHERE sender_id = {person} "
            f"AND status = 'pending'",
        "bills: pending incoming list":
            f"SELECT t.id FROM transfers t JOIN users u ON u.id = t.sender_id WHERE t.recipient_id = {person} "
            f"AND t.status = 'pending' AND t.arrive_at <= {n} AND t.expires_at > {n} "
            f"ORDER BY t.created_at DESC, t.id DESC LIMIT 10",
        "audit: pending total": "SELECT coalesce(sum(amount), 0) FROM transfers WHERE status = 'pending'",
        "send: caps (a year of the payer's outgoing)":
            f"SELECT coalesce(sum(-e.amount), 0) FROM entries e JOIN journal j ON j.id = e.tx_id "
            f"WHERE e.account_id = {account} AND j.kind IN ('transfer_hold', 'rp_create', 'pay') "
            f"AND j.created_at >= {year} AND e.amount < 0",
        "bills: a page of lines": lines_sql,
        "bills: fee part of the lines":
            f"SELECT tx_id, sum(amount) FROM entries WHERE tx_id IN (SELECT tx_id FROM entries "
            f"WHERE account_id = {account} ORDER BY tx_id DESC LIMIT 10) AND account_id IN "
            f"({','.join(map(str, fee_ids or [-1]))}) GROUP BY tx_id",
        "bills.balance_after / statements: sum before a time":
            f"SELECT coalesce(sum(e.amount), 0) FROM entries e JOIN journal j ON j.id = e.tx_id "
            f"WHERE e.account_id = {account} AND j.created_at < {n} - interval '30 days'",
        "bill detail: a transaction's entries":
            f"SELECT j.created_at, e.account_id FROM journal j JOIN entries e ON e.tx_id = j.id "
            f"WHERE j.id = (SELECT max(tx_id) FROM entries WHERE account_id = {account}) "
            f"AND e.account_id IN ({account})",
        "accept: the transfer": "SELECT * FROM transfers WHERE id = 12345 AND status = 'pending'",
    }


def summary(plan: list[str]) -> str:
    nodes = []
    for line in plan:
        m = re.search(r"((?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan)"
                      r"(?: Backward)?(?: using \w+)?(?: on \w+)?)", line)
        if m:
            nodes.append(m.group(1))
    t = next((ln for ln in plan if ln.startswith("Execution Time")), "")
    return "; ".join(dict.fromkeys(nodes)) + f"  [{t.replace('Execution Time: ', '')}]"


async def explain(label: str) -> None:
    conn = await asyncpg.connect(common.pg_url(DB, "postgresql"))
    try:
        now = datetime.now(timezone.utc)
        person = FIRST + 4242
        account = await conn.fetchval("SELECT id FROM accounts WHERE user_id = $1 AND kind = 'wallet'", person)
        fee_ids = [r[0] for r in await conn.fetch("SELECT id FROM accounts WHERE code = 'fee_income'")]
        print(f"\n== {label}")
        for name, sql in queries(now, person, account, fee_ids).items():
            await conn.fetch(f"EXPLAIN (ANALYZE) {sql}")  # warm
            plan = [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE) {sql}")]
            print(f"  {name}: {summary(plan)}")
        # the services bind 'pending' as a parameter: after five executions of a prepared
        # statement PostgreSQL may switch to a generic plan, which cannot prove a partial index's
        # predicate; show the plan the sixth and later executions get
        ts = f"'{now.replace(tzinfo=None).isoformat(sep=' ')}'::timestamp"
        for i, (name, sql, types, args) in enumerate((
            ("prepared: expire_due", "SELECT id FROM transfers WHERE status = $1 AND expires_at <= $2 "
             "ORDER BY id LIMIT 500", "text, timestamp", f"'pending', {ts}"),
            ("prepared: expire_due, 'pending' written in the statement",
             "SELECT id FROM transfers WHERE status = 'pending' AND expires_at <= $1 ORDER BY id LIMIT 500",
             "timestamp", ts),
            ("prepared: pending outgoing", "SELECT coalesce(sum(amount), 0), count(*) FROM transfers "
             "WHERE sender_id = $1 AND status = $2", "bigint, text", f"{person}, 'pending'"),
            ("prepared: pending incoming", "SELECT count(*) FROM transfers WHERE recipient_id = $1 AND status = $2",
             "bigint, text", f"{person}, 'pending'"))):
            await conn.execute(f"PREPARE q{i} ({types}) AS {sql}")
            for _ in range(6):
                await conn.execute(f"EXECUTE q{i} ({args})")
            plan = [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE) EXECUTE q{i} ({args})")]
            await conn.execute(f"DEALLOCATE q{i}")
            print(f"  {name} (7th execution): {summary(plan)}")
    finally:
        await conn.close()


async def apply(variant: str) -> None:
    conn = await asyncpg.connect(common.pg_url(DB, "postgresql"))
    try:
        for part in variant.split("+"):
            for sql in VARIANTS[part]:
                await conn.execute(sql)
        await conn.execute("ANALYZE transfers; ANALYZE entries; ANALYZE journal")
    finally:
        await conn.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.schema_explain")
    ap.add_argument("variant", help="applied after the first EXPLAIN")
    ap.add_argument("--before", default=None, help="a variant applied before the first EXPLAIN")
    ap.add_argument("--transfers", type=int, default=500_000)
    ap.add_argument("--keep", action="store_true", help="keep the database (else dropped at the end)")
    a = ap.parse_args(argv)
    try:
        asyncio.run(build(a.transfers))
        if a.before:
            asyncio.run(apply(a.before))
        for label in (f"the tree's schema{' + ' + a.before if a.before else ''}", a.variant):
            if label == a.variant:
                asyncio.run(apply(a.variant))
            asyncio.run(explain(f"{label} ({a.transfers} transfers, {PEOPLE} people)"))
    finally:
        if not a.keep:
            asyncio.run(common.pg_drop(DB))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
