"""What PostgreSQL itself spends on the fast path's statements, read from the server's own log.

``ServerLog(dbname)`` turns on, for one bench database only, ``log_min_duration_statement = 0``
(every parse, bind and execute with its duration) and ``log_executor_stats`` (the executor's CPU
time per statement), remembers where the server log ends, and after the load ``breakdown()``
reads what was written since, per kind of statement:

- ``bind``: its duration; a bind that plans the statement (a custom plan, or the generic plan
  being built) takes milliseconds, one that reuses a cached plan a few microseconds;
- ``execute``: its duration and the executor's CPU time;
- what the server log cannot see is the rest of what the client waits for: the commit at
  ``Sync`` (the WAL flush), the trip back and the client's own work. For the WAL flush,
  ``wal()`` gives the cluster's ``pg_stat_wal`` since open() (with ``track_wal_io_timing`` on for
  this database): how many flushes and their mean time.

It needs superuser (ALTER DATABASE ... SET of these settings) and the log file readable by this user
(Debian's ``/var/log/postgresql/postgresql-<cluster>.log``, found from ``cluster_name``).
"""
from __future__ import annotations

import os
import re
import statistics

import asyncpg

from bench.common import PG_ADMIN

KINDS = {  # what identifies each statement in the log
    "send_batch": "WITH ORDINALITY AS r(key, sender, recipient",
    "accept_batch": "WITH ORDINALITY AS r(key, tid, usr",
    "claim_batch": "WITH ORDINALITY AS r(key, pid, usr",
}
PLANNED_MS = 0.5  # a bind longer than this planned the statement
_DURATION = re.compile(r"duration: ([\d.]+) ms\s+(parse|bind|execute) ")
_USAGE = re.compile(r"([\d.]+) s user, ([\d.]+) s system, ([\d.]+) s elapsed")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d")


async def _admin(sql: str):
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


class ServerLog:
    def __init__(self, dbname: str):
        self.dbname = dbname
        self.path: str | None = None  # the server log, once open() could read it
        self.start = 0  # where it ended at open()
        self.wal0: dict = {}  # pg_stat_wal at open()

    async def open(self) -> str | None:
        """Turn the logging on for this database; None if it can be read, else why not."""
        cluster = await _admin("SHOW cluster_name")
        path = f"/var/log/postgresql/postgresql-{cluster.replace('/', '-')}.log" if cluster else ""
        if not path or not os.access(path, os.R_OK):
            return f"server log {path or '(no cluster_name)'} not readable here"
        for setting in ("log_min_duration_statement = 0", "log_executor_stats = on", "track_wal_io_timing = on"):
            await _admin(f'ALTER DATABASE "{self.dbname}" SET {setting}')
        self.path, self.start = path, os.path.getsize(path)
        self.wal0 = await self._wal()
        return None

    @staticmethod
    async def _wal() -> dict:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            return dict(await conn.fetchrow("SELECT wal_records, wal_bytes, wal_sync, wal_sync_time FROM pg_stat_wal"))
        finally:
            await conn.close()

    async def wal(self) -> dict:
        """The WAL flushes since open(): their count and mean ms, and the records written."""
        now = await self._wal()
        d = {k: now[k] - self.wal0[k] for k in now}
        return {"flushes": d["wal_sync"], "flush_mean_ms": round(float(d["wal_sync_time"]) / d["wal_sync"], 2)
                if d["wal_sync"] else None, "records": d["wal_records"], "bytes": int(d["wal_bytes"])}

    def records(self):
        """The log's records (one per stamped line with its continuation lines) since open()."""
        with open(self.path, errors="replace") as f:
            f.seek(self.start)
            cur: list[str] = []
            for line in f:
                if _STAMP.match(line) and cur:
                    yield "".join(cur)
                    cur = []
                cur.append(line)
            if cur:
                yield "".join(cur)

    def breakdown(self) -> dict[str, dict]:
        """Per kind: count, bind p50/mean ms, binds that planned, execute p50/mean ms, executor CPU mean ms."""
        out = {k: {"bind": [], "execute": [], "cpu": []} for k in KINDS}
        usage: dict[str, float] = {}  # per backend: the executor's CPU so far in its statement
        tag = f"@{self.dbname} "
        for rec in self.records():
            if tag not in rec:
                continue
            pid = rec[rec.index("[") + 1:rec.index("]")]
            if "system usage stats" in rec:  # cumulative, logged (twice) as the portal runs
                m = _USAGE.search(rec)
                if m:
                    usage[pid] = (float(m.group(1)) + float(m.group(2))) * 1000
                continue
            kind = next((k for k, mark in KINDS.items() if mark in rec), None)
            m = _DURATION.search(rec)
            if m and kind and m.group(2) in ("bind", "execute"):
                out[kind][m.group(2)].append(float(m.group(1)))
                if m.group(2) == "execute" and pid in usage:
                    out[kind]["cpu"].append(usage.pop(pid))
            elif m and m.group(2) == "execute":
                usage.pop(pid, None)
        result = {}
        for kind, v in out.items():
            if not v["execute"]:
                continue
            result[kind] = {
                "n": len(v["execute"]),
                "bind_p50_ms": round(statistics.median(v["bind"]), 2) if v["bind"] else None,
                "bind_mean_ms": round(statistics.mean(v["bind"]), 2) if v["bind"] else None,
                "binds_that_planned": sum(1 for x in v["bind"] if x > PLANNED_MS),
                "execute_p50_ms": round(statistics.median(v["execute"]), 2),
                "execute_mean_ms": round(statistics.mean(v["execute"]), 2),
                "executor_cpu_mean_ms": round(statistics.mean(v["cpu"]), 2) if v["cpu"] else None,
            }
        return result

    async def close(self) -> None:
        for setting in ("log_min_duration_statement", "log_executor_stats", "track_wal_io_timing"):
            try:
                await _admin(f'ALTER DATABASE "{self.dbname}" RESET {setting}')
            except asyncpg.InvalidCatalogNameError:  # the database is already gone
                pass
