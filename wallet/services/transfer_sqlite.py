"""SQLite fast path of transfers.send and transfers.accept: the whole happy path as ONE sync
function run in the aiosqlite thread of a pooled connection (one thread hop per transaction,
``wallet.sqlite_hop``), on the stdlib sqlite3 connection, inside ``BEGIN IMMEDIATE``, and by
default with group commit (concurrent requests of the process share one transaction, each in
its own SAVEPOINT, each answered after the COMMIT).

Same rows, same journal conventions (``wallet.ledger``), same stored operations result and same
outbox notice as the general path in ``wallet.services.transfers``, and the same rules from the
same sources: the guards of ``wallet.services.guards`` (frozen, verified), the caps of
``ctx.rules`` by ``transfer_rules.cap_exceeded`` over ``transfer_rules.spent_sql`` from
``limits.local_day_start``, the debit rule (``transfer_rules.debit_allowed_sql``), the answer of
``transfer_rules.view``, the notices of ``transfer_rules.NOTICES``; with the risk engine on, only
a transfer on which no risk rule can fire (``wallet.risk.prescreen``). Anything unusual — a
replayed key, any failed check, a recipient without an open verified wallet, an unknown transfer —
writes nothing and returns None: the general path then runs and raises the precise error or replays.
``tests/wallet/test_same_outcome.py`` holds both paths to the same outcome, case by case.

Switch it off with WALLET_SQLITE_FAST_PATH=0 (or WALLET_TRANSFER_FAST_PATH=0, which switches off the
transfer fast path on either database); group commit alone with WALLET_SQLITE_GROUP_COMMIT=0.
Measured in bench/REPORT.md ("SQLite fast path")."""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import zlib
from datetime import datetime, timedelta
from types import SimpleNamespace

from wallet import ledger, sqlite_hop
from wallet.context import Context
from wallet.errors import WalletError
from wallet.models import UTCDateTime
from wallet.risk import prescreen
from wallet.services import guards, transfer_fastpath
from wallet.services.limits import local_day_start
from wallet.services.transfer_rules import NOTICES, cap_exceeded, debit_allowed_sql, notice_key, spent_sql, view
from wallet.uow import read, request_hash, require_stored_key

log = logging.getLogger("wallet.transfers.sqlite")
FAST_PATH = os.environ.get("WALLET_SQLITE_FAST_PATH", "1") != "0"
GROUP_COMMIT = os.environ.get("WALLET_SQLITE_GROUP_COMMIT", "1") != "0"


def enabled(ctx: Context) -> bool:
    # WALLET_TRANSFER_FAST_PATH=0 switches the transfer fast path off on either database
    return FAST_PATH and transfer_fastpath.FAST_PATH and ctx.sqlite


class _Declined(Exception):
    """A check failed: this request writes nothing and takes the general path."""


def _check(rule, *args) -> None:
    """A guard of the general path (it raises the precise error there); here it declines."""
    try:
        rule(*args)
    except WalletError as exc:
        raise _Declined(exc.code) from None


def _declining(fn):
    """A request function: None (roll back, general path) when a check declines it."""
    def run(db: sqlite3.Connection, p: dict):
        try:
            return fn(db, p)
        except _Declined as why:
            p["declined"] = why.args[0]
            return None
    run.__name__ = fn.__name__
    return run


# --- datetimes: as the UTCDateTime column type stores and reads them on this dialect ----------

def _codec(ctx: Context):
    c = ctx.sqlite_dt_codec
    if c is None:
        dialect = ctx.engine.dialect
        impl = UTCDateTime().dialect_impl(dialect)
        c = ctx.sqlite_dt_codec = (impl.bind_processor(dialect), impl.result_processor(dialect, None))
    return c


# --- send ----------------------------------------------------------------------------------

# money gone out of the account since the day's and the year's start (parameters: day, account, year)
_SPENT = spent_sql(account="?", day="?", year="?")
# the risk engine on: no rule can fire (wallet/risk/prescreen.py), else the general path decides
_RISK_CLEAR = (f"SELECT CASE WHEN " + prescreen.clear_sql(
    recent_count="rk.recent_count", recent_sum="rk.recent_sum", amount=":amount", recipient_opened_at="u.created_at",
    payer=":payer", count=":risk_count", total=":risk_sum", new_since=":risk_new_since")
    + f" THEN 1 ELSE 0 END FROM ({prescreen.recent_sql(account=':account', since=':risk_since')}) rk, users u "
    f"WHERE u.id = :recipient")
# the debit: a conditional update, no row means not enough money (parameters: amount, account, amount)
_DEBIT = "UPDATE accounts SET balance = balance - ? WHERE id = ? AND " + debit_allowed_sql(amount="?")
_CREDIT = "UPDATE accounts SET balance = balance + ? WHERE id = ?"
_JOURNAL = ("INSERT INTO journal (idem_key, kind, user_id, counterparty_id, note, ref_type, ref_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'transfer', ?, ?)")
_ENTRIES = "INSERT INTO entries (tx_id, account_id, amount) VALUES (?, ?, ?), (?, ?, ?)"
_OPERATION = ("INSERT INTO operations (key, op, user_id, request_hash, result, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?)")


def _user(db, user_id: int):
    row = db.execute("SELECT frozen, verified_at FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise _Declined("wallet_not_open")
    return SimpleNamespace(id=user_id, frozen=row[0], verified_at=row[1])


def _wallet(db, user_id: int) -> int:
    row = db.execute("SELECT id FROM accounts WHERE user_id = ? AND kind = 'wallet'", (user_id,)).fetchone()
    if row is None:
        raise _Declined("wallet_not_open")
    return row[0]


def _fresh_key(db, key: str) -> None:
    if db.execute("SELECT 1 FROM operations WHERE key = ?", (key,)).fetchone() is not None:
        raise _Declined("replay")  # the general path replays it or raises IdempotencyConflict


def _move(db, key: str, kind: str, src: int, dst: int, amount: int, *, user_id, counterparty_id, note,
          ref_id: int, now: str) -> None:
    """ledger.post of two legs (src -amount, dst +amount): journal, balances, entries in leg order."""
    if db.execute(_DEBIT, (amount, src, amount)).rowcount != 1:
        raise _Declined("insufficient_balance")
    if db.execute(_CREDIT, (amount, dst)).rowcount != 1:  # pragma: no cover - an account that vanished
        raise RuntimeError(f"credit of account {dst} touched no row")
    tx = db.execute(_JOURNAL, (key, kind, user_id, counterparty_id, note, ref_id, now)).lastrowid
    db.execute(_ENTRIES, (tx, src, -amount, tx, dst, amount))


@_declining
def _send(db: sqlite3.Connection, p: dict) -> dict:

    _fresh_key(db, p["key"])
    sender = _user(db, p["sender"])
    _check(guards.require_active, sender)
    _check(guards.require_verified, sender)
    _check(guards.require_verified, _user(db, p["recipient"]))
    src = _wallet(db, p["sender"])
    day_used, year_used = (int(v) for v in db.execute(_SPENT, (p["day"], src, p["year"])).fetchone())
    amount = p["amount"]
    if cap_exceeded(day_used, year_used, amount, day_cap=p["day_cap"], year_cap=p["year_cap"]):
        raise _Declined("limit_exceeded")
    risk = p.get("risk")
    if risk is not None and not db.execute(_RISK_CLEAR, {**risk, "amount": amount, "payer": p["sender"],
                                                         "account": src, "recipient": p["recipient"]}).fetchone()[0]:
        raise _Declined("risk")
    tid = db.execute(
        "INSERT INTO transfers (sender_id, recipient_id, amount, note, status, escrow_account_id, created_at, "
        "arrive_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
        (p["sender"], p["recipient"], amount, p["note"], p["escrow"], p["now"], p["arrive"], p["expires"])).lastrowid
    _move(db, p["key"], "transfer_hold", src, p["escrow"], amount, user_id=p["sender"],
          counterparty_id=p["recipient"], note=p["note"], ref_id=tid, now=p["now"])
    result = json.loads(json.dumps(view(SimpleNamespace(
        id=tid, sender_id=p["sender"], recipient_id=p["recipient"], amount=amount, note=p["note"], status="pending",
        created_at=p["now_dt"], arrive_at=p["arrive_dt"], expires_at=p["expires_dt"])), default=str))
    db.execute(_OPERATION, (p["key"], "transfer_send", p["sender"], p["hash"], json.dumps(result), p["now"]))
    return result


async def _escrow(ctx: Context, sender_id: int) -> int:
    shard = zlib.crc32(str(sender_id).encode()) % ctx.rules.system_account_shards  # as ledger.system_account
    cached = ctx.system_ids.get(("transfer_escrow", shard))
    if cached is not None:
        return cached
    return await read(ctx, lambda conn: ledger.system_account(ctx, conn, "transfer_escrow", spread_by=sender_id))


async def send(ctx: Context, *, key: str, sender_id: int, recipient_id: int, amount: int, note: str | None,
               delay_seconds: int, request: dict) -> dict | None:
    require_stored_key(key)
    bind, back = _codec(ctx)
    now = ctx.now()
    arrive = now + timedelta(seconds=delay_seconds)
    expires = arrive + timedelta(seconds=ctx.rules.transfer_expiry_seconds)
    day = local_day_start(ctx, now)  # as limits.check_outgoing
    p = {"key": key, "sender": sender_id, "recipient": recipient_id, "amount": amount, "note": note,
         "escrow": await _escrow(ctx, sender_id), "hash": request_hash("transfer_send", request),
         "now": bind(now), "arrive": bind(arrive), "expires": bind(expires),
         "day": bind(day), "year": bind(day.replace(month=1, day=1)),
         "day_cap": ctx.rules.daily_cap_verified, "year_cap": ctx.rules.yearly_cap_verified,
         "risk": None if ctx.risk is None else {k: bind(v) if isinstance(v, datetime) else v
                                                for k, v in prescreen.params(ctx.risk, now).items()}}
    p["now_dt"], p["arrive_dt"], p["expires_dt"] = back(p["now"]), back(p["arrive"]), back(p["expires"])
    return await _run(ctx, _send, p)


# --- accept --------------------------------------------------------------------------------

@_declining
def _accept(db: sqlite3.Connection, p: dict) -> dict:

    _fresh_key(db, p["key"])
    row = db.execute("SELECT id, sender_id, recipient_id, amount, note, status, escrow_account_id, created_at, "
                     "arrive_at, expires_at FROM transfers WHERE id = ?", (p["tid"],)).fetchone()
    if row is None:
        raise _Declined("transfer_not_found")
    back = p["back"]
    t = SimpleNamespace(id=row[0], sender_id=row[1], recipient_id=row[2], amount=row[3], note=row[4], status=row[5],
                        escrow_account_id=row[6], created_at=back(row[7]), arrive_at=back(row[8]),
                        expires_at=back(row[9]))
    now = p["now_dt"]
    # transfers.accept's checks: its recipient, still pending, not expired, arrived, payee verified
    if t.recipient_id != p["user"] or t.status != "pending" or t.expires_at <= now or now < t.arrive_at:
        raise _Declined("not_acceptable")
    _check(guards.require_verified, _user(db, p["user"]))
    dst = _wallet(db, p["user"])
    if db.execute("UPDATE transfers SET status = 'accepted', resolved_at = ? WHERE id = ? AND status = 'pending'",
                  (p["now"], t.id)).rowcount != 1:  # pragma: no cover - read pending under the write lock
        raise _Declined("transfer_not_pending")
    _move(db, p["key"], "transfer_accept", t.escrow_account_id, dst, t.amount, user_id=p["user"],
          counterparty_id=t.sender_id, note=t.note, ref_id=t.id, now=p["now"])
    for role, msgid in NOTICES.get("accepted", ()):  # outbox.enqueue, as transfers._end writes them
        told, other = (t.sender_id, t.recipient_id) if role == "sender" else (t.recipient_id, t.sender_id)
        if told is None:
            continue
        nkey = require_stored_key(notice_key("accepted", t.id, role))
        db.execute("INSERT INTO outbox (key, user_id, msgid, params, status, attempts, not_before, created_at) "
                   "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING",
                   (nkey, told, msgid, json.dumps({"amount": t.amount, "counterparty_id": other}, sort_keys=True,
                                                  default=str), p["now"], p["now"]))
    result = json.loads(json.dumps({**view(t), "status": "accepted"}, default=str))
    db.execute(_OPERATION, (p["key"], "transfer_accept", p["user"], p["hash"], json.dumps(result), p["now"]))
    return result


async def accept(ctx: Context, *, key: str, user_id: int, transfer_id: int) -> dict | None:
    require_stored_key(key)
    bind, back = _codec(ctx)
    now = bind(ctx.now())
    p = {"key": key, "user": user_id, "tid": transfer_id, "now": now, "now_dt": back(now), "back": back,
         "hash": request_hash("transfer_accept", {"transfer_id": transfer_id})}
    return await _run(ctx, _accept, p)


# --- one hop, alone or grouped ---------------------------------------------------------------

async def _run(ctx: Context, fn, p: dict) -> dict | None:
    if GROUP_COMMIT:
        result = await sqlite_hop.grouped(ctx, fn, p)
    else:
        result = await sqlite_hop.in_write_tx(ctx, fn, p)
    if result is None:
        log.debug("sqlite fast path declined (%s); general path for key=%s", p.get("declined", "failed"), p["key"])
    return result
