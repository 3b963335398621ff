"""Run every benchmark case side by side on this machine and write REPORT.md and results.json.

    python -m bench            # full run (< 10 minutes)
    python -m bench --quick    # same cases, shorter runs (< 2 minutes)
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import common

HERE = Path(__file__).resolve().parent
CLIENTS = (1, 4, 8)


class Bench:
    def __init__(self, quick: bool, people: int, only: set[str] | None):
        self.quick = quick
        self.people = people
        self.only = only
        self.results: dict = {}
        self.notes: dict[str, list[str]] = {}
        self.failed: dict[str, str] = {}
        self.tag = f"{os.getpid()}"
        self.dur = 3.0 if quick else 15.0
        self.warm = 0.5 if quick else 2.0
        # completed transfers each person already has before a case runs (see common.seed_history)
        self.history = int(os.environ.get("BENCH_HISTORY", "0"))

    def want(self, case: str) -> bool:
        return self.only is None or case in self.only

    def note(self, case: str, text: str) -> None:
        self.notes.setdefault(case, []).append(text)
        print(f"  [{case}] {text}", flush=True)

    # ---- P1 -------------------------------------------------------------------------------
    def p1(self) -> None:
        pgbench = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
        db = f"bench_pgbench_{self.tag}"
        asyncio.run(common.pg_create(db))
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGUSER": "postgres"}
        try:
            subprocess.run([pgbench, "-i", "-s", "10", "-q", db], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for c in CLIENTS:
                out = subprocess.run([pgbench, "-c", str(c), "-j", str(min(c, 2)), "-T", str(int(self.dur)),
                                      "-n", db], check=True, env=env, capture_output=True, text=True).stdout
                tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
                self.results[f"p1_pgbench_tps_c{c}"] = round(tps, 1)
                self.note("P1", f"pgbench TPC-B-like scale 10, {c} clients: {tps:.0f} tps")
        finally:
            asyncio.run(common.pg_drop(db))

    # ---- transfers (P2, P3) ---------------------------------------------------------------
    def _db(self, backend: str, sync: str = "FULL"):
        """Create a wallet database with ``people`` funded people; returns (url, ids, cleanup)."""
        from wallet.bootstrap import bootstrap

        if backend == "postgres":
            name = f"bench_wallet_{self.tag}"
            asyncio.run(common.pg_create(name))
            url = common.pg_url(name)

            def cleanup():
                asyncio.run(common.pg_drop(name))
        else:
            tmp = tempfile.mkdtemp(prefix="bench-sqlite-")
            url = f"sqlite+aiosqlite:///{tmp}/wallet.db"

            def cleanup():
                shutil.rmtree(tmp, ignore_errors=True)

        ids = list(range(1_000_001, 1_000_001 + self.people))

        async def setup():
            from bench.workload import engine_for

            engine = engine_for(url, sync, 2)
            ctx = common.make_context(engine)
            await common.create_schema(engine)
            await bootstrap(ctx)
            await common.seed_people(ctx, ids, balance=100_000_000)
            await common.seed_history(ctx, ids, per_person=self.history)
            await engine.dispose()

        asyncio.run(setup())
        return url, ids, cleanup

    def _audit(self, url: str, sync: str = "FULL") -> tuple[bool, str]:
        async def go():
            from bench.workload import engine_for

            engine = engine_for(url, sync, 2)
            try:
                return await common.run_audit(common.make_context(engine))
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def _load(self, url, ids, *, clients, mode="transfer", sync="FULL", merchant=None, procs=1, duration=None,
              risk=False):
        # one client process with ``clients`` concurrent tasks: measured faster than 2 or 4 processes
        # on this 2-core machine (the processes and PostgreSQL compete for the same cores)
        per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        from bench.workload import transfers_proc

        args = [dict(url=url, sync=sync, clients=n, warmup=self.warm, duration=duration or self.dur, ids=ids,
                     mode=mode, merchant=merchant, seed=i * 7919 + clients, risk=risk) for i, n in enumerate(per)]
        with ProcessPoolExecutor(max_workers=procs, mp_context=mp.get_context("fork")) as pool:
            outs = list(pool.map(transfers_proc, args))
        ops = sum(o["ops"] for o in outs)
        lat = [x for o in outs for x in o["latencies"]]
        errors: dict = {}
        conflicts: dict = {}
        for o in outs:
            for k, v in o["errors"].items():
                errors[k] = errors.get(k, 0) + v
            for k, v in o["conflicts"].items():
                conflicts[k] = conflicts.get(k, 0) + v
        return {"tps": ops / (duration or self.dur), "ops": ops, "p50_ms": _ms(common.pct(lat, 50)),
                "p99_ms": _ms(common.pct(lat, 99)), "errors": errors, "conflicts": conflicts}

    def p2_p3_pg(self) -> None:
        url, ids, cleanup = self._db("postgres")
        try:
            for c in (CLIENTS if self.want("P2") else ()):
                r = self._load(url, ids, clients=c)
                self.results[f"p2_pg_tps_c{c}"] = round(r["tps"], 1)
                self.note("P2", f"PostgreSQL, {c} clients: {r['tps']:.0f} transfers/s (send+accept), "
                                f"p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms, errors {r['errors']}, conflicts {r['conflicts']}")
                s = self._load(url, ids, clients=c, mode="send", duration=max(3.0, self.dur / 3))
                self.results[f"p2_pg_send_tps_c{c}"] = round(s["tps"], 1)
                self.note("P2", f"PostgreSQL, {c} clients: {s['tps']:.0f} sends/s (single operation), "
                                f"p50 {s['p50_ms']} ms p99 {s['p99_ms']} ms, errors {s['errors']}")
                p1 = self.results.get(f"p1_pgbench_tps_c{c}")
                if p1:
                    self.results[f"p2_pg_ratio_c{c}"] = round(r["tps"] / p1, 3)
                    self.results[f"p2_pg_send_ratio_c{c}"] = round(s["tps"] / p1, 3)
                if c == 8:  # the risk engine's cost, side by side (issue 24): off, on, off again, on again
                    # on the same database (it grows as the runs go: each "on" is compared with the
                    # "off" runs around it)
                    runs = [self._load(url, ids, clients=c, risk=on) for on in (False, True, False, True)]
                    off = (runs[0]["tps"] + runs[2]["tps"]) / 2
                    on = (runs[1]["tps"] + runs[3]["tps"]) / 2
                    self.results["p2_pg_risk_tps_c8"] = round(on, 1)
                    self.results["p2_pg_risk_off_tps_c8"] = round(off, 1)
                    self.results["p2_pg_risk_ratio_c8"] = round(on / off, 3) if off else None
                    self.note("P2", f"PostgreSQL, 8 clients, the risk engine on / off, alternating: "
                                    + ", ".join(f"{x['tps']:.0f}" for x in runs)
                                    + f" transfers/s: on ÷ off {self.results['p2_pg_risk_ratio_c8']}, "
                                    f"errors {[x['errors'] for x in runs]}")
            if self.want("P3"):
                merchant = ids[0]
                r = self._load(url, ids[1:], clients=8, merchant=merchant)
                self.results["p3_pg_hot_tps_c8"] = round(r["tps"], 1)
                if self.results.get("p2_pg_tps_c8"):
                    self.results["p3_pg_hot_ratio_to_p2_c8"] = round(r["tps"] / self.results["p2_pg_tps_c8"], 3)
                self.note("P3", f"PostgreSQL, 8 clients, every transfer pays merchant {merchant}: "
                                f"{r['tps']:.0f} transfers/s, p99 {r['p99_ms']} ms, conflicts {r['conflicts']}")
            ok, why = self._audit(url)
            if not ok:
                self._fail(["P2", "P3"], why)
            if self.want("P4"):
                self.p4(url, ids, "FULL", "pg")
            if self.want("P5"):
                self.p5(url, ids)
        finally:
            cleanup()

    # ---- P4 -------------------------------------------------------------------------------
    def p4(self, url, ids, sync, db) -> None:
        from bench import storm

        senders = ids[-101:]
        claimers = ids  # a sender may open a share of their own packet, as in a WeChat group
        total = 20_000  # the largest packet the rules allow (¥200)
        single, many = (1000, 100) if not self.quick else (1000, 10)
        try:
            pids = asyncio.run(storm.make_packets(url, sync, senders[:1], 100, total))
            plan = [(pids[0], claimers[:single])]
            r = storm.storm(url, sync, plan)
            self._p4_record(f"p4_{db}_single", r, f"{db}: one 100-share packet, {single} concurrent claimers")
            ok, why = self._audit(url, sync)
            if not ok:
                self._fail([f"P4-{db}-single"], why)
                self._drop(f"p4_{db}_single")
            n = many
            pids = asyncio.run(storm.make_packets(url, sync, senders[1:1 + n], 100, total))
            plan = [(pid, claimers[i * 100:(i + 1) * 100]) for i, pid in enumerate(pids)]
            r = storm.storm(url, sync, plan)
            self._p4_record(f"p4_{db}_multi", r, f"{db}: {n} packets x 100 claimers each, in parallel")
            ok, why = self._audit(url, sync)
            if not ok:
                self._fail([f"P4-{db}-multi"], why)
                self._drop(f"p4_{db}_multi")
        except Exception as exc:  # reported, the other cases still run
            self._fail([f"P4-{db}"], repr(exc))

    def _p4_record(self, prefix, r, what):
        for k in ("time_to_empty_s", "claims_per_s", "attempts_per_s", "p50_ms", "p99_ms", "claimed", "attempts",
                  "retries", "deadlocks", "database_locked"):
            self.results[f"{prefix}_{k}"] = r[k]
        self.note("P4", f"{what}: emptied in {r['time_to_empty_s']} s, {r['claims_per_s']} claims/s, "
                        f"attempts {r['attempts']} ({r['attempts_per_s']}/s), p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                        f"outcomes {r['outcomes']}, retries {r['retries']}, deadlocks {r['deadlocks']}, "
                        f"database is locked {r['database_locked']}")

    def _drop(self, prefix):
        for k in [k for k in self.results if k.startswith(prefix)]:
            self.results.pop(k)

    # ---- P5 -------------------------------------------------------------------------------
    def p5(self, url, ids) -> None:
        from bench import storm

        secs = 2.5 if self.quick else 8.0
        r = asyncio.run(storm.p5(url, ids, seconds=secs))
        self.results["p5_pin_p99_ratio"] = r["ratio"]
        for k, v in r.items():
            if k != "ratio":
                self.results[f"p5_{k}"] = v
        self.note("P5", f"balance query p99 alone {r['alone_p99_ms']} ms, with 20 PIN checks (bcrypt cost 12, wallet.pin's pool) "
                        f"{r['busy_p99_ms']} ms: ratio {r['ratio']} ({r['pin_checks_done']} PIN checks done)")
        ok, why = self._audit(url)
        if not ok:
            self._fail(["P5"], why)
            self.results.pop("p5_pin_p99_ratio", None)

    def p1_sqlite_raw(self) -> None:
        from bench.sqlite_raw import raw_tps

        tmp = tempfile.mkdtemp(prefix="bench-sqlite-raw-")
        try:
            r = raw_tps(f"{tmp}/raw.db", seconds=self.dur)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.results["p1_sqlite_raw_tps"] = round(r["tps"], 1)
        self.note("P1", f"raw sqlite3 (WAL, synchronous=FULL, BEGIN IMMEDIATE, idempotency row + conditional "
                        f"debit + credit + two entries), one connection: {r['tps']:.0f} transfers/s")

    def p2_sqlite(self) -> None:
        self.p1_sqlite_raw()
        for sync in ("FULL", "NORMAL"):
            url, ids, cleanup = self._db("sqlite", sync)
            try:
                r = self._load(url, ids, clients=4, sync=sync, procs=1)
                key = f"p2_sqlite_{sync.lower()}_tps"
                self.results[key] = round(r["tps"], 1)
                self.note("P2", f"SQLite synchronous={sync}, 4 clients in one process ({_sqlite_path()}): "
                                f"{r['tps']:.0f} transfers/s, p99 {r['p99_ms']} ms, conflicts {r['conflicts']}, "
                                f"errors {r['errors']}")
                ok, why = self._audit(url, sync)  # the audit after the load: a failed one fails the case
                if not ok:
                    self._fail([f"P2-sqlite-{sync}"], why)
                    self.results.pop(key, None)
                if sync == "FULL" and self.want("P4"):
                    self.p4(url, ids, sync, "sqlite")
            finally:
                cleanup()
        raw, full = self.results.get("p1_sqlite_raw_tps"), self.results.get("p2_sqlite_full_tps")
        if raw and full:
            self.results["p2_sqlite_ratio"] = round(full / raw, 3)
            self.note("P2", f"SQLite FULL against raw sqlite3 side by side: p2_sqlite_ratio = {full / raw:.3f}")

    def _fail(self, cases, why):
        for c in cases:
            self.failed[c] = why
        self.note("audit", f"FAILED for {cases}:\n{why}")


def _sqlite_path() -> str:
    """Which SQLite path the transfers took (wallet.services.transfer_sqlite's switches)."""
    from wallet.services import transfer_fastpath, transfer_sqlite

    if not (transfer_sqlite.FAST_PATH and transfer_fastpath.FAST_PATH):
        return "general path (WALLET_SQLITE_FAST_PATH=0 or WALLET_TRANSFER_FAST_PATH=0)"
    return "fast path, one thread hop per transaction, " + (
        "group commit" if transfer_sqlite.GROUP_COMMIT else "no group commit (WALLET_SQLITE_GROUP_COMMIT=0)")


def _ms(x):
    return None if x is None else round(x * 1000, 2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--only", default=None, help="comma-separated cases: P1,P2,P3,P4,P5,SQLITE")
    a = ap.parse_args(argv)
    b = Bench(a.quick, a.people, set(a.only.split(",")) if a.only else None)
    t0 = time.monotonic()
    if b.want("P1"):
        b.p1()
    if b.want("P2") or b.want("P3") or b.want("P4") or b.want("P5"):
        b.p2_p3_pg()
    if b.want("SQLITE"):
        b.p2_sqlite()
    elapsed = time.monotonic() - t0
    from bench import report

    command = "python -m bench" + (" --quick" if a.quick else "") + (f" --only {a.only}" if a.only else "")
    report.write(b, elapsed, command)
    print(f"total {elapsed:.0f}s; wrote bench/REPORT.md and bench/results.json")
    if b.failed:
        print("FAILED:", ", ".join(b.failed))
    return 1 if b.failed else 0
