"""The transfer rules every path shares (the general path in ``transfers``, the SQLite fast path in
``transfer_sqlite``, the PostgreSQL statements in ``transfer_fastpath``), stated once: the kinds a
transfer's end is journalled as, the answer an operation gives (``view``), and who is told when a
transfer ends (``NOTICES``, keyed by ``notice_key``). The outgoing kinds that count against the caps
are ``limits.OUTGOING_KINDS``."""
from __future__ import annotations

from wallet.uow import internal_key

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
