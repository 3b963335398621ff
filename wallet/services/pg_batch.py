"""Pieces the PostgreSQL fast paths (transfer_fastpath, claim_fastpath) share: the SQL that
writes a timestamp as Python's ``isoformat()`` does, and how a batch is taken from the queue."""
from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable


def iso_sql(col: str) -> str:
    """SQL for Python's ``datetime.isoformat()`` of an aware UTC datetime stored naive."""
    return (f"(to_char({col}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN (date_part('microseconds', {col})::bigint"
            f" % 1000000) <> 0 THEN to_char({col}, '.US') ELSE '' END || '+00:00')")


def take_batch(queue: list[tuple[dict, Any]], marks: Callable[[dict], Iterable[Hashable]],
               limit: int) -> tuple[list, list]:
    """(batch, rest): at most ``limit`` queued requests, no two sharing a mark (a key, a payer, a
    transfer, a packet and person...); the others wait for the next batch, in their order."""
    batch, rest, seen = [], [], set()
    for item in queue:
        m = set(marks(item[0]))
        if len(batch) < limit and not (m & seen):
            batch.append(item)
            seen |= m
        else:
            rest.append(item)
    return batch, rest
