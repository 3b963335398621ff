"""The audit: checks every ledger invariant of DESIGN §2 against the database.

Journal conventions it relies on (the services follow them):
- transfers: ref_type 'transfer'; kinds transfer_hold, then exactly one of transfer_accept,
  transfer_return, transfer_refund, transfer_revoke.
- red packets: ref_type 'red_packet'; kinds rp_create, rp_claim (one per claim), rp_refund (at most one).
- bank: ref_type 'bank_op'; kinds topup (one per succeeded charge), withdraw_hold, then
  withdraw_settle or withdraw_fail.
- merchant payments: ref_type 'payment'; one transaction of kind 'pay' per payments row, from
  the payer's wallet straight into the merchant's wallet (no system account in between).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wallet.models import UTCDateTime


@dataclass
class Check:
    name: str
    violations: list[str]

    @property
    def ok(self) -> bool:
        return not self.violations


async def _rows(conn: AsyncConnection, sql: str, **params) -> list:
    return list((await conn.execute(text(sql), params)).all())


async def _scalar(conn: AsyncConnection, sql: str, **params) -> int:
    return int((await conn.execute(text(sql), params)).scalar() or 0)


async def _escrow_balance(conn, code: str) -> int:
    return await _scalar(conn, "SELECT COALESCE(SUM(balance),0) FROM accounts WHERE code = :c", c=code)


@dataclass(frozen=True)
class Hold:
    """Money waiting in an escrow for one row of ``table`` (alias ``t``, rows where ``where``) to
    end: one ``hold`` journal transaction, then exactly one of ``ends`` once its status leaves
    ``open``; the escrow account ``escrow`` holds the amounts of the open rows."""
    name: str
    table: str
    where: str
    escrow: str
    ref_type: str
    hold: str
    ends: tuple[str, ...]
    open: tuple[str, ...]
    mismatch: str  # the violation when the escrow and the open rows differ ({held}, {escrow})


HOLDS = (
    Hold("transfer", "transfers", "true", "transfer_escrow", "transfer", "transfer_hold",
         ("transfer_accept", "transfer_return", "transfer_refund", "transfer_revoke"), ("pending",),
         "transfer escrow holds {escrow}, pending transfers total {held}"),
    Hold("withdrawal", "bank_ops", "t.kind = 'payout'", "withdraw_pending", "bank_op", "withdraw_hold",
         ("withdraw_settle", "withdraw_fail"), ("pending", "unknown"),
         "withdrawals in flight total {held}, withdraw_pending holds {escrow}"),
    Hold("held payment", "risk_holds", "true", "risk_hold", "risk_hold", "risk_hold",
         ("risk_release", "risk_return"), ("held",), "risk_hold escrow holds {escrow}, held payments total {held}"),
)


async def audit(conn: AsyncConnection, *, now: datetime | None = None, reconcile_seconds: int = 900) -> list[Check]:
    now = now or datetime.now(timezone.utc)
    checks: list[Check] = []

    def add(name: str, violations: list[str]) -> None:
        checks.append(Check(name, violations))

    total = await _scalar(conn, "SELECT COALESCE(SUM(balance),0) FROM accounts")
    add("1 all balances sum to zero", [] if total == 0 else [f"sum of balances is {total}"])

    bad = await _rows(conn, """
        SELECT j.id, COALESCE(SUM(e.amount),0), COUNT(e.id), COUNT(DISTINCT e.currency)
        FROM journal j LEFT JOIN entries e ON e.tx_id = j.id GROUP BY j.id
        HAVING COALESCE(SUM(e.amount),0) <> 0 OR COUNT(e.id) < 2 OR COUNT(DISTINCT e.currency) > 1""")
    add("2 every transaction balances, in one currency, with two or more entries",
        [f"tx {r[0]}: sum {r[1]}, {r[2]} entries, {r[3]} currencies" for r in bad])

    bad = await _rows(conn, """
        SELECT a.id, a.balance, COALESCE(SUM(e.amount),0) FROM accounts a
        LEFT JOIN entries e ON e.account_id = a.id GROUP BY a.id, a.balance
        HAVING a.balance <> COALESCE(SUM(e.amount),0)""")
    add("3 cached balances equal the sum of entries", [f"account {r[0]}: cached {r[1]}, entries {r[2]}" for r in bad])

    bad = await _rows(conn, """
        SELECT id, kind, code, balance FROM accounts
        WHERE balance < 0 AND (kind <> 'system' OR code NOT IN ('bank_clearing', 'interest_expense'))""")
    add("4 no user (or escrow) account is negative", [f"account {r[0]} ({r[1]} {r[2]}): {r[3]}" for r in bad])

    bad = await _rows(conn, "SELECT idem_key, COUNT(*) FROM journal GROUP BY idem_key HAVING COUNT(*) > 1")
    add("5 at most one transaction per idempotency key", [f"key {r[0]}: {r[1]} transactions" for r in bad])

    # 6 holds end exactly once: each escrow holds what is still open, and each hold has one
    # holding transaction and, once ended, exactly one ending
    v: list[str] = []
    for h in HOLDS:
        opened = ", ".join(f"'{x}'" for x in h.open)
        ends_in = ", ".join(f"'{k}'" for k in h.ends)
        held = await _scalar(conn, f"SELECT COALESCE(SUM(amount),0) FROM {h.table} t "
                                   f"WHERE t.status IN ({opened}) AND {h.where}")
        escrow = await _escrow_balance(conn, h.escrow)
        if held != escrow:
            v.append(h.mismatch.format(held=held, escrow=escrow))
        for r in await _rows(conn, f"""
            SELECT t.id, t.status,
              SUM(CASE WHEN j.kind = '{h.hold}' THEN 1 ELSE 0 END),
              SUM(CASE WHEN j.kind IN ({ends_in}) THEN 1 ELSE 0 END)
            FROM {h.table} t LEFT JOIN journal j ON j.ref_type = '{h.ref_type}' AND j.ref_id = t.id
            WHERE {h.where} GROUP BY t.id, t.status"""):
            ends = 0 if r[1] in h.open else 1
            if r[2] != 1 or r[3] != ends:
                v.append(f"{h.name} {r[0]} ({r[1]}): {r[2]} holds, {r[3]} endings (want 1 and {ends})")
    add("6 every hold ends exactly once", v)

    # 7 red packets
    v = []
    for r in await _rows(conn, """
        SELECT p.id, p.status, p.total, p.shares, p.claimed_count, p.claimed_amount, p.refunded_amount,
          (SELECT COUNT(*) FROM red_packet_claims c WHERE c.packet_id = p.id),
          (SELECT COUNT(DISTINCT c.user_id) FROM red_packet_claims c WHERE c.packet_id = p.id),
          (SELECT COALESCE(SUM(c.amount),0) FROM red_packet_claims c WHERE c.packet_id = p.id),
          (SELECT COALESCE(MIN(c.amount),1) FROM red_packet_claims c WHERE c.packet_id = p.id),
          (SELECT COALESCE(SUM(e.amount),0) FROM journal j JOIN entries e ON e.tx_id = j.id
             WHERE j.ref_type = 'red_packet' AND j.ref_id = p.id AND e.account_id = p.escrow_account_id),
          (SELECT COUNT(*) FROM journal j WHERE j.ref_type = 'red_packet' AND j.ref_id = p.id AND j.kind = 'rp_refund'),
          (SELECT COALESCE(SUM(s.amount),0) FROM red_packet_shares s WHERE s.packet_id = p.id)
        FROM red_packets p"""):
        pid, status, total, shares, n, claimed, refunded, nclaims, nusers, csum, cmin, escrow_left, nref, ssum = r
        if not (n == nclaims == nusers and n <= shares):
            v.append(f"packet {pid}: counter {n}, claims {nclaims}, claimers {nusers}, shares {shares}")
        if csum != claimed or cmin < 1:
            v.append(f"packet {pid}: claims sum {csum} (min {cmin}) but claimed_amount {claimed}")
        if ssum != total:
            v.append(f"packet {pid}: drawn shares sum {ssum}, total {total}")
        if escrow_left != total - claimed - refunded:
            v.append(f"packet {pid}: escrow holds {escrow_left}, expected {total - claimed - refunded}")
        if status != "open" and (claimed + refunded != total or escrow_left != 0):
            v.append(f"packet {pid} ({status}): claimed {claimed} + refunded {refunded} != total {total}")
        if nref > 1:
            v.append(f"packet {pid}: refunded {nref} times")
    outstanding = await _scalar(conn, "SELECT COALESCE(SUM(total - claimed_amount - refunded_amount),0) FROM red_packets")
    escrow = await _escrow_balance(conn, "redpacket_escrow")
    if outstanding != escrow:
        v.append(f"red-packet escrow holds {escrow}, open packets hold {outstanding}")
    add("7 red packets: claims within shares, one per user, claimed + refunded = total", v)

    # 8 bank clearing
    v = []
    charged = await _scalar(conn, "SELECT COALESCE(SUM(amount),0) FROM bank_ops WHERE kind = 'charge' AND status = 'succeeded'")
    paid = await _scalar(conn, "SELECT COALESCE(SUM(amount),0) FROM bank_ops WHERE kind = 'payout' AND status = 'succeeded'")
    clearing = await _escrow_balance(conn, "bank_clearing")
    if clearing != paid - charged:
        v.append(f"bank clearing is {clearing}, expected payouts {paid} - charges {charged} = {paid - charged}")
    topups = await _scalar(conn, "SELECT COUNT(*) FROM journal WHERE kind = 'topup'")
    ok_charges = await _scalar(conn, "SELECT COUNT(*) FROM bank_ops WHERE kind = 'charge' AND status = 'succeeded'")
    if topups != ok_charges:
        v.append(f"{ok_charges} succeeded charges but {topups} top-up transactions")
    stale = (await conn.execute(
        text("SELECT id, kind, status FROM bank_ops WHERE status IN ('pending','unknown') AND created_at < :c")
        .bindparams(bindparam("c", type_=UTCDateTime)),
        {"c": now - timedelta(seconds=reconcile_seconds)},
    )).all()
    v += [f"bank op {r[0]} ({r[1]}) still {r[2]} past the reconciliation window" for r in stale]
    add("8 bank clearing matches the bank; nothing unknown past the window", v)

    interest_paid = await _scalar(conn, """
        SELECT COALESCE(SUM(e.amount),0) FROM journal j JOIN entries e ON e.tx_id = j.id
        JOIN accounts a ON a.id = e.account_id WHERE j.kind = 'interest' AND a.kind <> 'system'""")
    expense = await _escrow_balance(conn, "interest_expense")
    add("9 interest paid equals the interest expense", [] if interest_paid == -expense else
        [f"interest paid {interest_paid}, interest expense {expense}"])

    bad = await _rows(conn, """
        SELECT p.id, p.amount, COUNT(DISTINCT j.id),
          COALESCE(SUM(CASE WHEN a.user_id = p.merchant_id THEN e.amount ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN a.user_id = p.payer_id THEN e.amount ELSE 0 END), 0),
          COUNT(e.id)
        FROM payments p
        LEFT JOIN journal j ON j.ref_type = 'payment' AND j.ref_id = p.id AND j.kind = 'pay'
        LEFT JOIN entries e ON e.tx_id = j.id
        LEFT JOIN accounts a ON a.id = e.account_id AND a.kind = 'wallet'
        GROUP BY p.id, p.amount
        HAVING COUNT(DISTINCT j.id) <> 1 OR COUNT(e.id) <> 2
          OR COALESCE(SUM(CASE WHEN a.user_id = p.merchant_id THEN e.amount ELSE 0 END), 0) <> p.amount
          OR COALESCE(SUM(CASE WHEN a.user_id = p.payer_id THEN e.amount ELSE 0 END), 0) <> -p.amount""")
    v = [f"payment {r[0]} of {r[1]}: {r[2]} transactions, merchant got {r[3]}, payer paid {-r[4]}, {r[5]} entries"
         for r in bad]
    orphans = await _scalar(conn, """
        SELECT COUNT(*) FROM journal j WHERE j.kind = 'pay'
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE j.ref_type = 'payment' AND p.id = j.ref_id)""")
    if orphans:
        v.append(f"{orphans} 'pay' transactions without a payment")
    add("10 every payment is one 'pay' transaction from the payer's wallet to the merchant's", v)

    # entries carry no foreign keys (append-only, written only by the ledger: they cost the hot
    # path a check per row, see migration 0013), so this check stands in for them
    bad = await _rows(conn, """
        SELECT e.id, e.tx_id, e.account_id,
          NOT EXISTS (SELECT 1 FROM journal j WHERE j.id = e.tx_id),
          NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id)
        FROM entries e
        WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE j.id = e.tx_id)
           OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id)
        ORDER BY e.id""")
    add("11 every entry's transaction and account exist",
        [f"entry {r[0]}: " + " and ".join(w for w, missing in ((f"transaction {r[1]} does not exist", r[3]),
                                                              (f"account {r[2]} does not exist", r[4])) if missing)
         for r in bad])
    return checks


async def audit_engine(engine: AsyncEngine, **kw) -> list[Check]:
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot, set with the BEGIN itself
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        return await audit(conn, **kw)


def report(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        lines.append(f"[{'ok' if c.ok else 'FAIL'}] {c.name}")
        lines += [f"    - {v}" for v in c.violations[:50]]
    return "\n".join(lines)


async def run_audit_cli(database_url: str) -> int:
    from wallet.db import create_engine

    engine = create_engine(database_url)
    try:
        checks = await audit_engine(engine)
    finally:
        await engine.dispose()
    print(report(checks))
    failed = [c for c in checks if not c.ok]
    print("audit: all invariants hold" if not failed else f"audit: {len(failed)} invariant(s) violated")
    sys.stdout.flush()
    return 1 if failed else 0
