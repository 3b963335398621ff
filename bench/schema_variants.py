"""Schema variants of the hot tables measured side by side with pgbench (bench/REPORT.md,
"Schema for the hot tables"). One run: pgbench at 8 clients, then P2 at 8 clients once per
variant in the order given (each variant on a fresh database: the models' schema, then the
variant's DDL, then the people), then pgbench again; the ratios are against the mean of the
two pgbench figures. Writes nothing to bench/REPORT.md or bench/results.json.

    flock /tmp/bench.lock python -m bench.schema_variants base nofk base nofk

A variant's DDL is applied on top of the schema of wallet/models.py as it is in the tree, so
``base`` is the tree's schema and the others are one change each against it (the orig_*
variants undo a change the tree has made, to measure it the other way round).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import multiprocessing as mp
import time

import asyncpg

from bench import common, run

VARIANTS: dict[str, list[str]] = {
    "base": [],
    # transfers: every query on sender/recipient/expiry asks for pending transfers only
    "partial": [
        "DROP INDEX ix_transfers_sender_id", "DROP INDEX ix_transfers_recipient_id",
        "DROP INDEX ix_transfers_status_expires",
        "CREATE INDEX ix_transfers_pending_sender ON transfers (sender_id) WHERE status = 'pending'",
        "CREATE INDEX ix_transfers_pending_recipient ON transfers (recipient_id) WHERE status = 'pending'",
        "CREATE INDEX ix_transfers_pending_expires ON transfers (expires_at) WHERE status = 'pending'",
    ],
    # the reverse of "partial", for a tree that has it: the indexes of migration 0012
    "orig_transfers": [
        "DROP INDEX ix_transfers_pending_sender", "DROP INDEX ix_transfers_pending_recipient",
        "DROP INDEX ix_transfers_pending_expires",
        "CREATE INDEX ix_transfers_sender_id ON transfers (sender_id)",
        "CREATE INDEX ix_transfers_recipient_id ON transfers (recipient_id)",
        "CREATE INDEX ix_transfers_status_expires ON transfers (status, expires_at)",
    ],
    # the reverse of "nofk", likewise
    "orig_entries_fk": [
        "ALTER TABLE entries ADD CONSTRAINT fk_entries_tx_id_journal FOREIGN KEY (tx_id) REFERENCES journal (id)",
        "ALTER TABLE entries ADD CONSTRAINT fk_entries_account_id_accounts FOREIGN KEY (account_id) "
        "REFERENCES accounts (id)",
    ],
    # transfers: no index names status or resolved_at (the accept's update can be HOT) + room on the pages
    "hot": [
        "DROP INDEX ix_transfers_status_expires",
        "CREATE INDEX ix_transfers_expires_at ON transfers (expires_at)",
        "ALTER TABLE transfers SET (fillfactor = 70)",
    ],
    "hot_noff": [
        "DROP INDEX ix_transfers_status_expires",
        "CREATE INDEX ix_transfers_expires_at ON transfers (expires_at)",
    ],
    # entries: no foreign keys (append-only, written by the ledger; the audit checks)
    "nofk": [
        "ALTER TABLE entries DROP CONSTRAINT fk_entries_tx_id_journal",
        "ALTER TABLE entries DROP CONSTRAINT fk_entries_account_id_accounts",
    ],
    # entries: primary key (tx_id, id) serves the lookups by transaction; ix_entries_tx_id goes
    "entries_pk": [
        "ALTER TABLE entries DROP CONSTRAINT pk_entries",
        "ALTER TABLE entries ADD CONSTRAINT pk_entries PRIMARY KEY (tx_id, id)",
        "DROP INDEX ix_entries_tx_id",
    ],
    # accounts: room for HOT balance updates
    "accounts_ff": ["ALTER TABLE accounts SET (fillfactor = 80)"],
    "transfers_ff": ["ALTER TABLE transfers SET (fillfactor = 80)"],
}


def _sample(db: str, stop, out) -> None:
    """In a process of its own (a thread alive while the load's process pool forks could leave
    a lock held in the child): the CPU ticks of each backend connected to ``db``, every 50 ms."""
    async def go():
        seen: dict[int, int] = {}
        conn = await asyncpg.connect(common.PG_ADMIN)
        try:
            while not stop.is_set():
                for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", db):
                    try:
                        f = open(f"/proc/{r['pid']}/stat").read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    seen[r["pid"]] = max(seen.get(r["pid"], 0), int(f[11]) + int(f[12]))
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        out.put(sum(seen.values()))

    asyncio.run(go())


class CpuMeter:
    """PostgreSQL's own CPU time for one load: the user + system time of every backend connected
    to the database (sampled from /proc every 50 ms while the load runs), and the transfers it
    made."""

    def __init__(self, db: str):
        self.db = db

    def __enter__(self):
        self.before = asyncio.run(self._counts())
        ctx = mp.get_context("spawn")
        self.stop, self.out = ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=_sample, args=(self.db, self.stop, self.out), daemon=True)
        self.proc.start()
        return self

    async def _counts(self):
        conn = await asyncpg.connect(common.pg_url(self.db, "postgresql"))
        try:
            return tuple(await conn.fetchrow("SELECT count(*), count(*) FILTER (WHERE status = 'accepted') "
                                             "FROM transfers"))
        finally:
            await conn.close()

    def __exit__(self, *exc):
        self.stop.set()
        ticks = self.out.get(timeout=30)
        self.proc.join()
        after = asyncio.run(self._counts())
        self.sends, self.accepts = after[0] - self.before[0], after[1] - self.before[1]
        self.cpu_ms = ticks * 1000 / os.sysconf("SC_CLK_TCK")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.schema_variants")
    ap.add_argument("variants", nargs="+", help="names, or name+name to combine: " + ", ".join(VARIANTS))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--people", type=int, default=10_000)
    a = ap.parse_args(argv)
    run.CLIENTS = (8,)
    original = common.create_schema
    current: list[str] = []

    async def create_schema(engine):
        await original(engine)
        if current:
            async with engine.begin() as conn:
                for sql in current:
                    await conn.exec_driver_sql(sql)

    common.create_schema = create_schema
    b = run.Bench(True, a.people, {"P1", "P2"})
    b.dur = a.seconds
    cpu: dict[str, float] = {}
    load = b._load

    def metered(url, ids, **kw):
        with CpuMeter(f"bench_wallet_{b.tag}") as m:
            r = load(url, ids, **kw)
        mode = kw.get("mode", "transfer")
        cpu[mode] = m.cpu_ms / max(1, m.accepts if mode == "transfer" else m.sends)
        return r

    b._load = metered
    stats: dict = {}
    audit = b._audit

    def audited(url, sync="FULL"):
        async def go():
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                await asyncio.sleep(0.6)  # the statistics collector's interval is 0.5 s
                for r in await conn.fetch("SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                                          "WHERE relname IN ('accounts', 'transfers')"):
                    stats[r["relname"]] = f"{r['n_tup_hot_upd'] / max(1, r['n_tup_upd']):.0%} HOT"
            finally:
                await conn.close()

        asyncio.run(go())
        return audit(url, sync)

    b._audit = audited
    t0 = time.monotonic()
    b.p1()
    p1a = b.results["p1_pgbench_tps_c8"]
    out = []
    for name in a.variants:
        current[:] = [sql for part in name.split("+") for sql in VARIANTS[part]]
        b.results = {"p1_pgbench_tps_c8": p1a}
        cpu.clear()
        stats.clear()
        b.p2_p3_pg()
        out.append((name, b.results.get("p2_pg_tps_c8"), b.results.get("p2_pg_send_tps_c8"), dict(b.failed),
                    dict(cpu), dict(stats)))
        b.failed = {}
    b.results = {}
    b.p1()
    p1b = b.results["p1_pgbench_tps_c8"]
    p1 = (p1a + p1b) / 2
    print(f"\npgbench c8: {p1a:.0f} then {p1b:.0f} tps (mean {p1:.0f}); {a.seconds:.0f} s per measurement, "
          f"{time.monotonic() - t0:.0f} s in all")
    for name, tps, send, failed, c, st in out:
        print(f"  {name:24s} P2 c8 {tps:7.0f} transfers/s  ratio {tps / p1:.3f}   sends/s {send:7.0f} "
              f"send ratio {send / p1:.3f}   PostgreSQL CPU ms per transfer {c.get('transfer', 0):.3f}, "
              f"per send {c.get('send', 0):.3f}; updates {st}{'  AUDIT FAILED ' + json.dumps(failed) if failed else ''}")
    by: dict[str, list] = {}
    for name, tps, send, failed, c, st in out:
        by.setdefault(name, []).append((tps / p1, send / p1, c.get("transfer", 0), c.get("send", 0)))
    print("medians:")
    for name, xs in by.items():
        med = [statistics.median(x[i] for x in xs) for i in range(4)]
        print(f"  {name:24s} n={len(xs)} ratio {med[0]:.3f}  send ratio {med[1]:.3f}  CPU ms/transfer {med[2]:.3f} "
              f"(min {min(x[2] for x in xs):.3f})  CPU ms/send {med[3]:.3f} (min {min(x[3] for x in xs):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
