"""When no risk rule can fire on a transfer: the part of the risk engine the transfer fast paths
(``transfer_sqlite``, ``transfer_fastpath``) check inside their one statement, so that with the
engine on they still serve the everyday transfer and leave everything else to the general path,
where ``guard.screen`` decides (and stores) it.

A transfer is *clear* when, with the person's anti-theft settings all off (no ``risk_prefs``
row): its amount is below every amount-gated rule (``amount_below``: above_pattern, new_recipient,
pin_guessing), the payer's operations in the velocity window with this one stay within both
velocity rules, and the recipient's wallet is older than the collection rule's "new". Then no rule
fires (fresh_credentials and red_packet_farming never look at a transfer): ``engine.decide``
allows it with nothing fired, nothing is stored, and the fast path may run it. Stated here once,
in Python (``clear``) and as SQL (``recent_sql``, ``clear_sql``); tests/wallet/risk/test_prescreen.py
holds ``clear`` to ``decide`` (a property) and the fast paths to the general path.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from wallet.risk.facts import OUT_KINDS, Facts
from wallet.risk.settings import RiskSettings

KIND = "transfer"
OUT_KINDS_SQL = ", ".join(f"'{k}'" for k in OUT_KINDS)


def amount_below(s: RiskSettings) -> int:
    """A transfer of less than this (fen) can fire no amount-gated rule."""
    return min(s.pattern.min_amount, s.new_recipient.min_amount, s.pin_guessing.min_amount)


def usable(s: RiskSettings, amount: int) -> bool:
    """May the fast path try this transfer at all (the part known before the database)?"""
    return KIND not in s.fresh_credentials.kinds and amount < amount_below(s)


def clear(facts: Facts, s: RiskSettings, *, has_prefs: bool) -> bool:
    """No rule can fire on this transfer (see the module's doc)."""
    return (facts.kind == KIND and usable(s, facts.amount) and not has_prefs
            and facts.recent_count + 1 <= s.velocity.count.over
            and facts.recent_sum + facts.amount <= s.velocity.amount.over
            and facts.recipient_opened_at is not None
            and facts.recipient_opened_at < facts.now - timedelta(seconds=s.collection.new_wallet_seconds))


def params(s: RiskSettings, now: datetime) -> dict:
    """The values ``clear_sql`` compares with (naive UTC datetimes are the caller's to make)."""
    return {"risk_since": now - timedelta(seconds=s.velocity.window_seconds),
            "risk_count": s.velocity.count.over, "risk_sum": s.velocity.amount.over,
            "risk_new_since": now - timedelta(seconds=s.collection.new_wallet_seconds)}


def recent_sql(*, account: str, since: str) -> str:
    """SQL selecting ``recent_count, recent_sum`` of the account: its outgoing operations
    (facts.OUT_KINDS) since ``since``, as ``facts.gather`` counts them."""
    return (f"SELECT COUNT(*) AS recent_count, COALESCE(SUM(-e.amount), 0) AS recent_sum "
            f"FROM entries e JOIN journal j ON j.id = e.tx_id "
            f"WHERE e.account_id = {account} AND e.amount < 0 AND j.kind IN ({OUT_KINDS_SQL}) "
            f"AND j.created_at >= {since}")


def clear_sql(*, recent_count: str, recent_sum: str, amount: str, recipient_opened_at: str, payer: str,
              count: str, total: str, new_since: str) -> str:
    """``clear`` (but for ``usable``, checked before) as an SQL condition over the given expressions."""
    return (f"({recent_count} + 1 <= {count} AND {recent_sum} + {amount} <= {total} "
            f"AND {recipient_opened_at} < {new_since} "
            f"AND NOT EXISTS (SELECT 1 FROM risk_prefs rp WHERE rp.user_id = {payer}))")
