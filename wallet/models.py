"""Database schema (SQLAlchemy Core tables). Alembic migrations must match it (a test checks).

Money columns are BigInteger fen. Constraints here protect money: non-negative user balances,
unique idempotency keys, one red-packet claim per user, one claim per share.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python; naive UTC in the database (same on SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - raw SQLite text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


Money = BigInteger

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # Telegram user id
    Column("language", String(8), nullable=False, server_default="zh-CN"),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),  # IANA name
    Column("first_name", String(128)),
    Column("phone_enc", Text),
    Column("phone_index", String(64), unique=True),  # blind index for "is this phone taken"
    Column("phone_masked", String(16)),
    Column("real_name_enc", Text),
    Column("id_number_enc", Text),
    Column("id_masked", String(32)),
    Column("verified_at", UTCDateTime),  # set when a verified card is bound
    Column("frozen", Boolean, nullable=False, server_default=text("false")),
    Column("frozen_at", UTCDateTime),
    Column("pin_hash", Text),
    Column("pin_set_at", UTCDateTime),  # when the PIN was last set (NULL: before this was kept)
    Column("pin_failed", Integer, nullable=False, server_default="0"),
    Column("pin_locked_until", UTCDateTime),
    # PIN checks in flight (each reserves a try before bcrypt runs) and when the latest began
    Column("pin_inflight", Integer, nullable=False, server_default="0"),
    Column("pin_inflight_at", UTCDateTime),
    # the latest right PIN that ended a run of wrong tries: when, and how many wrong tries it ended
    # (the risk rule pin_guessing; 0 and NULL: never). Kept until the next such run.
    Column("pin_wrong_before_right", Integer, nullable=False, server_default="0"),
    Column("pin_right_after_wrong_at", UTCDateTime),
    Column("withdraw_free_used", Money, nullable=False, server_default="0"),
    Column("blocked_bot", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("withdraw_free_used >= 0", name="free_used_nonneg"),
    CheckConstraint("pin_failed >= 0", name="pin_failed_nonneg"),
    CheckConstraint("pin_inflight >= 0", name="pin_inflight_nonneg"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id")),
    Column("kind", String(16), nullable=False),  # wallet | savings | system
    Column("code", String(32)),  # system accounts: bank_clearing, transfer_escrow, ...
    Column("shard", Integer, nullable=False, server_default="0"),
    Column("balance", Money, nullable=False, server_default="0"),
    Column("allow_negative", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("allow_negative OR balance >= 0", name="no_overdraft"),
    CheckConstraint("(user_id IS NULL) = (kind = 'system')", name="owner_kind"),
    UniqueConstraint("user_id", "kind", name="uq_accounts_user_kind"),
    UniqueConstraint("code", "shard", name="uq_accounts_code_shard"),
)

# Idempotency: one row per key, for every operation (money or not). The result is replayed.
operations = Table(
    "operations",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("op", String(32), nullable=False),
    Column("user_id", BigInteger),
    Column("request_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

journal = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idem_key", String(255), nullable=False, unique=True),
    Column("kind", String(24), nullable=False),
    Column("user_id", BigInteger),  # who initiated (whose bill shows it first)
    Column("counterparty_id", BigInteger),
    Column("note", String(256)),
    Column("ref_type", String(16)),
    Column("ref_id", Integer),
    Column("created_at", UTCDateTime, nullable=False),
)

# Append-only, written only by the ledger (wallet.ledger and the fast paths' statements) with
# the ids of rows it has just written or locked: no foreign keys (each was a check per row on
# the hottest path, migration 0013); audit check 11 finds an entry whose transaction or account
# does not exist.
entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tx_id", Integer, nullable=False, index=True),  # journal.id
    Column("account_id", Integer, nullable=False),  # accounts.id
    Column("amount", Money, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    CheckConstraint("amount <> 0", name="nonzero"),
    Index("ix_entries_account_tx", "account_id", "tx_id"),
)

cards = Table(
    "cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("token", String(128), nullable=False),
    Column("bank_code", String(16), nullable=False),
    Column("bank_name_zh", String(64), nullable=False),
    Column("bank_name_en", String(64), nullable=False),
    Column("card_type", String(8), nullable=False),  # debit | credit
    Column("last4", String(4), nullable=False),
    Column("status", String(8), nullable=False, server_default="bound"),  # bound | unbound
    Column("created_at", UTCDateTime, nullable=False),
    Column("unbound_at", UTCDateTime),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),  # the person's default card
    CheckConstraint("card_type IN ('debit', 'credit')", name="card_type"),
    CheckConstraint("status IN ('bound', 'unbound')", name="status"),
    Index(
        "uq_cards_user_token_bound",
        "user_id",
        "token",
        unique=True,
        sqlite_where=text("status = 'bound'"),
        postgresql_where=text("status = 'bound'"),
    ),
    Index(  # at most one default card a person
        "uq_cards_user_default",
        "user_id",
        unique=True,
        sqlite_where=text("is_default"),
        postgresql_where=text("is_default"),
    ),
)

# A top-up (charge) or withdrawal (payout) at the bank; ends succeeded or failed, exactly once.
bank_ops = Table(
    "bank_ops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),  # charge | payout
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("card_id", Integer, ForeignKey("cards.id"), nullable=False),
    Column("amount", Money, nullable=False),
    Column("fee", Money, nullable=False, server_default="0"),
    Column("free_used", Money, nullable=False, server_default="0"),
    Column("status", String(10), nullable=False),  # pending | unknown | succeeded | failed
    Column("bank_ref", String(64)),
    Column("reason", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("fee >= 0", name="fee_nonneg"),
    CheckConstraint("kind IN ('charge', 'payout')", name="kind"),
    CheckConstraint("status IN ('pending', 'unknown', 'succeeded', 'failed')", name="status"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", BigInteger, ForeignKey("users.id"), nullable=False),
    # NULL while nobody accepted an inline card yet (the first person other than the sender to accept it)
    Column("recipient_id", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("amount", Money, nullable=False),
    Column("note", String(256)),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("escrow_account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("arrive_at", UTCDateTime, nullable=False),  # = created_at unless delayed arrival
    Column("expires_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("sender_id <> recipient_id", name="not_self"),
    CheckConstraint(
        "status IN ('pending', 'accepted', 'returned', 'refunded', 'revoked')", name="status"
    ),
    # Every query by sender, recipient or expiry asks for pending transfers only (balance, bills,
    # alerts, the expiry sweep): partial indexes hold only those, so they stay small, and the
    # accept's update (to 'accepted') adds no entry to them (migration 0013). Not a HOT update
    # all the same: PostgreSQL counts the predicate's column (status) as indexed.
    Index("ix_transfers_pending_sender", "sender_id", sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
    Index("ix_transfers_pending_recipient", "recipient_id", sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
    Index("ix_transfers_pending_expires", "expires_at", sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
)

# The partial indexes above, written so a prepared statement can use them: with 'pending' as a
# bound parameter PostgreSQL's generic plan cannot prove the index predicate (the expiry sweep
# then walked the primary key: 137 ms at 500,000 transfers against 0.01 ms; bench/REPORT.md).
TRANSFER_PENDING = transfers.c.status == literal_column("'pending'")

red_packets = Table(
    "red_packets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("chat_id", BigInteger),
    Column("kind", String(10), nullable=False),  # lucky | equal | exclusive
    Column("total", Money, nullable=False),
    Column("shares", Integer, nullable=False),
    Column("exclusive_user_id", BigInteger, ForeignKey("users.id")),
    Column("greeting", String(128)),
    Column("status", String(10), nullable=False, server_default="open"),  # open | finished | expired
    Column("claimed_count", Integer, nullable=False, server_default="0"),
    Column("claimed_amount", Money, nullable=False, server_default="0"),
    Column("refunded_amount", Money, nullable=False, server_default="0"),
    Column("escrow_account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    CheckConstraint("kind IN ('lucky', 'equal', 'exclusive')", name="kind"),
    CheckConstraint("status IN ('open', 'finished', 'expired')", name="status"),
    CheckConstraint("shares >= 1", name="shares_pos"),
    CheckConstraint("total >= shares", name="min_share"),
    CheckConstraint("claimed_count >= 0 AND claimed_count <= shares", name="claims_le_shares"),
    CheckConstraint("claimed_amount + refunded_amount <= total", name="not_overspent"),
    CheckConstraint("kind <> 'exclusive' OR exclusive_user_id IS NOT NULL", name="exclusive_user"),
    Index("ix_red_packets_status_expires", "status", "expires_at"),
    Index("ix_red_packets_chat_created", "chat_id", "created_at"),  # a group's recent packets (risk)
)

# The split is drawn when the packet is made (double-mean); claim number n takes share n.
red_packet_shares = Table(
    "red_packet_shares",
    metadata,
    Column("packet_id", Integer, ForeignKey("red_packets.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("amount", Money, nullable=False),
    CheckConstraint("amount >= 1", name="amount_min"),
)

red_packet_claims = Table(
    "red_packet_claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("packet_id", Integer, ForeignKey("red_packets.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("amount", Money, nullable=False),
    Column("tx_id", Integer, ForeignKey("journal.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("packet_id", "user_id", name="uq_red_packet_claims_packet_user"),
    UniqueConstraint("packet_id", "seq", name="uq_red_packet_claims_packet_seq"),
    CheckConstraint("amount >= 1", name="amount_min"),
)

sms_codes = Table(
    "sms_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone_index", String(64), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("code_hash", String(128), nullable=False),
    Column("tries", Integer, nullable=False, server_default="0"),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index("ix_sms_codes_phone_purpose", "phone_index", "purpose"),
)

# Notices that follow a money event, written in the same transaction as the event and sent by
# the bot's outbox job (wallet.outbox): a crash between the commit and the send loses nothing.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),  # one notice per event and person
    Column("user_id", BigInteger, nullable=False),  # who is told (their private chat)
    Column("msgid", String(64), nullable=False),
    Column("params", Text, nullable=False, server_default="{}"),  # JSON for the text
    Column("status", String(8), nullable=False, server_default="pending"),  # pending | sent | dropped
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime),  # a sender's lease; another may take it after
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", String(128)),
    Index("ix_outbox_due", "status", "not_before"),
)

# --- scheduled alerts (wallet/services/alerts.py) ----------------------------------------
# Each person's alert preferences; no row: the defaults (low balance off, tips weekly, quiet
# 22:00-08:00 local, PIN-age reminder after 180 days).
alert_prefs = Table(
    "alert_prefs",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("low_balance", Money),  # fen; NULL: off
    Column("tips", String(8), nullable=False, server_default="weekly"),  # daily | weekly | off
    Column("quiet_start", Integer, server_default="1320"),  # minutes after local midnight; NULL: no quiet hours
    Column("quiet_end", Integer, server_default="480"),
    Column("pin_age_days", Integer, server_default="180"),  # NULL: no PIN-age reminder
    Column("last_tip", Integer),  # the tip sent last (never the same twice in a row)
    CheckConstraint("low_balance IS NULL OR low_balance > 0", name="low_balance_pos"),
    CheckConstraint("tips IN ('daily', 'weekly', 'off')", name="tips"),
    CheckConstraint("(quiet_start IS NULL) = (quiet_end IS NULL)", name="quiet_pair"),
    CheckConstraint("quiet_start IS NULL OR (quiet_start >= 0 AND quiet_start < 1440 AND quiet_end >= 0 "
                    "AND quiet_end < 1440)", name="quiet_range"),
    CheckConstraint("pin_age_days IS NULL OR pin_age_days > 0", name="pin_age_pos"),
)

# Exactly once per (alert, person, period): the row is written in the same transaction as the
# alert's outbox notice; ``sent`` false: the period was recorded but not sent (a late summary).
alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert", String(16), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("period", String(40), nullable=False),
    Column("sent", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("alert", "user_id", "period", name="uq_alerts_sent_alert_user_period"),
)

# --- merchants (收款) ----------------------------------------------------------------------
shops = Table(
    "shops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("category", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# A collection code: the secret part of a deep link ``pay_<code>``. A shop's code pays the
# shop at once; a personal code (收款码, shop_id NULL) pays its owner by a transfer accepted
# for them at once. ``amount`` NULL: the payer types it.
pay_codes = Table(
    "pay_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("owner_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), index=True),
    Column("amount", Money),
    Column("label", String(64)),
    Column("status", String(8), nullable=False, server_default="active"),  # active | revoked
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    CheckConstraint("amount IS NULL OR amount > 0", name="amount_pos"),
    CheckConstraint("status IN ('active', 'revoked')", name="status"),
    CheckConstraint("(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_at"),
)

# One row per payment to a shop, written in the same transaction as its journal
# transaction (kind 'pay', ref_type 'payment').
payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code_id", Integer, ForeignKey("pay_codes.id"), nullable=False),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("payer_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("merchant_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("amount", Money, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("payer_id <> merchant_id", name="not_self"),
    Index("ix_payments_shop_created", "shop_id", "created_at"),
)

# --- abnormal-transaction tickets (异常交易) -------------------------------------------------
tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reporter_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("tx_id", Integer, ForeignKey("journal.id"), nullable=False),
    Column("counterparty_id", BigInteger),
    Column("reason", String(16), nullable=False),
    Column("details", String(500)),
    Column("status", String(8), nullable=False, server_default="open"),  # open | resolved
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
    CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="resolved_at"),
    # one open ticket per person and transaction (a double tap opens one)
    Index(
        "uq_tickets_reporter_tx_open",
        "reporter_id",
        "tx_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_tickets_status_id", "status", "id"),
)

# Every change of a ticket; ``notified_at`` NULL: the reporter has not been told yet.
ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("actor_id", BigInteger),
    Column("kind", String(24), nullable=False),
    Column("text", String(1000)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("notified_at", UTCDateTime),
    CheckConstraint("kind IN ('opened', 'reply', 'resolved', 'freeze_counterparty', 'self_freeze')",
                    name="kind"),
)

# --- risk control (wallet/risk/) ---------------------------------------------------------------
# Every decision the risk engine took about an outgoing operation, with the rules that fired and
# their inputs (``fired``: JSON), so "why was I stopped" has an answer. Written by
# wallet.risk.engine.record in the operation's own transaction; no foreign key (a check per row
# on the money path; the writer has just read the person's row). ``pin_waived``: the operation
# went without the PIN (免密支付), counted against the person's no-PIN limits.
risk_decisions = Table(
    "risk_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # transfer | red_packet | pay | withdraw (wallet.risk.settings.KINDS)
    Column("amount", Money, nullable=False),
    Column("action", String(8), nullable=False),
    Column("score", Integer, nullable=False),
    Column("fired", Text, nullable=False, server_default="[]"),
    Column("op_key", String(255)),  # the operation's idempotency key
    Column("pin_waived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("score >= 0", name="score_nonneg"),
    CheckConstraint("action IN ('allow', 'ask', 'hold', 'refuse', 'freeze')", name="action"),
    Index("ix_risk_decisions_user_created", "user_id", "created_at"),
)

# Payments the risk engine held for review (wallet/services/risk_holds.py): the money waits in the
# risk_hold escrow; the hold ends exactly once, released (the operation runs, from the returned
# money, in the same transaction) or returned to the payer. ``request``: the operation's own
# arguments (JSON, never a PIN); ``result``: what the released operation answered.
risk_holds = Table(
    "risk_holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", Money, nullable=False),
    Column("recipient_id", BigInteger),
    Column("op_key", String(255), nullable=False, unique=True),
    Column("request", Text, nullable=False),
    Column("escrow_account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("decision_id", Integer),
    Column("status", String(10), nullable=False, server_default="held"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", BigInteger),
    Column("result", Text),
    CheckConstraint("amount > 0", name="amount_pos"),
    CheckConstraint("status IN ('held', 'released', 'returned')", name="status"),
    CheckConstraint("(status = 'held') = (resolved_at IS NULL)", name="resolved"),
    Index("ix_risk_holds_held", "user_id", sqlite_where=text("status = 'held'"),
          postgresql_where=text("status = 'held'")),
)

# A person's anti-theft settings (防盗设置, wallet.risk.prefs.Prefs): no row is all off. Amounts in
# fen; NULL: that setting is off.
risk_prefs = Table(
    "risk_prefs",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("sms_above", Money),
    Column("night_lock", Boolean, nullable=False, server_default=text("false")),
    Column("new_recipient_delay_above", Money),
    Column("no_pin_max", Money),
    Column("no_pin_daily", Money),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("sms_above IS NULL OR sms_above >= 0", name="sms_above_nonneg"),
    CheckConstraint("new_recipient_delay_above IS NULL OR new_recipient_delay_above >= 0", name="delay_nonneg"),
    CheckConstraint("(no_pin_max IS NULL) = (no_pin_daily IS NULL)", name="no_pin_both"),
    CheckConstraint("no_pin_max IS NULL OR (no_pin_max > 0 AND no_pin_daily >= no_pin_max)", name="no_pin_amounts"),
)

SYSTEM_ACCOUNTS = (
    "bank_clearing",  # money that came from or left to banks
    "withdraw_pending",  # withdrawals sent to the bank, not yet confirmed
    "transfer_escrow",
    "redpacket_escrow",
    "fee_income",
    "interest_expense",
    "merchant_settlement",
    "risk_hold",  # payments the risk engine held for review (risk_holds)
)

# Chat state of the bot (python-telegram-bot persistence): user_data, chat_data, bot_data and
# conversation states, as JSON. kind: user | chat | bot | conv; name: the conversation's name
# (conv) or ""; key: the user or chat id, the conversation key as JSON, or "" (bot).
# Never money state, never a PIN: see bot/persistence.py.
chat_state = Table(
    "chat_state",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
