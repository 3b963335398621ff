"""The transfer rules every path shares (the general path in ``transfers``, the SQLite fast path in
``transfer_sqlite``, the PostgreSQL statements in ``transfer_fastpath``), stated once, each with the
SQL pieces the statements are built from:

- the outgoing kinds that count against the real-name caps (``OUTGOING_KINDS``) and the cap rule
  (``cap_exceeded``; ``spent_sql`` and ``within_caps_sql`` for the statements), used by
  ``limits.check_outgoing`` on every way money leaves a wallet;
- the debit rule: ``wallet.ledger.debit_allowed`` (every posting's), ``debit_allowed_sql`` here;
- the kinds a transfer's end is journalled as (``ENDING_KIND``), the answer an operation gives
  (``view``), and who is told when a transfer ends (``NOTICES``, keyed by ``notice_key``).

``tests/wallet/test_transfer_rules.py`` holds the Python and SQL forms of each rule to the same
answers on the database."""
from __future__ import annotations

from wallet.ledger import debit_allowed_sql  # noqa: F401  (the debit rule, stated in the ledger)
from wallet.uow import internal_key

# --- the caps --------------------------------------------------------------------------------
# the journal kinds of money leaving a wallet that count against the daily and yearly caps
OUTGOING_KINDS = ("transfer_hold", "rp_create", "pay")
OUTGOING_KINDS_SQL = ", ".join(f"'{k}'" for k in OUTGOING_KINDS)


def cap_exceeded(day_used: int, year_used: int, amount: int, *, day_cap: int, year_cap: int) -> str | None:
    """The period whose cap ``amount`` more would pass ("day" before "year"), or None: within both.
    ``day_used``/``year_used``: fen gone out (``OUTGOING_KINDS``) since the local day's/year's start."""
    if day_used + amount > day_cap:
        return "day"
    if year_used + amount > year_cap:
        return "year"
    return None


def spent_sql(*, account: str, day: str, year: str, recent_since: str | None = None,
              recent_kinds: tuple[str, ...] = ()) -> str:
    """SQL selecting ``day_used, year_used`` (fen gone out, positive) of the account since ``day``
    and since ``year`` (expressions: parameters or columns), in one pass over the year's entries.
    With ``recent_since`` the same pass also gives ``recent_count, recent_sum``: the account's
    outgoing operations of ``recent_kinds`` since then (the risk engine's velocity window,
    wallet/risk/prescreen.py), without a second scan."""
    if recent_since is None:
        return (f"SELECT COALESCE(SUM(CASE WHEN j.created_at >= {day} THEN -e.amount ELSE 0 END), 0) AS day_used, "
                f"COALESCE(SUM(-e.amount), 0) AS year_used "
                f"FROM entries e JOIN journal j ON j.id = e.tx_id "
                f"WHERE e.account_id = {account} AND j.kind IN ({OUTGOING_KINDS_SQL}) "
                f"AND j.created_at >= {year} AND e.amount < 0")
    capped = f"j.kind IN ({OUTGOING_KINDS_SQL})"
    kinds = ", ".join(f"'{k}'" for k in dict.fromkeys((*OUTGOING_KINDS, *recent_kinds)))
    recent = f"j.created_at >= {recent_since}"
    return (f"SELECT COALESCE(SUM(CASE WHEN {capped} AND j.created_at >= {day} THEN -e.amount ELSE 0 END), 0) AS day_used, "
            f"COALESCE(SUM(CASE WHEN {capped} AND j.created_at >= {year} THEN -e.amount ELSE 0 END), 0) AS year_used, "
            f"COUNT(CASE WHEN {recent} AND j.kind IN ({', '.join(repr(k) for k in recent_kinds)}) THEN 1 END) AS recent_count, "
            f"COALESCE(SUM(CASE WHEN {recent} AND j.kind IN ({', '.join(repr(k) for k in recent_kinds)}) "
            f"THEN -e.amount ELSE 0 END), 0) AS recent_sum "
            f"FROM entries e JOIN journal j ON j.id = e.tx_id "
            f"WHERE e.account_id = {account} AND j.kind IN ({kinds}) "
            f"AND j.created_at >= LEAST({year}, {recent_since}) AND e.amount < 0")


def within_caps_sql(*, day_used: str, year_used: str, amount: str, day_cap: str, year_cap: str) -> str:
    """``cap_exceeded(...) is None`` as an SQL condition over the given expressions."""
    return f"({day_used} + {amount} <= {day_cap} AND {year_used} + {amount} <= {year_cap})"


# the journal kind of each way a transfer ends
ENDING_KIND = {"accepted": "transfer_accept", "returned": "transfer_return",
               "refunded": "transfer_refund", "revoked": "transfer_revoke"}

# who is told when a transfer ends, in the same transaction (the outbox); a revoked transfer was
# never seen by its recipient, so nobody is told
NOTICES = {
    "accepted": (("sender", "notice.transfer_accepted_sender"),),
    "returned": (("sender", "notice.transfer_returned_sender"),),
    "refunded": (("sender", "notice.transfer_refunded_sender"), ("recipient", "notice.transfer_refunded_recipient")),
}

NOTICE_KEY_PREFIX = "notice"


def notice_key(status: str, transfer_id: int, who: str) -> str:
    """The outbox key of the notice to ``who`` ("sender"/"recipient") when the transfer ends so."""
    return internal_key(NOTICE_KEY_PREFIX, f"transfer_{status}", transfer_id, who)


def notice_key_sql(status: str, transfer_id_sql: str, who: str) -> str:
    """``notice_key`` as an SQL expression over a transfer id column (the statements' form)."""
    head = notice_key(status, 0, who).rsplit(":", 2)[0]  # "sys:notice:transfer_<status>"
    return f"'{head}:' || {transfer_id_sql} || ':' || '{who}'"


def view(t) -> dict:
    """What every transfer operation answers (a row of ``transfers`` or the like)."""
    return {
        "transfer_id": t.id, "sender_id": t.sender_id, "recipient_id": t.recipient_id,
        "amount": t.amount, "note": t.note, "status": t.status,
        "created_at": t.created_at.isoformat(), "arrive_at": t.arrive_at.isoformat(),
        "expires_at": t.expires_at.isoformat(),
    }
