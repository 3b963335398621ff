"""Pieces the PostgreSQL fast paths (transfer_fastpath, claim_fastpath) share: the SQL that
writes a timestamp as Python's ``isoformat()`` does. (How a batch is taken from the queue lives
in the group-commit engine, ``wallet.group_commit``.)"""
from __future__ import annotations


def iso_sql(col: str) -> str:
    """SQL for Python's ``datetime.isoformat()`` of an aware UTC datetime stored naive."""
    return (f"(to_char({col}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN (date_part('microseconds', {col})::bigint"
            f" % 1000000) <> 0 THEN to_char({col}, '.US') ELSE '' END || '+00:00')")
