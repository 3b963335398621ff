"""The reference for SQLite, run side by side like pgbench: the leanest complete transfer the
standard library's sqlite3 can do with the wallet's durability — WAL, synchronous=FULL, one
``BEGIN IMMEDIATE`` transaction per transfer holding an idempotency row, a conditional debit, a
credit and two entries. The wallet's SQLite figure (P2) is read against it
(``p2_sqlite_ratio``)."""
from __future__ import annotations

import random
import sqlite3
import time

SCHEMA = """
CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
CREATE TABLE operations (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE journal (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE entries (id INTEGER PRIMARY KEY, tx_id INTEGER NOT NULL REFERENCES journal(id),
                      account_id INTEGER NOT NULL REFERENCES accounts(id), amount INTEGER NOT NULL);
"""


def raw_tps(path: str, *, seconds: float, people: int = 1_000, seed: int = 7) -> dict:
    """Transfers per second on one connection for ``seconds`` (after a short warm-up)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(SCHEMA)
    db.execute("BEGIN")
    db.executemany("INSERT INTO accounts (id, balance) VALUES (?, ?)", [(i, 10**9) for i in range(1, people + 1)])
    db.execute("COMMIT")
    rnd = random.Random(seed)
    n = refused = 0

    def transfer(i: int) -> None:
        nonlocal refused
        a, b = rnd.sample(range(1, people + 1), 2)
        amount = rnd.randint(1, 100)
        key = f"raw-{i}"
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO operations (key, result) VALUES (?, '')", (key,))
            if db.execute("UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?",
                          (amount, a, amount)).rowcount != 1:
                refused += 1
                db.execute("ROLLBACK")
                return
            db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, b))
            tx = db.execute("INSERT INTO journal (key) VALUES (?)", (key,)).lastrowid
            db.executemany("INSERT INTO entries (tx_id, account_id, amount) VALUES (?, ?, ?)",
                           [(tx, a, -amount), (tx, b, amount)])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    warm_until = time.monotonic() + min(0.5, seconds / 4)
    while time.monotonic() < warm_until:
        transfer(n)
        n += 1
    start, done = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        transfer(n)
        n += 1
        done += 1
    elapsed = time.monotonic() - start
    total = db.execute("SELECT sum(balance) FROM accounts").fetchone()[0]
    db.close()
    assert total == people * 10**9, "the raw reference lost money"
    return {"tps": done / elapsed, "refused": refused}
