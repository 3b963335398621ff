"""What the risk rules know about one outgoing operation (``Facts``), read from the database in one
SQL statement inside the caller's transaction (``gather``).

The statement (``statement``) is SQLAlchemy Core over wallet.models and runs on SQLite and
PostgreSQL; its shape depends only on which of recipient, card and group are given: a few shapes,
each built once, every value a bound parameter (``params``), so SQLAlchemy compiles each shape
once and PostgreSQL can keep its plan. Its cost, per operation:
- the payer's outgoing operations: one index range over their wallet account's entries
  (``ix_entries_account_tx``) with a journal lookup each — over the pattern window (30 days), or
  over the whole history when a recipient is given ("ever paid them before");
- the payer's row, the card's row and the recipient's row: primary-key lookups;
- the recipient's recent payers: only when the recipient's wallet is new (a CASE, evaluated
  lazily), over its few entries and its pending transfers (``ix_transfers_pending_recipient``);
- a group's recent red-packet claims: only for a red packet in a group
  (``ix_red_packets_chat_created``, then the claims of those packets);
- the payer's recent payments without the PIN: ``ix_risk_decisions_user_created``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Integer, Select, and_, bindparam, case, func, select, true, union
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet.errors import WalletNotOpen
from wallet.models import (TRANSFER_PENDING, UTCDateTime, accounts, cards, entries, journal, red_packet_claims,
                           red_packets, risk_decisions, transfers, users)
from wallet.risk.settings import KINDS, RiskSettings
from wallet.services.transfer_rules import OUTGOING_KINDS

# journal kinds of money going out of a person's wallet: what the caps count (transfer_rules), withdrawals,
# and payments held for review (money out of the wallet all the same: a thief's held attempts count in
# the velocity window; they are not the person's pattern, nor "paid before" to their recipient)
OUT_KINDS = (*OUTGOING_KINDS, "withdraw_hold", "risk_hold")
# journal kinds of money arriving from another person (the payer is the other party of the row)
IN_KINDS = ("transfer_accept", "pay")


@dataclass(frozen=True)
class Facts:
    """Everything the rules need about one operation. Counts and sums of the payer's past
    operations never include the operation being decided. Amounts in fen, times aware UTC."""
    payer_id: int
    kind: str  # one of wallet.risk.settings.KINDS
    amount: int
    now: datetime
    payer_opened_at: datetime | None = None
    payer_timezone: str = "Asia/Shanghai"
    # the payer's outgoing operations (OUT_KINDS) in the velocity window and in the pattern window
    recent_count: int = 0
    recent_sum: int = 0
    period_count: int = 0
    period_sum: int = 0
    period_max: int = 0
    # PIN: when it was last set (first set, changed or reset); the latest right PIN that ended a
    # run of wrong tries (users.pin_right_after_wrong_at) and how many wrong tries it ended
    pin_set_at: datetime | None = None
    pin_wrong_before_right: int = 0
    pin_right_after_wrong_at: datetime | None = None
    # what the payer moved without the PIN (risk_decisions.pin_waived) in the no-PIN window
    no_pin_recent_sum: int = 0
    # the recipient (a transfer's, a shop's owner): None when there is none or it is not known yet
    recipient_id: int | None = None
    paid_recipient_before: bool | None = None
    recipient_opened_at: datetime | None = None
    # other wallets (not the payer) that paid the recipient in the collection window; None
    # unless the recipient's wallet is new (collection.new_wallet_seconds)
    recipient_recent_payers: int | None = None
    # the card of a withdrawal
    card_id: int | None = None
    card_bound_at: datetime | None = None
    # a red packet into a group: claims of the group's packets sent in the farming window, and
    # how many of those by wallets opened less than farming.new_wallet_seconds ago
    group_chat_id: int | None = None
    group_claims: int = 0
    group_new_claims: int = 0

    def seconds_since(self, when: datetime | None) -> float | None:
        return None if when is None else (self.now - when).total_seconds()


def params(*, payer_id: int, recipient_id: int | None = None, card_id: int | None = None,
           group_chat_id: int | None = None, now: datetime, rules: RiskSettings) -> dict:
    """The values of ``statement``'s parameters: the ids and the start of every window."""
    def before(seconds: float) -> datetime:
        return now - timedelta(seconds=seconds)
    recent_since, period_since = before(rules.velocity.window_seconds), before(rules.pattern.days * 86_400)
    return {
        "payer_id": payer_id, "recipient_id": recipient_id, "card_id": card_id, "chat_id": group_chat_id,
        "recent_since": recent_since, "period_since": period_since, "history_since": min(recent_since, period_since),
        "no_pin_since": before(rules.prefs.no_pin_window_seconds),
        "collection_since": before(rules.collection.window_seconds),
        "collection_new_since": before(rules.collection.new_wallet_seconds),
        "farming_since": before(rules.red_packet_farming.window_seconds),
        "farming_new_since": before(rules.red_packet_farming.new_wallet_seconds),
    }


@functools.cache
def statement(*, recipient: bool = False, card: bool = False, group: bool = False) -> Select:
    """The one SELECT that ``gather`` runs (one row; none when the payer has no wallet), with
    the parts for a recipient, a card and a group only when asked. Built once per shape; the
    values are bound parameters (``params``)."""
    payer_id = bindparam("payer_id", type_=BigInteger)
    out = -entries.c.amount
    recent = journal.c.created_at >= _time("recent_since")
    # the person's own pattern: what they paid, not what the engine held (a thief's attempts)
    in_period = and_(journal.c.created_at >= _time("period_since"), journal.c.kind != "risk_hold")
    cols = [
        func.count(case((recent, 1))).label("recent_count"),
        func.coalesce(func.sum(case((recent, out))), 0).label("recent_sum"),
        func.count(case((in_period, 1))).label("period_count"),
        func.coalesce(func.sum(case((in_period, out))), 0).label("period_sum"),
        func.coalesce(func.max(case((in_period, out))), 0).label("period_max"),
    ]
    where = [entries.c.account_id == _wallet_of(payer_id), entries.c.amount < 0, journal.c.kind.in_(OUT_KINDS)]
    if recipient:  # the whole history: "ever paid them before"
        recipient_id = bindparam("recipient_id", type_=BigInteger)
        paid_them = and_(journal.c.counterparty_id == recipient_id, journal.c.kind != "risk_hold")
        cols.append(func.max(case((paid_them, 1), else_=0)).label("paid_before"))
    else:
        where.append(journal.c.created_at >= _time("history_since"))
    paid = select(*cols).select_from(entries.join(journal, journal.c.id == entries.c.tx_id)) \
        .where(and_(*where)).subquery("paid")

    no_pin = select(func.coalesce(func.sum(risk_decisions.c.amount), 0)).where(and_(
        risk_decisions.c.user_id == payer_id, risk_decisions.c.pin_waived,
        risk_decisions.c.created_at >= _time("no_pin_since"),
    )).scalar_subquery()

    source = users.join(paid, true())
    picked = [users.c.created_at.label("payer_opened_at"), users.c.timezone, users.c.pin_set_at,
              users.c.pin_wrong_before_right, users.c.pin_right_after_wrong_at, *paid.c,
              no_pin.label("no_pin_recent_sum")]
    if recipient:
        picked += _recipient_columns(payer_id, recipient_id)
    if card:
        card_id = bindparam("card_id", type_=Integer)
        picked.append(select(cards.c.created_at).where(and_(cards.c.id == card_id, cards.c.user_id == payer_id))
                      .scalar_subquery().label("card_bound_at"))
    if group:
        claims = _group_claims(bindparam("chat_id", type_=BigInteger))
        source = source.join(claims, true())
        picked += [claims.c.group_claims, claims.c.group_new_claims]
    return select(*picked).select_from(source).where(users.c.id == payer_id)


def _time(name: str):
    return bindparam(name, type_=UTCDateTime)


def _wallet_of(user_id):
    return select(accounts.c.id).where(and_(accounts.c.user_id == user_id, accounts.c.kind == "wallet")) \
        .scalar_subquery()


def _recipient_columns(payer_id, recipient_id) -> list:
    r = users.alias("recipient")
    opened = select(r.c.created_at).where(r.c.id == recipient_id).scalar_subquery()
    since = _time("collection_since")
    pending = select(transfers.c.sender_id.label("payer")).where(and_(
        transfers.c.recipient_id == recipient_id, TRANSFER_PENDING, transfers.c.created_at >= since))
    other = case((journal.c.user_id == recipient_id, journal.c.counterparty_id), else_=journal.c.user_id)
    arrived = select(other.label("payer")).select_from(entries.join(journal, journal.c.id == entries.c.tx_id)) \
        .where(and_(entries.c.account_id == _wallet_of(recipient_id), entries.c.amount > 0,
                    journal.c.kind.in_(IN_KINDS), journal.c.created_at >= since))
    payers = union(pending, arrived).subquery("payers")  # UNION: each wallet once
    count = select(func.count()).select_from(payers) \
        .where(and_(payers.c.payer.is_not(None), payers.c.payer != payer_id)).scalar_subquery()
    is_new = opened >= _time("collection_new_since")
    return [opened.label("recipient_opened_at"), case((is_new, count), else_=None).label("recipient_recent_payers")]


def _group_claims(chat_id):
    claimer = users.alias("claimer")
    is_new = claimer.c.created_at >= _time("farming_new_since")
    return select(func.count().label("group_claims"), func.count(case((is_new, 1))).label("group_new_claims")) \
        .select_from(red_packets.join(red_packet_claims, red_packet_claims.c.packet_id == red_packets.c.id)
                     .join(claimer, claimer.c.id == red_packet_claims.c.user_id)) \
        .where(and_(red_packets.c.chat_id == chat_id, red_packets.c.created_at >= _time("farming_since"))) \
        .subquery("grp")


async def gather(conn: AsyncConnection, *, payer_id: int, kind: str, amount: int, recipient_id: int | None = None,
                 card_id: int | None = None, group_chat_id: int | None = None, now: datetime,
                 rules: RiskSettings) -> Facts:
    """The facts of one operation, in one statement, inside the caller's transaction (run it
    after the payer's row is locked, so the payer's own operations are counted in order).
    ``rules`` are the risk settings (wallet.risk.settings). WalletNotOpen if the payer has no
    wallet."""
    if kind not in KINDS:
        raise ValueError(f"unknown operation kind {kind!r}; known: {list(KINDS)}")
    if recipient_id == payer_id:
        recipient_id = None
    stmt = statement(recipient=recipient_id is not None, card=card_id is not None, group=group_chat_id is not None)
    values = params(payer_id=payer_id, recipient_id=recipient_id, card_id=card_id, group_chat_id=group_chat_id,
                    now=now, rules=rules)
    row = (await conn.execute(stmt, values)).one_or_none()
    if row is None:
        raise WalletNotOpen(user_id=payer_id)
    return from_row(row._mapping, payer_id=payer_id, kind=kind, amount=amount, recipient_id=recipient_id,
                    card_id=card_id, group_chat_id=group_chat_id, now=now)


def from_row(m, *, payer_id: int, kind: str, amount: int, recipient_id: int | None, card_id: int | None,
             group_chat_id: int | None, now: datetime) -> Facts:
    """Facts from the row of ``statement`` (a mapping by column name, datetimes aware UTC): for a
    caller that runs the statement itself (a fast path on a raw connection)."""
    return Facts(
        payer_id=payer_id, kind=kind, amount=amount, now=now,
        payer_opened_at=m["payer_opened_at"], payer_timezone=m["timezone"],
        recent_count=int(m["recent_count"]), recent_sum=int(m["recent_sum"]),
        period_count=int(m["period_count"]), period_sum=int(m["period_sum"]), period_max=int(m["period_max"]),
        pin_set_at=m["pin_set_at"], pin_wrong_before_right=int(m["pin_wrong_before_right"]),
        pin_right_after_wrong_at=m["pin_right_after_wrong_at"], no_pin_recent_sum=int(m["no_pin_recent_sum"]),
        recipient_id=recipient_id,
        paid_recipient_before=None if recipient_id is None else bool(m["paid_before"]),
        recipient_opened_at=m.get("recipient_opened_at"),
        recipient_recent_payers=None if m.get("recipient_recent_payers") is None
        else int(m["recipient_recent_payers"]),
        card_id=card_id, card_bound_at=m.get("card_bound_at"),
        group_chat_id=group_chat_id,
        group_claims=int(m.get("group_claims") or 0), group_new_claims=int(m.get("group_new_claims") or 0),
    )
