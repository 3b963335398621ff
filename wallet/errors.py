"""Typed domain errors. Each has a stable ``code`` and carries the data a message needs,
so handlers can explain it in Chinese and English (see handlers' i18n keyed by ``code``)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(eq=False)
class WalletError(Exception):
    code = "wallet_error"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.code, *asdict(self).values())

    def data(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:  # readable in logs and test failures; never holds secrets
        fields = ", ".join(f"{k}={v!r}" for k, v in asdict(self).items())
        return f"{self.code}({fields})"


# --- input -------------------------------------------------------------------------------
@dataclass(eq=False)
class InvalidAmount(WalletError):
    """The text (or value) is not an amount we accept. ``reason`` is a stable sub-code:
    empty, not_a_number, negative, zero, too_many_decimals, too_large, exponent, not_finite,
    not_an_integer (a service was given something other than a plain int of fen)."""
    code = "invalid_amount"
    reason: str
    text: str = ""


@dataclass(eq=False)
class InvalidIdNumber(WalletError):
    """reason: length, format, checksum, birth_date, region"""
    code = "invalid_id_number"
    reason: str


@dataclass(eq=False)
class InvalidPhone(WalletError):
    code = "invalid_phone"


@dataclass(eq=False)
class InvalidName(WalletError):
    code = "invalid_name"


@dataclass(eq=False)
class InvalidKey(WalletError):
    """The caller's idempotency key is unusable. reason: not_text, empty, too_long, characters
    (printable ASCII without spaces only)."""
    code = "invalid_key"
    reason: str


@dataclass(eq=False)
class IdempotencyConflict(WalletError):
    """The same idempotency key was used before for a different request."""
    code = "idempotency_conflict"
    key: str


# --- people and state ----------------------------------------------------------------------
@dataclass(eq=False)
class WalletNotOpen(WalletError):
    code = "wallet_not_open"
    user_id: int


@dataclass(eq=False)
class WalletAlreadyOpen(WalletError):
    code = "wallet_already_open"
    user_id: int


@dataclass(eq=False)
class AccountFrozen(WalletError):
    code = "account_frozen"
    user_id: int


@dataclass(eq=False)
class NotFrozen(WalletError):
    code = "not_frozen"
    user_id: int


@dataclass(eq=False)
class NotVerified(WalletError):
    """No bound, verified card: the wallet can neither pay nor receive."""
    code = "not_verified"
    user_id: int


@dataclass(eq=False)
class LimitExceeded(WalletError):
    """period: day or year; amounts in fen."""
    code = "limit_exceeded"
    period: str
    cap: int
    used: int
    requested: int


@dataclass(eq=False)
class PhoneTaken(WalletError):
    code = "phone_taken"


# --- money ---------------------------------------------------------------------------------
@dataclass(eq=False)
class InsufficientBalance(WalletError):
    code = "insufficient_balance"
    needed: int
    available: int


# --- PIN -----------------------------------------------------------------------------------
@dataclass(eq=False)
class PinNotSet(WalletError):
    code = "pin_not_set"


@dataclass(eq=False)
class PinWeak(WalletError):
    """reason: length, not_digits, all_same, sequence, birthday; same_as_old (a change to the same PIN)"""
    code = "pin_weak"
    reason: str


@dataclass(eq=False)
class PinRequired(WalletError):
    """A payment asked to go without the PIN (免密支付) that the person's setting does not cover
    now (off, above its amount or the day's, a withdrawal, or the risk engine saw something):
    nothing moved; ask for the PIN."""
    code = "pin_required"


@dataclass(eq=False)
class PinWrong(WalletError):
    code = "pin_wrong"
    tries_left: int


@dataclass(eq=False)
class PinLocked(WalletError):
    code = "pin_locked"
    until: datetime


# --- SMS -----------------------------------------------------------------------------------
@dataclass(eq=False)
class SmsTooSoon(WalletError):
    """The last code for this phone and purpose went out less than the resend interval ago.
    ``live``: that code can still be typed (unused, in time, tries left); else none can."""
    code = "sms_too_soon"
    retry_after: int  # seconds
    live: bool = True


@dataclass(eq=False)
class SmsCodeWrong(WalletError):
    code = "sms_code_wrong"
    tries_left: int


@dataclass(eq=False)
class SmsCodeExpired(WalletError):
    """Expired, used up its tries, or never sent: ask for a new one."""
    code = "sms_code_expired"


# --- cards and bank ------------------------------------------------------------------------
@dataclass(eq=False)
class CardInvalid(WalletError):
    """reason: format, luhn"""
    code = "card_invalid"
    reason: str


@dataclass(eq=False)
class CardNotSupported(WalletError):
    code = "card_not_supported"
    bank: str


@dataclass(eq=False)
class CreditCardNotAllowed(WalletError):
    """Credit cards cannot receive withdrawals."""
    code = "credit_card_not_allowed"
    bank: str
    last4: str


@dataclass(eq=False)
class IdentityMismatch(WalletError):
    code = "identity_mismatch"


@dataclass(eq=False)
class PhoneMismatch(WalletError):
    """The phone is not the one the bank holds for the card (its reserved phone, 预留手机号):
    the bank sends the card's code only there. Use that phone, or another card."""
    code = "phone_mismatch"


@dataclass(eq=False)
class CardNotFound(WalletError):
    code = "card_not_found"
    card_id: int


@dataclass(eq=False)
class CardAlreadyBound(WalletError):
    code = "card_already_bound"
    last4: str


@dataclass(eq=False)
class BankDeclined(WalletError):
    code = "bank_declined"
    reason: str


@dataclass(eq=False)
class BankTimeout(WalletError):
    """The bank did not answer; the operation is pending and will be reconciled."""
    code = "bank_timeout"
    op_id: int = 0


@dataclass(eq=False)
class PaymentRefusedAfterCharge(WalletError):
    """A payment funded from a card (wallet/services/funded.py): the card was charged and the
    money credited to the wallet, then the payment itself was refused (``reason``: the refusal's
    code; the refusal is the ``__cause__``). Nothing is lost: the money stays in the balance."""
    code = "payment_refused_after_charge"
    amount: int
    last4: str
    reason: str


# --- transfers -----------------------------------------------------------------------------
@dataclass(eq=False)
class TransferToSelf(WalletError):
    code = "transfer_to_self"


@dataclass(eq=False)
class TransferNotFound(WalletError):
    code = "transfer_not_found"
    transfer_id: int


@dataclass(eq=False)
class TransferNotPending(WalletError):
    code = "transfer_not_pending"
    transfer_id: int
    status: str


@dataclass(eq=False)
class NotYourTransfer(WalletError):
    code = "not_your_transfer"
    transfer_id: int


@dataclass(eq=False)
class TransferNotArrived(WalletError):
    """Delayed arrival: the recipient cannot accept before ``arrive_at``."""
    code = "transfer_not_arrived"
    transfer_id: int
    arrive_at: datetime


@dataclass(eq=False)
class InvalidDelay(WalletError):
    code = "invalid_delay"
    seconds: int


# --- red packets ---------------------------------------------------------------------------
@dataclass(eq=False)
class RedPacketInvalid(WalletError):
    """reason: too_many_shares, too_few_shares, total_too_large, share_too_small, exclusive_needs_user,
    exclusive_self, kind, greeting_too_long (``limit``: characters)"""
    code = "red_packet_invalid"
    reason: str
    limit: int = 0


@dataclass(eq=False)
class RedPacketNotFound(WalletError):
    code = "red_packet_not_found"
    packet_id: int


@dataclass(eq=False)
class RedPacketEmpty(WalletError):
    code = "red_packet_empty"
    packet_id: int


@dataclass(eq=False)
class RedPacketExpired(WalletError):
    code = "red_packet_expired"
    packet_id: int


@dataclass(eq=False)
class AlreadyClaimed(WalletError):
    code = "already_claimed"
    packet_id: int
    amount: int


@dataclass(eq=False)
class NotForYou(WalletError):
    """An exclusive red packet for someone else."""
    code = "not_for_you"
    packet_id: int


@dataclass(eq=False)
class PinAlreadySet(WalletError):
    """A PIN exists: change it (old PIN) or reset it (SMS code + ID number)."""
    code = "pin_already_set"


@dataclass(eq=False)
class SmsSendFailed(WalletError):
    """The SMS gateway could not deliver the message; ask the person to try again."""
    code = "sms_send_failed"


@dataclass(eq=False)
class InvalidMonth(WalletError, ValueError):
    """A bill month that is not 'YYYY-MM' (local calendar month, 01..12)."""
    code = "invalid_month"
    text: str


# --- merchants and collection codes -------------------------------------------------------
@dataclass(eq=False)
class ShopInvalid(WalletError):
    """reason: name_empty, name_too_long, name_chars, label_too_long, label_chars, category;
    limit: the longest name or label"""
    code = "shop_invalid"
    reason: str
    limit: int = 0


@dataclass(eq=False)
class ShopNotFound(WalletError):
    code = "shop_not_found"
    shop_id: int


@dataclass(eq=False)
class NotYourShop(WalletError):
    code = "not_your_shop"
    shop_id: int


@dataclass(eq=False)
class PayCodeNotFound(WalletError):
    """An unknown (or malformed) collection code: the link or picture is wrong."""
    code = "pay_code_not_found"


@dataclass(eq=False)
class PayCodeRevoked(WalletError):
    code = "pay_code_revoked"


@dataclass(eq=False)
class PayCodeUnavailable(WalletError):
    """The code's owner cannot collect now. reason: frozen, not_verified"""
    code = "pay_code_unavailable"
    reason: str


@dataclass(eq=False)
class NotYourPayCode(WalletError):
    code = "not_your_pay_code"


@dataclass(eq=False)
class PayOwnCode(WalletError):
    """Paying one's own shop or one's own receive code."""
    code = "pay_own_code"


@dataclass(eq=False)
class PayAmountRequired(WalletError):
    """An open-amount code: the payer must type the amount."""
    code = "pay_amount_required"


@dataclass(eq=False)
class PayAmountMismatch(WalletError):
    """A fixed-amount code paid with another amount."""
    code = "pay_amount_mismatch"
    expected: int
    given: int


# --- abnormal-transaction tickets ---------------------------------------------------------
@dataclass(eq=False)
class TicketInvalid(WalletError):
    """reason: reason (not one of the fixed reasons), details_too_long, text_empty, text_too_long"""
    code = "ticket_invalid"
    reason: str
    limit: int = 0


@dataclass(eq=False)
class BillNotFound(WalletError):
    """No such bill among the person's own (a transaction that is not theirs looks the same)."""
    code = "bill_not_found"
    journal_id: int


@dataclass(eq=False)
class TicketExists(WalletError):
    """An open ticket about this bill exists already."""
    code = "ticket_exists"
    number: str


@dataclass(eq=False)
class TicketNotFound(WalletError):
    """No such ticket, or not the viewer's."""
    code = "ticket_not_found"
    ticket_id: int


@dataclass(eq=False)
class TicketClosed(WalletError):
    code = "ticket_closed"
    number: str


@dataclass(eq=False)
class TicketNoCounterparty(WalletError):
    """The bill has no person on the other side (a top-up, a withdrawal) to freeze."""
    code = "ticket_no_counterparty"
    number: str


@dataclass(eq=False)
class NotAdmin(WalletError):
    code = "not_admin"
    user_id: int


@dataclass(eq=False)
class InvalidDateRange(WalletError, ValueError):
    """A bill date range that cannot be used. reason: order (first after last), too_long
    (more than ``limit`` days), format (not YYYY-MM-DD)"""
    code = "invalid_date_range"
    reason: str
    limit: int = 0


# --- risk control (wallet/risk) ------------------------------------------------------------
@dataclass(eq=False)
class StepUpRequired(WalletError):
    """For the person's safety this payment also needs the SMS code just sent to ``phone``
    (masked): call again with ``step_up_code`` (the same key). ``rules``: why (rule names, comma-separated)."""
    code = "risk_step_up"
    phone: str
    rules: str = ""


@dataclass(eq=False)
class RiskRefused(WalletError):
    """Nothing moved. ``reason``: ``pref_night_lock`` (the person's own night lock, ``until`` the
    local time it ends) or ``hold`` (a payment that cannot wait in review: refused until one)."""
    code = "risk_refused"
    reason: str
    until: str = ""


@dataclass(eq=False)
class RiskFrozen(WalletError):
    """The risk engine froze the account at this payment; nothing moved. Unfreezing is the usual
    way (PIN, SMS code and ID number). ``rules``: why (rule names, comma-separated)."""
    code = "risk_frozen"
    rules: str = ""


@dataclass(eq=False)
class HoldNotHeld(WalletError):
    """The held payment was already released or returned (``status``), or is not this person's."""
    code = "risk_hold_not_held"
    hold_id: int
    status: str
