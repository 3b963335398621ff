"""PostgreSQL fast path of transfers.send and transfers.accept: the happy path as ONE
statement (one round trip, one implicit transaction), and group commit of concurrent requests.

Same rows, same journal conventions and same stored result as the general path in
``wallet.services.transfers``; a request that would fail, or a replay, returns None here and
takes the general path, which raises the precise error or replays. Switch it off with
WALLET_TRANSFER_FAST_PATH=0 (group commit alone: WALLET_GROUP_COMMIT=0). Measured in bench/.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import zlib
from datetime import timedelta, timezone

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from wallet import ledger, uow
from wallet.context import Context
from wallet.group_commit import RUN, GroupCommit, of_this_loop
from wallet.risk import prescreen
from wallet.services.pg_batch import iso_sql
from wallet.services.transfer_rules import NOTICES, debit_allowed_sql, notice_key_sql, spent_sql, within_caps_sql
from wallet.services.limits import local_day_start
from wallet.uow import request_hash

log = logging.getLogger("wallet.transfers.fast")
FAST_PATH = os.environ.get("WALLET_TRANSFER_FAST_PATH", "1") != "0"


# --- PostgreSQL fast path --------------------------------------------------------------------
# The happy path of send and accept as ONE statement sent in autocommit (one round trip, one
# implicit transaction): a data-modifying CTE that locks the payer's users row (the lock every
# way money leaves a wallet takes: guards.payer on the general paths of transfers, red packets,
# withdrawals, payments) with SKIP LOCKED — a payer busy in another operation is not waited
# for: the request takes the general path, which waits and then sees what was spent — checks
# the people, the tier caps and the
# balance, locks both accounts in id order (ORDER BY id FOR UPDATE, so postings in opposite
# directions cannot deadlock), claims the idempotency key, moves the money, writes the
# transfer, the journal transaction and its entries, and stores the result under the key.
# Every write depends on every check, so a request that would fail writes nothing and returns
# no row; it then goes through the general path above, which replays a finished key or raises
# the precise error. Same rows, same journal conventions, same result as the general path.

# the caps, the debit: transfer_rules' (spent_sql, within_caps_sql, debit_allowed_sql)
_SPENT_SQL = ("\n  spent AS (" + spent_sql(account="(SELECT id FROM src)", day="CAST(:day AS timestamp)",
                                        year="CAST(:year AS timestamp)") + ")")

# with the risk engine on (``_SEND_SQL_RISK``): only a transfer no risk rule can fire on
# (wallet/risk/prescreen.py: the payer's operations in the velocity window, the recipient's age,
# no anti-theft settings); else no row and the general path, where the engine decides
# (the caps' pass over the payer's entries counts the velocity window too: one scan)
_SPENT_RISK_SQL = ("\n  spent AS (" + spent_sql(
    account="(SELECT id FROM src)", day="CAST(:day AS timestamp)", year="CAST(:year AS timestamp)",
    recent_since="CAST(:risk_since AS timestamp)", recent_kinds=prescreen.OUT_KINDS) + ")")
_RISK_CLEAR = "\n           AND " + prescreen.clear_sql(
    recent_count="spent.recent_count", recent_sum="spent.recent_sum", amount=":amount",
    recipient_opened_at="r.created_at", payer=":sender", count=":risk_count", total=":risk_sum",
    new_since="CAST(:risk_new_since AS timestamp)")


def _send_sql(risk: bool) -> str:
    return f"""
WITH
  s AS (SELECT frozen, verified_at FROM users WHERE id = :sender FOR NO KEY UPDATE SKIP LOCKED),
  r AS (SELECT verified_at, created_at FROM users WHERE id = :recipient),
  src AS (SELECT id FROM accounts WHERE user_id = :sender AND kind = 'wallet'),
  {_SPENT_RISK_SQL if risk else _SPENT_SQL},
  ok AS (SELECT src.id AS src FROM s, r, src, spent
         WHERE NOT s.frozen AND s.verified_at IS NOT NULL AND r.verified_at IS NOT NULL
           AND {within_caps_sql(day_used="spent.day_used", year_used="spent.year_used", amount=":amount",
                                day_cap=":day_cap", year_cap=":year_cap")}{_RISK_CLEAR if risk else ""}),
  lk AS (SELECT a.id, a.balance FROM accounts a WHERE a.id IN ((SELECT src FROM ok), :escrow)
         ORDER BY a.id FOR UPDATE),
  tid AS (SELECT nextval(pg_get_serial_sequence('transfers', 'id')) AS id
          WHERE EXISTS (SELECT 1 FROM lk WHERE lk.id = (SELECT src FROM ok) AND lk.balance >= :amount)),
  op AS (INSERT INTO operations (key, op, user_id, request_hash, result, created_at)
         SELECT :key, 'transfer_send', :sender, :hash,
                jsonb_build_object('transfer_id', tid.id, 'sender_id', CAST(:sender AS bigint),
                  'recipient_id', CAST(:recipient AS bigint), 'amount', CAST(:amount AS bigint),
                  'note', CAST(:note AS text), 'status', 'pending', 'created_at', CAST(:created_iso AS text),
                  'arrive_at', CAST(:arrive_iso AS text), 'expires_at', CAST(:expires_iso AS text))::text,
                CAST(:now AS timestamp)
         FROM tid ON CONFLICT DO NOTHING RETURNING result),
  upd AS (UPDATE accounts a SET balance = a.balance + CASE WHEN a.id = :escrow THEN :amount ELSE -:amount END
          FROM lk WHERE a.id = lk.id AND EXISTS (SELECT 1 FROM op)
            AND (a.id = :escrow OR ({debit_allowed_sql(amount=":amount", balance="a.balance", allow_negative="a.allow_negative")}
                                    AND a.xmin = (SELECT s0.xmin FROM accounts s0 WHERE s0.id = a.id)))
          RETURNING a.id),
  tr AS (INSERT INTO transfers (id, sender_id, recipient_id, amount, note, status, escrow_account_id,
                                created_at, arrive_at, expires_at)
         SELECT tid.id, :sender, :recipient, :amount, :note, 'pending', :escrow, CAST(:now AS timestamp),
                CAST(:arrive AS timestamp), CAST(:expires AS timestamp)
         FROM tid WHERE EXISTS (SELECT 1 FROM op) RETURNING id),
  jr AS (INSERT INTO journal (idem_key, kind, user_id, counterparty_id, note, ref_type, ref_id, created_at)
         SELECT :key, 'transfer_hold', :sender, :recipient, :note, 'transfer', tr.id, CAST(:now AS timestamp)
         FROM tr RETURNING id),
  en AS (INSERT INTO entries (tx_id, account_id, amount)
         SELECT jr.id, v.acc, v.amt FROM jr,
                (VALUES ((SELECT src FROM ok), -CAST(:amount AS bigint)), (:escrow, CAST(:amount AS bigint))) AS v(acc, amt)
         RETURNING 1)
SELECT CASE WHEN n.moved = 2 * n.ops THEN n.result ELSE (1 / (n.moved - n.moved))::text END AS result,
       n.moved, n.entries
FROM (SELECT (SELECT result FROM op) AS result, (SELECT count(*) FROM op) AS ops,
             (SELECT count(*) FROM upd) AS moved, (SELECT count(*) FROM en) AS entries) AS n
"""


_SEND_SQL = text(_send_sql(False))
_SEND_SQL_RISK = text(_send_sql(True))

# the sender's notice, in the outbox, as transfer_rules.NOTICES["accepted"] says (one notice, to
# the sender: the statement below is built for exactly that, and refuses to build otherwise)
assert [role for role, _ in NOTICES["accepted"]] == ["sender"], "the accept statement tells the sender only"
_ACCEPT_NOTICE = ("""nt AS (INSERT INTO outbox (key, user_id, msgid, params, status, attempts, not_before, created_at)
         SELECT """ + notice_key_sql("accepted", "{src}.id", "sender") + """, {src}.sender_id,
                '""" + NOTICES["accepted"][0][1] + """',
                json_build_object('amount', {src}.amount, 'counterparty_id', {src}.recipient_id)::text,
                'pending', 0, {now}, {now}
         FROM {src} WHERE EXISTS (SELECT 1 FROM st) ON CONFLICT DO NOTHING RETURNING 1)""")

# The accepts find their transfer by primary key. Their status test is written `(status || '')`
# so that the partial indexes on pending transfers (migration 0013) cannot serve it: with
# statistics that say almost no transfer is pending, PostgreSQL otherwise plans the lookup
# through ix_transfers_pending_recipient, whose entries for transfers accepted since the last
# vacuum stay in it, dead, so the statement slows as accepts go on (bench/notes/10-pg-transfers.md).
_ACCEPT_SQL = text(f"""
WITH
  t AS (SELECT * FROM transfers WHERE id = :tid AND recipient_id = :user AND (status || '') = 'pending'
          AND expires_at > CAST(:now AS timestamp) AND arrive_at <= CAST(:now AS timestamp) FOR UPDATE),
  u AS (SELECT 1 FROM users WHERE id = :user AND verified_at IS NOT NULL),
  dst AS (SELECT id FROM accounts WHERE user_id = :user AND kind = 'wallet'),
  ok AS (SELECT t.*, dst.id AS dst FROM t, u, dst),
  lk AS (SELECT a.id, a.balance FROM accounts a
         WHERE a.id IN ((SELECT dst FROM ok), (SELECT escrow_account_id FROM ok)) ORDER BY a.id FOR UPDATE),
  op AS (INSERT INTO operations (key, op, user_id, request_hash, result, created_at)
         SELECT :key, 'transfer_accept', :user, :hash,
                json_build_object('transfer_id', ok.id, 'sender_id', ok.sender_id, 'recipient_id', ok.recipient_id,
                  'amount', ok.amount, 'note', ok.note, 'status', 'accepted',
                  'created_at', {iso_sql('ok.created_at')}, 'arrive_at', {iso_sql('ok.arrive_at')},
                  'expires_at', {iso_sql('ok.expires_at')})::text,
                CAST(:now AS timestamp)
         FROM ok WHERE EXISTS (SELECT 1 FROM lk WHERE lk.id = ok.escrow_account_id AND lk.balance >= ok.amount)
         ON CONFLICT DO NOTHING RETURNING result),
  st AS (UPDATE transfers SET status = 'accepted', resolved_at = CAST(:now AS timestamp)
         WHERE id = :tid AND EXISTS (SELECT 1 FROM op) RETURNING id),
  upd AS (UPDATE accounts a SET balance = a.balance + CASE WHEN a.id = ok.dst THEN ok.amount ELSE -ok.amount END
          FROM lk, ok WHERE a.id = lk.id AND EXISTS (SELECT 1 FROM op)
            AND (a.id = ok.dst OR {debit_allowed_sql(amount="ok.amount", balance="a.balance",
                                                     allow_negative="a.allow_negative")}) RETURNING a.id),
  jr AS (INSERT INTO journal (idem_key, kind, user_id, counterparty_id, note, ref_type, ref_id, created_at)
         SELECT :key, 'transfer_accept', :user, ok.sender_id, ok.note, 'transfer', ok.id, CAST(:now AS timestamp)
         FROM ok WHERE EXISTS (SELECT 1 FROM st) RETURNING id),
  en AS (INSERT INTO entries (tx_id, account_id, amount)
         SELECT jr.id, v.acc, v.amt FROM jr, ok,
                LATERAL (VALUES (ok.escrow_account_id, -ok.amount), (ok.dst, ok.amount)) AS v(acc, amt)
         RETURNING 1),
  {_ACCEPT_NOTICE.format(src="ok", now="CAST(:now AS timestamp)")}
SELECT CASE WHEN n.moved = 2 * n.ops THEN n.result ELSE (1 / (n.moved - n.moved))::text END AS result,
       n.moved, n.entries
FROM (SELECT (SELECT result FROM op) AS result, (SELECT count(*) FROM op) AS ops,
             (SELECT count(*) FROM upd) AS moved, (SELECT count(*) FROM en) AS entries) AS n
""")


def _sqlstate(exc) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _naive(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def _numbered(stmt) -> tuple[str, list[str]]:
    """A text() statement with :name parameters as asyncpg's $n SQL and the names in order."""
    names: list[str] = []

    def number(m):
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return re.sub(r"(?<![:\w]):([a-z_]+)\b", number, stmt.text), names


async def _fast(ctx: Context, stmt, params: dict) -> dict | None:
    """Run one fast-path statement in autocommit; its stored result, or None (take the general path).

    It goes straight to asyncpg on a pooled connection (SQLAlchemy's execution layer costs
    about as much client CPU as the rest of the request); asyncpg keeps it prepared."""
    sql, names = _NUMBERED[id(stmt)]
    args = [params[n] for n in names]
    for attempt in range(12):
        try:
            async with ctx.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                try:
                    row = await raw.driver_connection.fetchrow(sql, *args)
                except Exception as exc:
                    if getattr(exc, "sqlstate", None) is None:  # the connection itself failed
                        await conn.invalidate()
                    raise DBAPIError(sql, None, exc) from exc
            break
        except DBAPIError as exc:
            if _sqlstate(exc) == "22012":  # the guard: a balance moved under us; nothing was written
                log.info("fast path declined (balance guard); general path for key=%s", params["key"])
                return None
            if not uow.is_transient(exc) or attempt == 11:
                raise
            await asyncio.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    if row["result"] is None:
        return None
    if row["moved"] != 2 or row["entries"] != 2:  # pragma: no cover - the statement is all or nothing
        raise RuntimeError(f"fast path moved {row['moved']} balances and wrote {row['entries']} entries")
    return json.loads(row["result"])


_NUMBERED = {id(stmt): _numbered(stmt) for stmt in (_SEND_SQL, _SEND_SQL_RISK, _ACCEPT_SQL)}


def enabled(ctx: Context) -> bool:
    return ctx.engine.dialect.name == "postgresql" and FAST_PATH


async def send(ctx: Context, *, key: str, sender_id: int, recipient_id: int, amount: int,
                     note: str | None, delay_seconds: int, request: dict) -> dict | None:
    now = ctx.now()
    arrive = now + timedelta(seconds=delay_seconds)
    expires = arrive + timedelta(seconds=ctx.rules.transfer_expiry_seconds)
    day = local_day_start(ctx, now)
    escrow = ctx.system_ids.get(("transfer_escrow", zlib.crc32(str(sender_id).encode()) % ctx.rules.system_account_shards))
    if escrow is None:
        async with ctx.engine.connect() as conn:
            escrow = await ledger.system_account(ctx, conn, "transfer_escrow", spread_by=sender_id)
    params = {
        "sender": sender_id, "recipient": recipient_id, "amount": amount, "note": note, "escrow": escrow,
        "key": key, "hash": request_hash("transfer_send", request), "now": _naive(now), "arrive": _naive(arrive),
        "expires": _naive(expires), "created_iso": now.isoformat(), "arrive_iso": arrive.isoformat(),
        "expires_iso": expires.isoformat(), "day": _naive(day), "year": _naive(day.replace(month=1, day=1)),
        "day_cap": ctx.rules.daily_cap_verified, "year_cap": ctx.rules.yearly_cap_verified,
    }
    if ctx.risk is None:
        return await _fast_grouped(ctx, "send", _SEND_SQL, params)
    risk = prescreen.params(ctx.risk, now)  # the risk engine on: only what no rule can fire on
    params.update(risk_count=risk["risk_count"], risk_sum=risk["risk_sum"], risk_since=_naive(risk["risk_since"]),
                  risk_new_since=_naive(risk["risk_new_since"]))
    return await _fast_grouped(ctx, "send", _SEND_SQL_RISK, params)


async def accept(ctx: Context, *, key: str, user_id: int, transfer_id: int) -> dict | None:
    return await _fast_grouped(ctx, "accept", _ACCEPT_SQL, {
        "tid": transfer_id, "user": user_id, "key": key, "now": _naive(ctx.now()),
        "hash": request_hash("transfer_accept", {"transfer_id": transfer_id}),
    })


# --- group commit (PostgreSQL) -----------------------------------------------------------------
# Concurrent sends (and concurrent accepts) of one process share one statement, so one round
# trip and one commit (one WAL flush) serve many requests. Each request keeps its own key, its
# own checks and its own answer: a request that fails a check is left out of the batch and
# takes the general path alone (its precise error, or its replay). A batch takes at most one
# send per sender (the balance and the caps are checked per request) and one request per key
# or transfer; the rest wait for the next batch. Batches form by themselves: while one is in
# the database the next requests queue, so a lone request never waits for a timer. If a batch
# fails as a whole (a guard, a conflict), every request in it runs alone. A batch of sends holds
# all its money in ONE escrow shard, taken in turn (``_Batches._escrow``), where a lone send and
# the general path take the sender's shard: a batch then locks one escrow row, not one per
# sender, and two batches in flight lock different rows (measured in bench/notes/10-pg-transfers.md;
# WALLET_BATCH_ONE_ESCROW=0 for the sender's shard). Every transfer records its shard, and its
# accept, return or refund takes the money out of that same shard. The engine is
# wallet.group_commit's, one per kind: up to BATCH_IN_FLIGHT batches at once, of up to BATCH_MAX.

_SPENT_LATERAL = "\n  LATERAL (" + spent_sql(account="a.id", day="r.day", year="r.year") + ") AS sp"

_GUARD = """
  cnt AS (SELECT (SELECT count(*) FROM good) AS g, (SELECT count(*) FROM upd) AS u,
                 (SELECT count(*) FROM delta) AS d, (SELECT count(*) FROM en) AS e, (SELECT count(*) FROM jr) AS j)
SELECT good.n, CASE WHEN cnt.u = cnt.d AND cnt.e = 2 * cnt.g AND cnt.j = cnt.g THEN good.result
                    ELSE (1 / (cnt.u - cnt.u))::text END AS result
FROM good, cnt"""

# with the risk engine on: the prescreen of each request (wallet/risk/prescreen.py), in the caps'
# pass over the payer's entries, its window from $18 and "new" from $19 (the batch's earliest request: a wider window, an earlier line, so
# only ever more cautious), the velocity limits $20 and $21
_SPENT_RISK_LATERAL = ("\n  LATERAL (" + spent_sql(account="a.id", day="r.day", year="r.year", recent_since="$18::timestamp",
                                                recent_kinds=prescreen.OUT_KINDS) + ") AS sp")
_RISK_BATCH_CLEAR = "\n           AND " + prescreen.clear_sql(
    recent_count="sp.recent_count", recent_sum="sp.recent_sum", amount="r.amount", recipient_opened_at="rc.created_at",
    payer="r.sender", count="$20", total="$21", new_since="$19::timestamp")


def _send_batch_sql(risk: bool) -> str:
    return f"""
WITH
  req AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::int[], $7::text[],
                              $8::timestamp[], $9::timestamp[], $10::timestamp[], $11::timestamp[], $12::timestamp[],
                              $13::text[], $14::text[], $15::text[])
          WITH ORDINALITY AS r(key, sender, recipient, amount, note, escrow, hash, now, arrive, expires, day, year,
                               ciso, aiso, eiso, n)),
  payers AS (SELECT id, frozen, verified_at FROM users WHERE id = ANY($2::bigint[])
             ORDER BY id FOR NO KEY UPDATE SKIP LOCKED),
  ok AS (SELECT r.*, a.id AS src, a.xmin AS src_xmin FROM req r
         JOIN payers s ON s.id = r.sender JOIN users rc ON rc.id = r.recipient
         JOIN accounts a ON a.user_id = r.sender AND a.kind = 'wallet',
         {_SPENT_RISK_LATERAL if risk else _SPENT_LATERAL}
         WHERE NOT s.frozen AND s.verified_at IS NOT NULL AND rc.verified_at IS NOT NULL
           AND {within_caps_sql(day_used="sp.day_used", year_used="sp.year_used", amount="r.amount",
                                day_cap="$16", year_cap="$17")}{_RISK_BATCH_CLEAR if risk else ""}),
  lk AS (SELECT a.id FROM accounts a
         WHERE a.id IN (SELECT w.id FROM accounts w WHERE w.user_id = ANY($2::bigint[]) AND w.kind = 'wallet'
                        UNION SELECT unnest($6::int[]))
         ORDER BY a.id FOR UPDATE),
  lkn AS (SELECT count(*) AS n FROM lk),
  fund AS (SELECT ok.*, nextval(pg_get_serial_sequence('transfers', 'id')) AS tid FROM ok
           WHERE (SELECT n FROM lkn) > 0 AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.key = ok.key)),
  -- the debit decides, row by row, on the latest balance (a balance read in this statement
  -- may be older than a commit that came after the statement began), and only if the account
  -- is still the version the caps were computed on (same xmin): else the request goes the
  -- general path, which locks the payer and sees everything already spent
  deb AS (UPDATE accounts a SET balance = a.balance - fund.amount FROM fund
          WHERE a.id = fund.src AND {debit_allowed_sql(amount="fund.amount", balance="a.balance",
                                                       allow_negative="a.allow_negative")} AND a.xmin = fund.src_xmin
          RETURNING a.id),
  good AS (SELECT fund.*,
                  jsonb_build_object('transfer_id', tid, 'sender_id', sender, 'recipient_id', recipient,
                    'amount', amount, 'note', note, 'status', 'pending', 'created_at', ciso, 'arrive_at', aiso,
                    'expires_at', eiso)::text AS result
           FROM fund JOIN deb ON deb.id = fund.src),
  op AS (INSERT INTO operations (key, op, user_id, request_hash, result, created_at)
         SELECT key, 'transfer_send', sender, hash, result, now FROM good RETURNING key),
  delta AS (SELECT escrow AS acc, SUM(amount) AS d FROM good GROUP BY escrow),
  upd AS (UPDATE accounts a SET balance = a.balance + delta.d FROM delta WHERE a.id = delta.acc RETURNING a.id),
  tr AS (INSERT INTO transfers (id, sender_id, recipient_id, amount, note, status, escrow_account_id,
                                created_at, arrive_at, expires_at)
         SELECT tid, sender, recipient, amount, note, 'pending', escrow, now, arrive, expires FROM good RETURNING id),
  jr AS (INSERT INTO journal (idem_key, kind, user_id, counterparty_id, note, ref_type, ref_id, created_at)
         SELECT key, 'transfer_hold', sender, recipient, note, 'transfer', tid, now FROM good RETURNING id, idem_key),
  en AS (INSERT INTO entries (tx_id, account_id, amount)
         SELECT jr.id, v.acc, v.amt FROM jr JOIN good ON good.key = jr.idem_key,
                LATERAL (VALUES (good.src, -good.amount), (good.escrow, good.amount)) AS v(acc, amt)
         RETURNING 1),
  cnt AS (SELECT (SELECT count(*) FROM good) AS g, (SELECT count(*) FROM upd) AS u, (SELECT count(*) FROM op) AS o,
                 (SELECT count(*) FROM delta) AS d, (SELECT count(*) FROM en) AS e, (SELECT count(*) FROM jr) AS j,
                 (SELECT count(*) FROM tr) AS t)
SELECT good.n, CASE WHEN cnt.u = cnt.d AND cnt.e = 2 * cnt.g AND cnt.j = cnt.g AND cnt.o = cnt.g AND cnt.t = cnt.g
                    THEN good.result ELSE (1 / (cnt.u - cnt.u))::text END AS result
FROM good, cnt
"""


_SEND_BATCH_SQL = _send_batch_sql(False)
_SEND_BATCH_SQL_RISK = _send_batch_sql(True)

_ACCEPT_BATCH_SQL = f"""
WITH
  req AS (SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::timestamp[])
          WITH ORDINALITY AS r(key, tid, usr, hash, rnow, n)),
  t AS (SELECT tr.*, r.key, r.usr, r.hash, r.rnow, r.n FROM transfers tr JOIN req r ON tr.id = r.tid
        WHERE tr.recipient_id = r.usr AND (tr.status || '') = 'pending' AND tr.expires_at > r.rnow AND tr.arrive_at <= r.rnow
        ORDER BY tr.id FOR UPDATE OF tr),
  ok AS (SELECT t.*, a.id AS dst FROM t JOIN users u ON u.id = t.usr AND u.verified_at IS NOT NULL
         JOIN accounts a ON a.user_id = t.usr AND a.kind = 'wallet'),
  lk AS (SELECT a.id FROM accounts a
         WHERE a.id IN (SELECT w.id FROM accounts w WHERE w.user_id = ANY($3::bigint[]) AND w.kind = 'wallet'
                        UNION SELECT x.escrow_account_id FROM transfers x WHERE x.id = ANY($2::int[]))
         ORDER BY a.id FOR UPDATE),
  op AS (INSERT INTO operations (key, op, user_id, request_hash, result, created_at)
         SELECT ok.key, 'transfer_accept', ok.usr, ok.hash,
                json_build_object('transfer_id', ok.id, 'sender_id', ok.sender_id, 'recipient_id', ok.recipient_id,
                  'amount', ok.amount, 'note', ok.note, 'status', 'accepted',
                  'created_at', {iso_sql('ok.created_at')}, 'arrive_at', {iso_sql('ok.arrive_at')},
                  'expires_at', {iso_sql('ok.expires_at')})::text,
                ok.rnow
         FROM ok WHERE (SELECT count(*) FROM lk) > 0 ON CONFLICT DO NOTHING RETURNING key, result),
  good AS (SELECT ok.*, op.result FROM ok JOIN op ON op.key = ok.key),
  st AS (UPDATE transfers SET status = 'accepted', resolved_at = good.rnow FROM good
         WHERE transfers.id = good.id RETURNING transfers.id),
  delta AS (SELECT acc, SUM(d) AS d FROM (SELECT escrow_account_id AS acc, -amount AS d FROM good
                                          UNION ALL SELECT dst, amount FROM good) AS x GROUP BY acc),
  upd AS (UPDATE accounts a SET balance = a.balance + delta.d FROM delta
          WHERE a.id = delta.acc AND (delta.d >= 0 OR {debit_allowed_sql(amount="-delta.d", balance="a.balance",
                                                                    allow_negative="a.allow_negative")}) RETURNING a.id),
  jr AS (INSERT INTO journal (idem_key, kind, user_id, counterparty_id, note, ref_type, ref_id, created_at)
         SELECT good.key, 'transfer_accept', good.usr, good.sender_id, good.note, 'transfer', good.id, good.rnow
         FROM good WHERE EXISTS (SELECT 1 FROM st) RETURNING id, idem_key),
  en AS (INSERT INTO entries (tx_id, account_id, amount)
         SELECT jr.id, v.acc, v.amt FROM jr JOIN good ON good.key = jr.idem_key,
                LATERAL (VALUES (good.escrow_account_id, -good.amount), (good.dst, good.amount)) AS v(acc, amt)
         RETURNING 1),
  {_ACCEPT_NOTICE.format(src="good", now="good.rnow")},
{_GUARD}
"""

# the request fields _SEND_BATCH_SQL takes as its arrays $1..$15, in order ($16, $17: the caps)
SEND_BATCH_COLUMNS = ("key", "sender", "recipient", "amount", "note", "escrow", "hash", "now", "arrive", "expires",
                      "day", "year", "created_iso", "arrive_iso", "expires_iso")
GROUP_COMMIT = os.environ.get("WALLET_GROUP_COMMIT", "1") != "0"
BATCH_MAX = 64
# batches of one kind in the database at once: while one waits for its commit's WAL flush the
# next can use the CPU
BATCH_IN_FLIGHT = int(os.environ.get("WALLET_GROUP_COMMIT_IN_FLIGHT", "2"))


ALONE = ("alone", None)  # the answer "run your single statement" (alone, or its batch failed as a whole)


def _lone(params: dict):
    """A batch of one: the single statement serves it (tests: the batch statement, BATCH_OF_ONE)."""
    return RUN if BATCH_OF_ONE else ALONE


class _Batches:
    """The batch statement of one kind (send or accept), run by the group-commit engine."""

    def __init__(self, ctx: Context, kind: str):
        self.ctx, self.kind = ctx, kind
        self.turn = 0  # which escrow shard the next send batch holds its money in

    def marks(self, p: dict) -> tuple:
        """At most one request per key and per payer (send) or transfer (accept) in a batch."""
        return ("k", p["key"]), ("s", p["sender"]) if self.kind == "send" else ("t", p["tid"])

    async def run(self, ps: list[dict]) -> list[tuple]:
        """("done", its result or None: left out of the batch) for each request, in order."""
        if self.kind == "send":
            sql = _SEND_BATCH_SQL
            if ONE_ESCROW:
                escrow = await self._escrow()
                ps = [{**p, "escrow": escrow} for p in ps]
            args = [[p[k] for p in ps] for k in SEND_BATCH_COLUMNS]
            args += [ps[0]["day_cap"], ps[0]["year_cap"]]
            if "risk_since" in ps[0]:  # the risk engine on: each request prescreened (see _RISK_LATERAL)
                sql = _SEND_BATCH_SQL_RISK
                args += [min(p["risk_since"] for p in ps), min(p["risk_new_since"] for p in ps),
                         ps[0]["risk_count"], ps[0]["risk_sum"]]
        else:
            sql = _ACCEPT_BATCH_SQL
            args = [[p[k] for p in ps] for k in ("key", "tid", "user", "hash", "now")]
        async with self.ctx.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                rows = await raw.driver_connection.fetch(sql, *args)
            except Exception as exc:
                if getattr(exc, "sqlstate", None) is None:
                    await conn.invalidate()
                raise
        results = {r["n"]: json.loads(r["result"]) for r in rows}
        return [("done", results.get(n)) for n in range(1, len(ps) + 1)]

    async def _escrow(self) -> int:
        """The escrow shard of the next send batch: one shard per batch, taken in turn, so a batch
        locks one escrow row and batches in flight at the same time lock different ones."""
        self.turn = (self.turn + 1) % self.ctx.rules.system_account_shards
        escrow = self.ctx.system_ids.get(("transfer_escrow", self.turn))
        if escrow is None:
            async with self.ctx.engine.connect() as conn:
                escrow = await ledger.system_shard(self.ctx, conn, "transfer_escrow", self.turn)
        return escrow


def _engine(ctx: Context, kind: str) -> GroupCommit:
    """This event loop's group commit of ``kind`` for ``ctx``."""
    def make() -> GroupCommit:
        batches = _Batches(ctx, kind)
        return GroupCommit(batches.run, failed=ALONE, limit=BATCH_MAX, marks=batches.marks,
                           in_flight=BATCH_IN_FLIGHT, lone=_lone, name=f"transfer {kind} group commit")
    batchers = ctx.transfer_batchers
    batchers[kind] = of_this_loop(batchers.get(kind), make)
    return batchers[kind]


ONE_ESCROW = os.environ.get("WALLET_BATCH_ONE_ESCROW", "1") != "0"
# tests: a batch of one goes through the batch statement too, so every rule case meets it
BATCH_OF_ONE = False


async def _fast_grouped(ctx: Context, kind: str, stmt, params: dict) -> dict | None:
    if not GROUP_COMMIT:
        return await _fast(ctx, stmt, params)
    how, result = await _engine(ctx, kind).submit(params)
    if how == "done":  # its result, or None: left out of the batch, the general path tells why
        return result
    return await _fast(ctx, stmt, params)  # alone, or its batch failed as a whole
