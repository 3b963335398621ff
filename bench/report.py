"""Writes bench/REPORT.md and bench/results.json from one run."""
from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.report_schema import SCHEMA_HOT_TABLES

HERE = Path(__file__).resolve().parent

HISTORY = """\
## What was tried, and what each change gave

Measured during development on this machine (2 cores, shared with other engineers' test runs
at the time, so single figures move by ±20 %); "c8" = 8 concurrent clients, transfers/s
count a complete send + accept.

| step | c1 | c8 | c8 ratio to pgbench |
|---|---|---|---|
| baseline: the general path (SQLAlchemy Core, ~13 statements and 2 BEGIN/COMMIT per send, ~11 per accept; tier caps as two `SUM` scans) | 62 | 32 | 0.013 |
| one statement per operation on PostgreSQL: send and accept each one data-modifying CTE sent in autocommit (checks, caps, accounts locked in id order, idempotency row, balances, transfer, journal, entries, stored result) | 428 | 453–761 | 0.14–0.23 |
| the statement sent straight through asyncpg on the pooled connection (SQLAlchemy's execution layer cost as much client CPU as the rest) | 690 | 680–775 | ~0.25 |
| one client process with 8 tasks instead of two processes (the client processes competed with PostgreSQL for the 2 cores) | — | 1025 | ~0.35 |
| group commit: concurrent sends (and accepts) of a process share one statement and one commit, each request with its own key, checks and answer | — | 1571 | (pgbench measured 2,500–3,300 in other runs at that time) |
| two batches of a kind in flight instead of one (one batch's WAL flush overlaps the next one's CPU) | — | +29 % (912 → 1175 in the profiler run) | — |
| `plan_cache_mode` forced generic / custom (tried, not kept) | — | 1108 / 1015 against 1134 | — |
| batches of two run as two single statements side by side (tried, not kept: no difference beyond the noise, 822–931 vs 831–909 at c4) | — | — | — |

At 4 clients group commit does not help: each batcher sees one or two requests at a time,
and a batch statement of two costs about as much as two single statements, so c4 stays near
c1 for complete transfers; it pays from 8 clients on (in one A/B run: c8 1,175 with group
commit against 710 without; c4 697 against 778).

Once the other engineers' test runs stopped, pgbench at 8 clients rose from ~3,000 to
~5,300 tps while the wallet stayed around 1,100–1,600 transfers/s: the wallet side is bound
by the server work per transfer, pgbench was the more sensitive to the shared load. The
ratio therefore depends on what else runs on the machine; the run below is the reference.

The profile after group commit (pyinstrument, 8 clients, one process): the client uses
~30 % of a core; ~65 % of its wall time is waiting for the batch statements, i.e. the
database is the limit.

A bug in an earlier version of this benchmark, worth knowing when reading old figures:
the send-only runs reused the keys of the transfer runs (same random seed), so they measured
replays; keys now carry a per-run id.

Profile (pyinstrument, one client, baseline): 88 % of the wall time waiting on ~25 round
trips per transfer (≈1 ms each here), the rest SQLAlchemy statement compilation and result
handling; the tier-cap `SUM` scans were 2 of those round trips, not the biggest cost at this
data size (a person's year of entries is read through `ix_entries_account_tx`). After the
rewrite the server's share of the CPU is the limit: per complete transfer PostgreSQL executes
two CTEs with about eight row writes each (pgbench's TPC-B writes four rows per transaction).

Correctness found on the way: the fast path first checked the balance read by its
`SELECT … ORDER BY id FOR UPDATE` step; under concurrency that value could be older than the
row it then updated, and the bank test (tests/crash/test_bank_snapshots.py) caught an overdraft
(stopped by the `no_overdraft` CHECK constraint). The debit now decides in the `UPDATE`'s own
`WHERE` (re-evaluated on the latest row), the batched send debits row by row, and a guard
aborts the whole statement (nothing written) if any leg did not move; the request then takes
the general path.

A second one, found when the general path started locking the payer (so that concurrent
payments see everything already spent): the fast path computed the tier caps in its statement
snapshot, taken before it waited for the sender's row, so 25 concurrent ¥1 sends passed a ¥10
daily cap together. The debit now applies only if the account is still the version the caps
were computed on (same `xmin`); otherwise the request takes the general path. Regression test:
tests/crash/test_caps_concurrency.py. No measurable change in P2.

### Red-packet claim fast path

Where the time went (PostgreSQL, general path): `red_packets.claim` is ~12 round trips in one
transaction (BEGIN, idempotency row, packet read, existing-claim read, payee, wallet, the
conditional packet update, share read, journal, two balance updates, entries, claim row,
second packet update, stored result, COMMIT), and it holds the packet's row lock from the
conditional update to COMMIT. The escrow is also a shared row: `system_account(...,
"redpacket_escrow", spread_by=sender_id)` puts every packet of a sender — and the packets of
all senders — on 8 shards, so 100 packets share 8 escrow rows. The storm itself keeps both
processes on the same packet at the same moment (each packet's claimers are split over the
two processes and released in packet order), so claims are serialized on the packet row and
the time a claim holds it is what counts.

What was built (`wallet/services/claim_fastpath.py`, used by `red_packets.claim` on
PostgreSQL first; `WALLET_CLAIM_FAST_PATH=0` switches it off, `WALLET_CLAIM_GROUP_COMMIT=0`
keeps the single statement without batching):
- the happy path as ONE data-modifying CTE sent in autocommit: checks in the statement's
  snapshot (key unused, packet found, for this person, not claimed by them, open, before its
  expiry, claimer verified with a wallet), the packets locked in id order, the share numbers
  taken by the conditional `UPDATE` of the packet row (claimed_count + k ≤ shares, status
  'open'; claimed amount grows by those shares; the last share closes it with that claim's
  time), the share amounts, escrow and claimer accounts locked in id order and moved, journal +
  two entries, the claim row (ON CONFLICT on (packet_id, user_id)), and the operations row with
  the same result the general path stores. A guard aborts the whole statement if any count
  does not match. The general path writes no outbox notice for a claim, so neither does this.
- group commit: concurrent claims of a process share one statement and one commit (at most
  64, one per key and per (packet, person); two batches in flight), each with its own key and
  answer. A batch of k claims of one packet takes k consecutive shares or none (then those
  requests are sent again; after 3 tries the general path decides).
- precise answers without any lock: when the snapshot already shows NotForYou, AlreadyClaimed
  (with the amount), RedPacketEmpty or RedPacketExpired (in the general path's order, and only
  if the key is unused), the fast path raises it; these facts never revert, so the general path
  would answer the same. Anything else it cannot serve (unknown packet, replay, key conflict,
  unverified claimer, no wallet) writes nothing and takes the general path.
- `claim_fastpath.warm(ctx, n)`: runs the statement 6 times on n pooled connections for a
  packet that does not exist. The storm now calls it after opening its pool (`BENCH_P4_WARM=0`:
  cold, as before). The bot should call it at start-up too — not wired in this branch.

Two things found on the way:
- the first version read the packet's claimed_count from the `SELECT … FOR NO KEY UPDATE` CTE
  that locked it; under contention that value was older than the row it had locked (the same
  effect the transfer fast path met with balances), the guard caught it and every contended
  batch was declined and run alone (10 × 100 quick: p99 5.6 s). The share numbers now come from
  the `UPDATE … RETURNING` itself (re-evaluated on the latest row). Its WHERE uses only
  conditions that never turn true again (`status = 'open'`, `claimed_count + k <= shares`), so
  a row filtered out on the snapshot's version cannot hide one the latest version would accept.
- a fresh PostgreSQL backend pays ~15-20 ms the first time it runs this statement (catalog
  caches, planning), then 2-4 ms for each of the next four (custom plans), then ~0.5 ms on the
  cached plan (measured on one connection, a batch of 16 reads). The storm releases 1,000
  claimers onto 32 new connections, so the first ~16 batches of each process paid that: it was
  most of the one-packet p99. A used-key check written as `EXISTS` was also planned as a hash
  of the whole operations table; it is now a scalar subquery (an index probe per request).

EXPLAIN ANALYZE of one batch of 16 claims over 10 packets (1,000 people): 2.5 ms execution,
1.3 ms planning, of which 0.45 ms foreign-key triggers (entries 2 × 32, claims 3 × 16).

Measured (all under `flock /tmp/bench.lock`; "base" = the code at 537c40c, the branch point,
run from a `git archive` copy; "fast" = 21b516e; load average 4-9 from other sessions' tests,
so figures move a lot between runs — compare within a block; the table is one block, run
back to back in one `flock` from 16:42 UTC, load average 4.6 at its start):

| run | case | base p99 | fast p99 | fast claims/s |
|---|---|---|---|---|
| `python -m bench --quick --only P4` | one packet × 1,000 | 4,369 ms | **216 ms** | 875 |
| same | 10 packets × 100 | 11,490 ms | **548 ms** | 1,739 |
| `python -m bench --only P4` | one packet × 1,000 | 3,735 ms | **173 ms** | 1,050 |
| same | 100 packets × 100 | 92,108 ms (107.5 claims/s) | **2,844 ms** | 3,205 |
| `BENCH_P4_WARM=0 python -m bench --only P4` (cold pool) | one packet × 1,000 | — | 604 ms | 645 |
| same | 100 packets × 100 | — | 3,185 ms | 2,885 |

A second block, once the machine was quieter (one `flock`, from 16:49 UTC, load average 1.6;
fast = 65b6379, same claim code as 21b516e), `python -m bench --only P4`: one packet × 1,000 —
base p99 1,800 ms, fast **96 ms** (emptied in 0.061 s); 100 packets × 100 — base p99 47,189 ms
(208.9 claims/s), fast **1,982 ms** (4,769 claims/s, emptied in 2.1 s). Just before it,
`python -m bench --quick --only SQLITE,P4` (16:46, fast code): PostgreSQL 104 ms / 263 ms
(10 × 100); SQLite FULL, general path, untouched here: 3,915 ms / 12,247 ms (10 × 100).
Every run above ended with a clean audit (the bench reports a case whose audit fails).

Earlier full runs of the same code (`python -m bench --only P4`): 16:17 UTC, load 2.3: one
packet p99 159 ms, 100 × 100 p99 2,716 ms (3,298 claims/s). One side-by-side block at
16:17-16:24 while the load rose to 9.4 (full size): base 7,746 ms / 259,941 ms; fast without
group commit (`WALLET_CLAIM_GROUP_COMMIT=0`) 1,356 ms / 51,724 ms; fast with group commit,
cold 1,191 ms / 6,457 ms; warm 326 ms / 6,818 ms. So group commit pays (≈ 8× on 100 × 100):
a single-statement claim still holds the packet row through its own commit, and the storm
serializes claimers on it; a batch serves up to 16 claims (the storm's 16 requests in flight
per process) per lock hold and WAL flush.

Targets (PostgreSQL): one packet × 1,000 p99 ≤ 0.5 s — met in every warm run (96-326 ms), not
in the cold runs (604 ms at load 4.6, 1,191 ms at load 9). 100 × 100 p99 ≤ 3 s — met in the
three full warm runs at load ≤ 4.6 (1,982, 2,716 and 2,844 ms), missed at load 9 (6,818 ms)
and cold (3,185 ms). What stands in the way: the packet row is held from the batch's
lock to its commit (WAL flush), and the two processes alternate on it; batches are capped at
16 by the storm's 16 requests in flight per process; and the 8 escrow shards are shared by all
packets. What would move it further: an escrow row per packet (a schema/creation change for
the schema owner), or letting the batcher see more than the pool size of waiting claims.
SQLite is untouched by this change (general path; see the SQLite helper's section).
"""


def machine() -> dict:
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # pragma: no cover
            return ""

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    pg = sh("psql -h 127.0.0.1 -U postgres -Atc 'show server_version'") or "?"
    pgset = sh("psql -h 127.0.0.1 -U postgres -Atc \"select string_agg(name || '=' || setting, ', ') from pg_settings "
               "where name in ('fsync','synchronous_commit','shared_buffers','max_connections','wal_level')\"")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": platform.platform(),
            "python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version, "postgresql": pg,
            "postgresql_settings": pgset, "load_average_at_end": sh("cut -d' ' -f1-3 /proc/loadavg")}


def _fmt(v):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def write(b, elapsed: float, command: str) -> None:
    r = b.results
    m = machine()
    doc = {"command": command, "quick": b.quick, "people": b.people, "seconds": round(elapsed, 1),
           "finished_at": datetime.now(timezone.utc).isoformat(), "machine": m, "results": r,
           "failed": b.failed, "notes": b.notes}
    (HERE / "results.json").write_text(json.dumps({**r, "_meta": doc}, indent=1, ensure_ascii=False, default=str))

    L = []
    L.append("# Benchmarks\n")
    L.append(f"Command: `{command}` ({'quick: shorter runs of the same cases' if b.quick else 'full run'}), "
             f"{elapsed:.0f} s, finished {doc['finished_at'][:19]} UTC. Figures are in `bench/results.json` "
             "under the same keys.\n")
    L.append("## Machine\n")
    L.append(f"- CPU: {m['cpu']} — {m['cores']} cores; memory {m['memory']}; {m['os']}")
    L.append(f"- PostgreSQL {m['postgresql']} on 127.0.0.1 ({m['postgresql_settings']}); SQLite {m['sqlite']}; Python {m['python']}")
    L.append(f"- load average at the end: {m['load_average_at_end']} (other work on the machine shares the cores; "
             "P1 and P2 run back to back in one run, so they see the same conditions)\n")
    if b.failed:
        L.append("## FAILED cases (audit or error: reported as failed, not as figures)\n")
        for k, why in b.failed.items():
            L.append(f"- **{k}**: ```{why[:800]}```")
        L.append("")

    L.append("## P1 / P2 — pgbench against wallet transfers on the same PostgreSQL\n")
    L.append(f"{b.people:,} people, each funded through a real-looking top-up (bank charge + journal). "
             "A *transfer* is what the product does: `transfers.send` (sender → escrow, idempotency key, "
             "tier caps, journal entries) then `transfers.accept` (escrow → recipient) — two service calls, "
             "counted once. The single-operation rate (send alone) is shown too. Random sender and "
             "recipient, ¥0.01–¥1.00. PINs are verified by the caller (`pin_checked=True`): bcrypt is "
             "CPU work measured in P5, not database throughput. pgbench: TPC-B-like default script, "
             "scale 10, `-j min(c,2)`, its own database.\n")
    L.append("| clients | pgbench tps | transfers/s (send+accept) | ratio | sends/s (one op) | ratio (one op) |")
    L.append("|---|---|---|---|---|---|")
    for c in (1, 4, 8):
        L.append(f"| {c} | {_fmt(r.get(f'p1_pgbench_tps_c{c}'))} | {_fmt(r.get(f'p2_pg_tps_c{c}'))} | "
                 f"**{_fmt(r.get(f'p2_pg_ratio_c{c}'))}** | {_fmt(r.get(f'p2_pg_send_tps_c{c}'))} | "
                 f"{_fmt(r.get(f'p2_pg_send_ratio_c{c}'))} |")
    L.append("")
    L.append("`p2_pg_ratio_cN` (the headline) divides complete transfers by pgbench tps; "
             "`p2_pg_send_ratio_cN` divides single sends. A complete transfer is two database "
             "transactions, a pgbench transaction one.\n")
    L.append(f"SQLite (file database, WAL, `BEGIN IMMEDIATE`, 4 concurrent clients in one process, "
             f"same workload): synchronous=FULL **{_fmt(r.get('p2_sqlite_full_tps'))}** transfers/s, "
             f"synchronous=NORMAL **{_fmt(r.get('p2_sqlite_normal_tps'))}** transfers/s. "
             "SQLite takes the general path (one writer at a time; a transaction per operation).\n")
    L.append(f"Its reference, run side by side: the standard library's sqlite3 doing the leanest transfer "
             f"with the same durability (WAL, synchronous=FULL, `BEGIN IMMEDIATE`, idempotency row, "
             f"conditional debit, credit, two entries; `bench/sqlite_raw.py`) on one connection: "
             f"**{_fmt(r.get('p1_sqlite_raw_tps'))}** transfers/s. "
             f"**p2_sqlite_ratio = {_fmt(r.get('p2_sqlite_ratio'))}** (complete wallet transfers, send and "
             f"accept, over raw single transfers; target ≥ 0.1).\n")

    L.append("## P3 — one hot account\n")
    L.append(f"8 clients, every transfer pays the same merchant: **{_fmt(r.get('p3_pg_hot_tps_c8'))}** transfers/s, "
             f"**{_fmt(r.get('p3_pg_hot_ratio_to_p2_c8'))}×** P2 at 8 clients. Every accept locks the "
             "merchant's wallet row, so accepts queue on it; sends still spread over the escrow shards.\n")

    L.append("## P4 — red-packet storm\n")
    L.append("`red_packets.claim` as shipped (on PostgreSQL its one-statement fast path with group commit, "
             "`claim_fastpath`; on SQLite the general path). All claimers are released at the same "
             "instant from two processes; as many are in the database at once as the pools hold (16 "
             "connections per process), the rest wait for a connection — their wait is in the latency. "
             "Each process opens its connections before the release and, on PostgreSQL, has each plan the "
             "claim statement (`claim_fastpath.warm`; `BENCH_P4_WARM=0` for a cold pool).\n")
    L.append("| case | time to empty (s) | claims/s | attempts | p50 ms | p99 ms | retries | deadlocks | database is locked |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for db in ("pg", "sqlite"):
        for kind, what in (("single", "one 100-share packet, 1,000 claimers"),
                           ("multi", f"{'10' if b.quick else '100'} packets × 100 claimers, in parallel")):
            p = f"p4_{db}_{kind}_"
            if p + "claimed" not in r:
                continue
            L.append(f"| {'PostgreSQL' if db == 'pg' else 'SQLite FULL'}: {what} | {_fmt(r.get(p + 'time_to_empty_s'))} | "
                     f"{_fmt(r.get(p + 'claims_per_s'))} | {r.get(p + 'attempts')} ({r.get(p + 'claimed')} got a share) | "
                     f"{_fmt(r.get(p + 'p50_ms'))} | {_fmt(r.get(p + 'p99_ms'))} | {r.get(p + 'retries')} | "
                     f"{r.get(p + 'deadlocks')} | {r.get(p + 'database_locked')} |")
    L.append("\nclaims/s = shares taken ÷ time to empty. Retries are the unit of work's retries of "
             "transient conflicts (deadlock, serialization failure, database is locked).\n")

    L.append("## P5 — the event loop stays free\n")
    L.append(f"p99 latency of `bills.balance` (one read transaction) alone: {_fmt(r.get('p5_alone_p99_ms'))} ms; "
             f"while 20 PIN checks (`pins.verify_pin`, bcrypt cost 12) run at once: "
             f"{_fmt(r.get('p5_busy_p99_ms'))} ms. **p5_pin_p99_ratio = {_fmt(r.get('p5_pin_p99_ratio'))}** "
             f"({r.get('p5_pin_checks_done')} PIN checks done in the window; one event loop, one process).\n")
    L.append("bcrypt releases the GIL (measured: a 1 ms sleeper loop sees ≤ 5 ms gaps while checks run), so "
             "the loop itself is never blocked; what hurt was CPU: cost 12 is ~0.2 s of one core per check, "
             "and with `asyncio.to_thread` (default executor, 6 threads on 2 cores) 20 checks left the loop "
             "and PostgreSQL a fraction of the CPU: ratio 6.2–13 in development runs. `wallet/pin.py` now "
             "(commit ca55f97, not by this benchmark) runs bcrypt on its own pool of cores − 1 threads at "
             "nice 19; the same experiment done from the benchmark before that commit (one nice-19 thread "
             "as the default executor) gave 1.16–1.6. The figure above is the code as shipped.\n")

    L.append("## Targets\n")
    ratio8 = r.get("p2_pg_ratio_c8")
    p5 = r.get("p5_pin_p99_ratio")
    L.append(f"- P2 on PostgreSQL at 8 clients ≥ 0.5× pgbench: **{_fmt(ratio8)}** — "
             f"{'met' if ratio8 is not None and ratio8 >= 0.5 else 'not met in this run'} "
             f"(single sends: {_fmt(r.get('p2_pg_send_ratio_c8'))}).")
    L.append(f"- P5 ≤ 2: **{_fmt(p5)}** — {'met' if p5 is not None and p5 <= 2 else 'not met in this run'}.\n")
    L.append(WHAT_STANDS)
    L.append(HISTORY)
    L.append(SCHEMA_HOT_TABLES)
    L.append("## Log of this run\n")
    L.append("```")
    for case, lines in b.notes.items():
        for line in lines:
            L.append(f"[{case}] {line}")
    L.append("```")
    (HERE / "REPORT.md").write_text("\n".join(L) + "\n")


WHAT_STANDS = """\
What stands in the way, where a target is missed:
- P2: the server's work per transfer. Both sides share 2 cores; with group commit the client
  process uses ~30 % of a core and waits on PostgreSQL the rest of the time. `EXPLAIN ANALYZE`
  of one batched send of 8 requests: 2.1 ms execution (0.26 ms per send), of which 0.55 ms are
  the foreign-key triggers. Per send PostgreSQL writes 5 rows with 13 index entries
  (operations 1; transfers 4; journal 2; two entries × 3) and checks 7 foreign keys, plus the
  two balance updates; the accept writes as much again (its status update is not HOT: the
  status is indexed, so all four transfer indexes get a new entry). A pgbench TPC-B
  transaction is three HOT updates and one insert into an unindexed table. Counted as one
  operation (`p2_pg_send_ratio_c8`) the wallet reaches 0.47–0.78× over the last four full
  runs; counted as the complete transfer (two operations, the headline) 0.33–0.42× — the
  lower figures on an idle machine, where pgbench gains most. (During
  development, with other engineers' tests loading the machine, pgbench at 8 clients measured
  2,500–3,300 tps and the wallet 1,571 transfers/s, in separate runs — pgbench loses more from
  a shared CPU than the batched wallet; only the side-by-side figures above count.) Migration 0013
  then cut the foreign keys on `entries` and made transfers' indexes partial (pending only):
  cheaper sends, but the complete transfer did not move, and at 8 clients PostgreSQL is
  busy only ~0.67 backends on average during it (see "Schema for the hot tables").
- P5: CPU, not the event loop (see P5). With bcrypt on a bounded nice-19 pool it is met on
  this machine; other CPU-heavy work on the same cores (other processes) still moves it.
- P4: `red_packets.claim` takes ~12 statements in one transaction while it holds the packet's
  row lock, so claims of one packet are serialized at the round-trip rate. A one-statement
  claim (as done for transfers) would shorten the time the lock is held.
"""
