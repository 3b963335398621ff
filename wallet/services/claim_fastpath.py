"""PostgreSQL fast path of red_packets.claim: the happy path as ONE statement (one round trip,
one implicit transaction), and group commit of concurrent claims of one process.

Same rows, same journal conventions and the same stored result as the general path in
``wallet.services.red_packets.claim``. The statement takes each claim's share number while it
holds the packet's row lock for the statement only (the general path holds it for ~12 round
trips). A request it cannot serve writes nothing: either the statement's snapshot already
proves the precise answer and it is raised here without taking any lock (NotForYou,
AlreadyClaimed with the amount, RedPacketEmpty, RedPacketExpired: each permanent once seen, so
the answer is the one the general path would give), or the request goes back to the general
path, which replays a stored key or raises the precise error. Switch it off with
WALLET_CLAIM_FAST_PATH=0 (group commit alone: WALLET_CLAIM_GROUP_COMMIT=0). Measured in bench/.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from datetime import datetime, timezone


from wallet.context import Context
from wallet.group_commit import GroupCommit, of_this_loop
from wallet.ledger import debit_allowed_sql
from wallet.services.pg_batch import iso_sql
from wallet.errors import AlreadyClaimed, NotForYou, RedPacketEmpty, RedPacketExpired
from wallet.uow import request_hash

log = logging.getLogger("wallet.red_packets.fast")
FAST_PATH = os.environ.get("WALLET_CLAIM_FAST_PATH", "1") != "0"
GROUP_COMMIT = os.environ.get("WALLET_CLAIM_GROUP_COMMIT", "1") != "0"
BATCH_MAX = 64
BATCH_IN_FLIGHT = int(os.environ.get("WALLET_CLAIM_GROUP_COMMIT_IN_FLIGHT", "2"))


# One statement for one claim or a batch of them ($1.. are arrays, one element per request).
# - seen: what the statement's snapshot shows for each request (no lock taken);
# - ok: the requests that pass every check of the general path in that snapshot (key not used,
#   packet found, for this person, not claimed by them, open, not past its time, claimer
#   verified with a wallet), ranked per packet, at most as many as shares remain in the snapshot;
# - pl: their packets locked in id order (so batches cannot deadlock); its values may be older
#   than the row it locked, so nothing is read from it;
# - pu: the share numbers, taken by the conditional update of each packet row: all of a
#   packet's ranked requests or none (``claimed_count + n <= shares`` and ``status = 'open'``
#   only ever turn false, so the snapshot's version filtering a row out cannot hide a row the
#   latest version would let through; a row that passes is re-checked on the latest version,
#   and SET and RETURNING are computed on it). Share number = claimed_count before + rank;
#   the packet's claimed amount grows by those shares; the last share closes it;
# - lk: the escrow and claimer accounts, locked in id order (packets first, then accounts, as
#   the general path does), then every write, each depending on the previous checks;
# - the guard aborts the whole statement (nothing written) if any count does not match.
# A request that passed the checks but whose packet had fewer shares left than this batch
# wanted gets no row and no answer: it is sent again, and the next snapshot tells.
_CLAIM_SQL = f"""
WITH
  req AS (SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::timestamp[], $6::text[])
          WITH ORDINALITY AS r(key, pid, usr, hash, rnow, niso, n)),
  seen AS (SELECT r.*, p.id AS found, p.kind AS pkind, p.exclusive_user_id AS excl, p.status AS pstatus,
                  p.claimed_count AS pcount, p.shares AS pshares, p.expires_at AS pexpires,
                  (SELECT true FROM operations o WHERE o.key = r.key) IS NOT NULL AS keyed,  -- a scalar subquery: an index probe
                  -- per request (an EXISTS may be planned as a hash of the whole table)
                  (SELECT c.amount FROM red_packet_claims c WHERE c.packet_id = r.pid AND c.user_id = r.usr) AS had
           FROM req r LEFT JOIN red_packets p ON p.id = r.pid),
  cand AS (SELECT s.key, s.pid, s.usr, s.hash, s.rnow, s.niso, s.n, a.id AS dst, s.pshares - s.pcount AS room,
                  row_number() OVER (PARTITION BY s.pid ORDER BY s.n) AS rk
           FROM seen s
           JOIN users u ON u.id = s.usr AND u.verified_at IS NOT NULL
           JOIN accounts a ON a.user_id = s.usr AND a.kind = 'wallet'
           WHERE s.found IS NOT NULL AND NOT s.keyed AND s.had IS NULL
             AND (s.pkind <> 'exclusive' OR s.excl = s.usr)
             AND s.pstatus = 'open' AND s.pcount < s.pshares AND s.pexpires > s.rnow),
  ok AS (SELECT * FROM cand WHERE rk <= room),
  pl AS (SELECT p.id FROM red_packets p WHERE p.id IN (SELECT pid FROM ok) ORDER BY p.id FOR NO KEY UPDATE),
  pd AS (SELECT pid, count(*) AS k, (array_agg(rnow ORDER BY rk DESC))[1] AS last_now FROM ok
         WHERE EXISTS (SELECT 1 FROM pl WHERE pl.id = ok.pid) GROUP BY pid),
  pu AS (UPDATE red_packets p
         SET claimed_count = p.claimed_count + pd.k,
             claimed_amount = p.claimed_amount + (SELECT SUM(sh.amount) FROM red_packet_shares sh
                                                  WHERE sh.packet_id = p.id AND sh.seq > p.claimed_count
                                                    AND sh.seq <= p.claimed_count + pd.k),
             status = CASE WHEN p.claimed_count + pd.k >= p.shares THEN 'finished' ELSE p.status END,
             closed_at = CASE WHEN p.claimed_count + pd.k >= p.shares THEN pd.last_now ELSE p.closed_at END
         FROM pd WHERE p.id = pd.pid AND p.status = 'open' AND p.claimed_count + pd.k <= p.shares
         RETURNING p.id, p.claimed_count - pd.k AS before, p.claimed_amount AS amount_now, p.refunded_amount,
                   p.shares, p.total, p.kind, p.sender_id, p.chat_id, p.greeting, p.escrow_account_id,
                   p.exclusive_user_id, p.created_at, p.expires_at),
  take AS (SELECT ok.*, pu.before + ok.rk AS seq, pu.amount_now, pu.refunded_amount, pu.shares, pu.total, pu.kind,
                  pu.sender_id, pu.chat_id, pu.greeting, pu.escrow_account_id, pu.exclusive_user_id,
                  pu.created_at, pu.expires_at
           FROM ok JOIN pu ON pu.id = ok.pid),
  got AS (SELECT t.*, sh.amount,
                 t.amount_now - SUM(sh.amount) OVER (PARTITION BY t.pid)
                   + SUM(sh.amount) OVER (PARTITION BY t.pid ORDER BY t.seq) AS amount_after
          FROM take t JOIN red_packet_shares sh ON sh.packet_id = t.pid AND sh.seq = t.seq),
  lk AS (SELECT a.id FROM accounts a
         WHERE a.id IN (SELECT dst FROM got UNION SELECT escrow_account_id FROM got)
         ORDER BY a.id FOR NO KEY UPDATE),
  good AS (SELECT got.*, json_build_object(
                    'packet_id', got.pid, 'sender_id', got.sender_id, 'chat_id', got.chat_id, 'kind', got.kind,
                    'total', got.total, 'shares', got.shares,
                    'per_share', CASE WHEN got.kind = 'equal' THEN got.total / got.shares END,
                    'exclusive_user_id', got.exclusive_user_id, 'greeting', got.greeting,
                    'status', CASE WHEN got.seq >= got.shares THEN 'finished' ELSE 'open' END,
                    'claimed_count', got.seq, 'claimed_amount', got.amount_after,
                    'refunded_amount', got.refunded_amount,
                    'remaining_count', CASE WHEN got.seq >= got.shares THEN 0 ELSE got.shares - got.seq END,
                    'remaining_amount', got.total - got.amount_after - got.refunded_amount,
                    'created_at', {iso_sql('got.created_at')}, 'expires_at', {iso_sql('got.expires_at')},
                    'closed_at', CASE WHEN got.seq >= got.shares THEN got.niso END,
                    'amount', got.amount, 'seq', got.seq, 'last', got.seq = got.shares,
                    'claimer_id', got.usr)::text AS result
           FROM got WHERE (SELECT count(*) FROM lk) > 0),
  op AS (INSERT INTO operations (key, op, user_id, request_hash, result, created_at)
         SELECT key, 'rp_claim', usr, hash, result, rnow FROM good ON CONFLICT DO NOTHING RETURNING key),
  jr AS (INSERT INTO journal (idem_key, kind, user_id, counterparty_id, note, ref_type, ref_id, created_at)
         SELECT key, 'rp_claim', usr, sender_id, greeting, 'red_packet', pid, rnow FROM good
         RETURNING id, idem_key),
  en AS (INSERT INTO entries (tx_id, account_id, amount)
         SELECT jr.id, v.acc, v.amt FROM jr JOIN good ON good.key = jr.idem_key,
                LATERAL (VALUES (good.escrow_account_id, -good.amount), (good.dst, good.amount)) AS v(acc, amt)
         RETURNING 1),
  cl AS (INSERT INTO red_packet_claims (packet_id, seq, user_id, amount, tx_id, created_at)
         SELECT good.pid, good.seq, good.usr, good.amount, jr.id, good.rnow FROM good JOIN jr ON jr.idem_key = good.key
         ON CONFLICT (packet_id, user_id) DO NOTHING RETURNING 1),
  delta AS (SELECT acc, SUM(d) AS d FROM (SELECT escrow_account_id AS acc, -amount AS d FROM good
                                          UNION ALL SELECT dst, amount FROM good) AS x GROUP BY acc),
  upd AS (UPDATE accounts a SET balance = a.balance + delta.d FROM delta
          WHERE a.id = delta.acc AND (delta.d >= 0 OR {debit_allowed_sql(amount="-delta.d", balance="a.balance",
                                                                    allow_negative="a.allow_negative")}) RETURNING a.id),
  cnt AS (SELECT (SELECT count(*) FROM good) AS g, (SELECT count(*) FROM op) AS o, (SELECT count(*) FROM jr) AS j,
                 (SELECT count(*) FROM en) AS e, (SELECT count(*) FROM cl) AS c, (SELECT count(*) FROM pu) AS p,
                 (SELECT count(*) FROM take) AS t,
                 (SELECT count(DISTINCT pid) FROM good) AS gp, (SELECT count(*) FROM upd) AS u, (SELECT count(*) FROM delta) AS d)
SELECT s.n,
       CASE WHEN good.result IS NULL THEN NULL
            WHEN cnt.o = cnt.g AND cnt.j = cnt.g AND cnt.e = 2 * cnt.g AND cnt.c = cnt.g AND cnt.t = cnt.g AND cnt.gp = cnt.p
                 AND cnt.u = cnt.d THEN good.result
            ELSE (1 / (cnt.u - cnt.u))::text END AS result,
       CASE WHEN s.keyed OR s.found IS NULL THEN NULL
            WHEN s.pkind = 'exclusive' AND s.excl IS DISTINCT FROM s.usr THEN 'not_for_you'
            WHEN s.had IS NOT NULL THEN 'already_claimed'
            WHEN s.pstatus = 'finished' OR s.pcount >= s.pshares THEN 'empty'
            WHEN s.pstatus = 'expired' OR s.pexpires <= s.rnow THEN 'expired' END AS answer,
       s.had, EXISTS (SELECT 1 FROM cand WHERE cand.n = s.n) AS passed
FROM seen s LEFT JOIN good ON good.n = s.n, cnt
"""

_ARGS = ("key", "pid", "usr", "hash", "now", "niso")


def _sqlstate(exc) -> str | None:
    return getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)


_ERRORS = {"not_for_you": NotForYou, "empty": RedPacketEmpty, "expired": RedPacketExpired}


def enabled(ctx: Context) -> bool:
    return ctx.engine.dialect.name == "postgresql" and FAST_PATH


async def _execute(ctx: Context, ps: list[dict]) -> list:
    """Run the statement for these requests in autocommit, straight through asyncpg."""
    args = [[p[k] for p in ps] for k in _ARGS]
    async with ctx.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        try:
            return await raw.driver_connection.fetch(_CLAIM_SQL, *args)
        except Exception as exc:
            if getattr(exc, "sqlstate", None) is None:  # the connection itself failed
                await conn.invalidate()
            raise


async def warm(ctx: Context, connections: int) -> None:
    """Run the statement a few times on ``connections`` pooled connections, for nothing (a
    packet that does not exist: it reads, writes nothing). A new PostgreSQL backend loads its
    catalog caches and plans the statement on its first executions (measured here: ~15-20 ms
    the first time, 2-4 ms for each of the next four, then ~0.5 ms on the cached plan)."""
    if not enabled(ctx):
        return
    fake = {"key": "sys:warm", "pid": 0, "usr": 0, "now": _NAIVE_EPOCH, "niso": "", "hash": ""}

    async def one():
        async with ctx.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            for _ in range(6):
                await raw.driver_connection.fetch(_CLAIM_SQL, *[[fake[k]] * 16 for k in _ARGS])
    await asyncio.gather(*(one() for _ in range(connections)))


_NAIVE_EPOCH = datetime(2000, 1, 1)


def _outcome(row) -> tuple:
    """("done", result) | ("answer", (error name, amount claimed)) | ("again", None): lost the
    race for the last shares | ("general", None): the general path decides."""
    if row["result"] is not None:
        return "done", json.loads(row["result"])
    answer = row["answer"]
    if answer is not None:
        return "answer", (answer, row["had"])
    return ("again" if row["passed"] else "general"), None


async def _alone(ctx: Context, params: dict) -> tuple:
    for attempt in range(12):
        try:
            rows = await _execute(ctx, [params])
            return _outcome(rows[0])
        except Exception as exc:
            state = _sqlstate(exc)
            if state in ("22012", "23505", "23514"):  # a guard, or a key taken meanwhile: nothing was written
                log.info("claim fast path declined (%s); general path for key=%s", state, params["key"])
                return "general", None
            if state not in ("40P01", "40001") or attempt == 11:
                raise
            await asyncio.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    raise AssertionError("unreachable")


# --- group commit: concurrent claims of one process share one statement (wallet.group_commit's
# engine: up to BATCH_IN_FLIGHT batches at once, of up to BATCH_MAX; a lone claim and every claim
# of a batch that failed as a whole run alone)
ALONE = ("alone", None)


def _marks(p: dict) -> tuple:
    """At most one request per key and per (packet, person) in a batch; the rest wait."""
    return ("k", p["key"]), ("c", p["pid"], p["usr"])


def _engine(ctx: Context) -> GroupCommit:
    """This event loop's group commit of claims for ``ctx``."""
    async def run(ps: list[dict]) -> list[tuple]:
        outs = {r["n"]: _outcome(r) for r in await _execute(ctx, ps)}
        return [outs[n] for n in range(1, len(ps) + 1)]

    ctx.claim_batcher = of_this_loop(ctx.claim_batcher, lambda: GroupCommit(
        run, failed=ALONE, limit=BATCH_MAX, marks=_marks, in_flight=BATCH_IN_FLIGHT, lone=lambda p: ALONE,
        name="claim group commit"))
    return ctx.claim_batcher


async def _once(ctx: Context, params: dict) -> tuple:
    if not GROUP_COMMIT:
        return await _alone(ctx, params)
    how, value = await _engine(ctx).submit(params)
    if how == "alone":
        return await _alone(ctx, params)
    return how, value


async def claim(ctx: Context, *, key: str, packet_id: int, user_id: int) -> dict | None:
    """The claim's stored result; raises the precise error when the snapshot proves it; or None
    (the general path decides: a replay, an unknown packet, an unverified claimer, ...)."""
    now = ctx.now().astimezone(timezone.utc)
    params = {"key": key, "pid": packet_id, "usr": user_id, "now": now.replace(tzinfo=None),
              "niso": now.isoformat(), "hash": request_hash("rp_claim", {"packet_id": packet_id, "user_id": user_id})}
    for _ in range(3):  # lost the race for the last shares: the next snapshot tells
        how, value = await _once(ctx, params)
        if how == "done":
            return value
        if how == "answer":
            answer, had = value
            log.info("claim answered from the snapshot: %s user=%s packet=%s key=%s", answer, user_id, packet_id, key)
            if answer == "already_claimed":
                raise AlreadyClaimed(packet_id=packet_id, amount=had)
            raise _ERRORS[answer](packet_id=packet_id)
        if how == "general":
            return None
    return None
