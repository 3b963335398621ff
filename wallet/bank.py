"""Bank gateway port and the sandbox bank adapter.

The wallet never stores full card numbers: ``verify`` returns an opaque token that the bank
maps to the card. The bank checks the card's holder (name, ID number) and its reserved phone
(预留手机号: the only phone the card's SMS code may go to): ``check_holder`` before a code is
sent, ``verify`` again when the code comes back; ``charge`` (top-up) and ``payout`` (withdrawal) take that token and an
idempotency key. After a ``BankTimeout`` the outcome is unknown to the wallet: ask
``status(key)`` (reconciliation) or retry with the same key (replays the first result).
Test cards of the sandbox are documented in ``wallet/SANDBOX_CARDS.md``.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from wallet.errors import (
    BankDeclined, BankTimeout, CardInvalid, CardNotSupported, CreditCardNotAllowed,
    IdempotencyConflict, IdentityMismatch, InvalidPhone, PhoneMismatch,
)
from wallet.pii import normalize_phone

__all__ = [
    "Bank", "BANKS", "BINS", "CardInfo", "CardToken", "BankResult", "BankGateway", "SandboxBank",
    "SANDBOX_CARDS", "normalize_card_number", "luhn_ok", "luhn_check_digit", "lookup_card",
]

CardType = Literal["debit", "credit"]
Op = Literal["verify", "charge", "payout"]


@dataclass(frozen=True)
class Bank:
    code: str
    name_zh: str
    name_en: str
    supported: bool = True

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


BANKS: dict[str, Bank] = {b.code: b for b in [
    Bank("ICBC", "中国工商银行", "Industrial and Commercial Bank of China"),
    Bank("CCB", "中国建设银行", "China Construction Bank"),
    Bank("ABC", "中国农业银行", "Agricultural Bank of China"),
    Bank("BOC", "中国银行", "Bank of China"),
    Bank("BOCOM", "交通银行", "Bank of Communications"),
    Bank("CMB", "招商银行", "China Merchants Bank"),
    Bank("PSBC", "中国邮政储蓄银行", "Postal Savings Bank of China"),
    Bank("CITIC", "中信银行", "China CITIC Bank"),
    Bank("VISA_INTL", "境外 Visa 卡", "Foreign Visa card", supported=False),
    Bank("MC_INTL", "境外万事达卡", "Foreign Mastercard", supported=False),
    Bank("PREPAID", "预付卡", "Prepaid card", supported=False),
]}

# BIN (issuer prefix) -> (bank code, card type). Modelled on real Chinese prefixes; sandbox only.
BINS: dict[str, tuple[str, CardType]] = {
    "622202": ("ICBC", "debit"), "621226": ("ICBC", "debit"), "622208": ("ICBC", "debit"),
    "625330": ("ICBC", "credit"), "427010": ("ICBC", "credit"),
    "621700": ("CCB", "debit"), "622700": ("CCB", "debit"), "436742": ("CCB", "debit"),
    "552801": ("CCB", "credit"), "628266": ("CCB", "credit"),
    "622848": ("ABC", "debit"), "622845": ("ABC", "debit"), "622836": ("ABC", "credit"),
    "621661": ("BOC", "debit"), "456351": ("BOC", "debit"), "625905": ("BOC", "credit"),
    "622262": ("BOCOM", "debit"), "622260": ("BOCOM", "debit"), "622252": ("BOCOM", "credit"),
    "621483": ("CMB", "debit"), "622588": ("CMB", "debit"), "622609": ("CMB", "debit"),
    "439225": ("CMB", "credit"), "545620": ("CMB", "credit"),
    "621799": ("PSBC", "debit"), "622188": ("PSBC", "debit"), "625919": ("PSBC", "credit"),
    "621771": ("CITIC", "debit"), "622690": ("CITIC", "debit"), "433670": ("CITIC", "credit"),
    "411111": ("VISA_INTL", "credit"), "510510": ("MC_INTL", "credit"), "620000": ("PREPAID", "debit"),
}

# Behaviours of special sandbox cards (see SANDBOX_CARDS.md); any other valid card is "ok".
Behaviour = Literal["ok", "unsupported", "identity_mismatch", "charge_declined", "payout_declined",
                    "timeout", "timeout_fail"]
SANDBOX_CARDS: dict[str, Behaviour] = {
    "6222020000000000018": "ok", "6217000000000000020": "ok", "6228480000000000034": "ok",
    "6216610000000000040": "ok", "6222620000000000053": "ok", "6214830000000000064": "ok",
    "6217990000000000071": "ok", "6217710000000000088": "ok", "6225880000000019": "ok",
    "6253300000000013": "ok", "5528010000000027": "ok",
    "4111111111111111": "unsupported", "5105105105105100": "unsupported", "6200000000000096": "unsupported",
    "6222020000000000992": "identity_mismatch",
    "6227000000000000227": "charge_declined",
    "6225880000000000119": "payout_declined",
    "6222020000000000331": "timeout",
    "6228480000000000448": "timeout_fail",
}


@dataclass(frozen=True)
class CardInfo:
    bank_code: str
    bank_name_zh: str
    bank_name_en: str
    card_type: CardType
    last4: str


@dataclass(frozen=True)
class CardToken:
    token: str
    bank_code: str
    bank_name_zh: str
    bank_name_en: str
    card_type: CardType
    last4: str

    def __repr__(self) -> str:  # the token is a bearer credential: keep it out of logs
        return f"CardToken(bank_code={self.bank_code!r}, card_type={self.card_type!r}, last4={self.last4!r})"


@dataclass(frozen=True)
class BankResult:
    status: Literal["succeeded", "failed"]
    bank_ref: str
    reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@runtime_checkable
class BankGateway(Protocol):
    def lookup(self, card_number: str) -> CardInfo: ...
    async def check_holder(self, card_number: str, name: str, id_number: str, phone: str) -> CardInfo: ...
    async def verify(self, card_number: str, name: str, id_number: str, phone: str) -> CardToken: ...
    async def charge(self, token: str, amount: int, key: str) -> BankResult: ...
    async def payout(self, token: str, amount: int, key: str) -> BankResult: ...
    async def status(self, key: str) -> BankResult | None: ...


# --- card numbers --------------------------------------------------------------------------------
_FULLWIDTH = str.maketrans({0xFF10 + i: ord("0") + i for i in range(10)})


def _luhn_sum(digits: str, double_first: bool) -> int:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if (i % 2 == 0) == double_first:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def luhn_ok(digits: str) -> bool:
    return digits.isascii() and digits.isdigit() and _luhn_sum(digits, double_first=False) % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass Luhn."""
    return str(-_luhn_sum(partial, double_first=True) % 10)


def normalize_card_number(text: str) -> str:
    """16-19 digits (spaces and dashes ignored) passing Luhn, else ``CardInvalid(format|luhn)``."""
    s = "".join(str(text).translate(_FULLWIDTH).split()).replace("-", "")
    if not (s.isascii() and s.isdigit() and 16 <= len(s) <= 19):
        raise CardInvalid(reason="format")
    if not luhn_ok(s):
        raise CardInvalid(reason="luhn")
    return s


def lookup_card(card_number: str) -> CardInfo:
    """BIN lookup of a card number; ``CardNotSupported`` for unknown or unsupported issuers."""
    number = normalize_card_number(card_number)
    for n in range(8, 3, -1):
        hit = BINS.get(number[:n])
        if hit:
            bank, card_type = BANKS[hit[0]], hit[1]
            if not bank.supported:
                raise CardNotSupported(bank=bank.code)
            return CardInfo(bank.code, bank.name_zh, bank.name_en, card_type, number[-4:])
    raise CardNotSupported(bank="unknown")


# --- sandbox -------------------------------------------------------------------------------------
class SandboxBank:
    """An in-memory bank (optionally persisted to a JSON file) implementing ``BankGateway``.

    It registers an unknown card to the first holder that verifies it (name, ID number and the
    phone, which becomes the card's reserved phone), refuses other holders (``IdentityMismatch``)
    and other phones (``PhoneMismatch``), and replays charges/payouts by idempotency key.

    The holder is kept as salted hashes (name + ID number, phone): the file
    never holds an ID number, a name or a phone in clear. ``secret`` (optional) keys the hashes
    too, so the file alone does not let anyone try ID numbers against them.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, latency: float = 0.0,
                 secret: str | bytes = b"") -> None:
        self._path = Path(path) if path else None
        self._latency = latency
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._salt = secrets.token_hex(16)
        self._holders: dict[str, dict[str, str]] = {}  # card -> who, phone (salted hashes), token
        self._tokens: dict[str, str] = {}  # token -> card
        self._ops: dict[str, dict] = {}  # key -> op, token, amount, status, bank_ref, reason
        self._overrides: dict[str, Behaviour] = {}
        self._injected: dict[str, deque[tuple[BaseException | str, str]]] = {}
        if self._path and self._path.exists():
            data = json.loads(self._path.read_text("utf-8"))
            self._salt = data.get("salt") or self._salt
            self._holders, self._ops = data.get("holders", {}), data.get("ops", {})
            self._tokens = {h["token"]: card for card, h in self._holders.items()}
            if any("id_number" in h for h in self._holders.values()):  # an older file kept them in clear
                self._holders = {card: self._hashed(h) for card, h in self._holders.items()}
                self._write(self._blob())

    # test hooks ---------------------------------------------------------------------------
    def set_behaviour(self, card_number: str, behaviour: Behaviour) -> None:
        """Make any card behave like one of the special sandbox cards (``"ok"`` resets)."""
        self._overrides[normalize_card_number(card_number)] = behaviour

    def fail_next(self, op: Op, error: BaseException | type[BaseException] | str = "declined", *,
                  outcome: Literal["succeeded", "failed"] = "succeeded") -> None:
        """Make the next new ``op`` fail. ``error`` may be a reason string (charge/payout answer
        ``failed`` with it; verify raises ``BankDeclined``), or an exception to raise. A
        ``BankTimeout`` on charge/payout is raised *after* the bank recorded ``outcome``, so
        ``status(key)`` answers it later; other exceptions mean the request never arrived."""
        if op not in ("verify", "charge", "payout"):
            raise ValueError(f"unknown op {op!r}")
        err = error() if isinstance(error, type) else error
        self._injected.setdefault(op, deque()).append((err, outcome))

    def card_number_of(self, token: str) -> str | None:
        return self._tokens.get(token)

    # port ---------------------------------------------------------------------------------
    def lookup(self, card_number: str) -> CardInfo:
        info = lookup_card(card_number)
        if self._behaviour(normalize_card_number(card_number)) == "unsupported":
            raise CardNotSupported(bank=info.bank_code)
        return info

    async def check_holder(self, card_number: str, name: str, id_number: str, phone: str) -> CardInfo:
        """The bank's check before it sends the card's SMS code: a card it knows must be bound by
        its holder (``IdentityMismatch``) from the phone it holds for the card (``PhoneMismatch``).
        A card it does not know yet passes: the first ``verify`` registers it."""
        await self._wait()
        info = self.lookup(card_number)
        card = normalize_card_number(card_number)
        if self._behaviour(card) == "identity_mismatch":
            raise IdentityMismatch()
        holder = self._holders.get(card)
        if holder is not None:
            self._compare(holder, name, id_number, phone)
        return info

    async def verify(self, card_number: str, name: str, id_number: str, phone: str) -> CardToken:
        await self._wait()
        info = self.lookup(card_number)
        card = normalize_card_number(card_number)
        injected = self._take("verify")
        if injected is not None:
            err = injected[0]
            raise BankDeclined(reason=err) if isinstance(err, str) else err
        if self._behaviour(card) == "identity_mismatch":
            raise IdentityMismatch()
        holder = self._holders.get(card)
        if holder is None:
            holder = {"who": self._who(name, id_number), "phone": self._phone(phone),
                      "token": "tok_" + secrets.token_urlsafe(24)}
            self._holders[card] = holder
            self._tokens[holder["token"]] = card
            self._save()  # a new holder must reach the file: a restarted sandbox knows the card
            await self._persist()
        else:
            self._compare(holder, name, id_number, phone)
        return CardToken(holder["token"], info.bank_code, info.bank_name_zh, info.bank_name_en,
                         info.card_type, info.last4)

    async def charge(self, token: str, amount: int, key: str) -> BankResult:
        try:
            return await self._move("charge", token, amount, key)
        finally:
            await self._persist()

    async def payout(self, token: str, amount: int, key: str) -> BankResult:
        try:
            return await self._move("payout", token, amount, key)
        finally:
            await self._persist()

    async def status(self, key: str) -> BankResult | None:
        await self._wait()
        rec = self._ops.get(key)
        return BankResult(rec["status"], rec["bank_ref"], rec["reason"]) if rec else None

    # internals ----------------------------------------------------------------------------
    async def _move(self, op: Literal["charge", "payout"], token: str, amount: int, key: str) -> BankResult:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError("amount must be a positive int (fen)")
        await self._wait()
        rec = self._ops.get(key)
        if rec is not None:
            if (rec["op"], rec["token"], rec["amount"]) != (op, token, amount):
                raise IdempotencyConflict(key=key)
            return BankResult(rec["status"], rec["bank_ref"], rec["reason"])
        card = self._tokens.get(token)
        if card is None:
            return self._record(key, op, token, amount, "failed", "invalid_token")
        info = lookup_card(card)
        if op == "payout" and info.card_type == "credit":
            raise CreditCardNotAllowed(bank=info.bank_code, last4=info.last4)
        injected = self._take(op)
        if injected is not None:
            err, outcome = injected
            if isinstance(err, str):
                return self._record(key, op, token, amount, "failed", err)
            if isinstance(err, BankTimeout):
                self._record(key, op, token, amount, outcome, "" if outcome == "succeeded" else "bank_error")
            raise err
        behaviour = self._behaviour(card)
        if behaviour == "charge_declined" and op == "charge":
            return self._record(key, op, token, amount, "failed", "insufficient_funds")
        if behaviour == "payout_declined" and op == "payout":
            return self._record(key, op, token, amount, "failed", "account_abnormal")
        if behaviour in ("timeout", "timeout_fail"):
            ok = behaviour == "timeout"
            self._record(key, op, token, amount, "succeeded" if ok else "failed", "" if ok else "bank_error")
            raise BankTimeout()
        return self._record(key, op, token, amount, "succeeded", "")

    def _record(self, key: str, op: str, token: str, amount: int, status: str, reason: str) -> BankResult:
        result = BankResult(status, "SBX" + secrets.token_hex(8).upper(), reason)  # type: ignore[arg-type]
        self._ops[key] = {"op": op, "token": token, "amount": amount, **asdict(result)}
        self._save()
        return result

    # holders: salted hashes, never the name, ID number or phone in clear ----------------------
    def _hash(self, kind: str, value: str) -> str:
        key = self._secret + bytes.fromhex(self._salt)
        return hmac.new(key, f"{kind}\x00{value}".encode("utf-8"), hashlib.sha256).hexdigest()

    def _who(self, name: str, id_number: str) -> str:
        return self._hash("who", f"{name.strip()}\x00{id_number.strip().upper()}")

    def _phone(self, phone: str) -> str:
        return self._hash("phone", _phone_digits(phone))

    def _compare(self, holder: dict[str, str], name: str, id_number: str, phone: str) -> None:
        if not hmac.compare_digest(holder["who"], self._who(name, id_number)):
            raise IdentityMismatch()
        if not hmac.compare_digest(holder["phone"], self._phone(phone)):
            raise PhoneMismatch()

    def _hashed(self, old: dict[str, str]) -> dict[str, str]:
        """A holder of an older file (name, ID number and phone in clear) as hashes."""
        if "id_number" not in old:
            return old
        return {"who": self._who(old["name"], old["id_number"]), "phone": self._phone(old["phone"]),
                "token": old["token"]}

    def _behaviour(self, card: str) -> Behaviour:
        return self._overrides.get(card) or SANDBOX_CARDS.get(card, "ok")

    def _take(self, op: str) -> tuple[BaseException | str, str] | None:
        queue = self._injected.get(op)
        return queue.popleft() if queue else None

    async def _wait(self) -> None:
        await asyncio.sleep(self._latency)

    def _save(self) -> None:
        self._dirty = True

    async def _persist(self) -> None:
        """Write the records to the JSON file (if any) off the event loop."""
        if self._path is None:
            return
        self._write_lock = getattr(self, "_write_lock", None) or asyncio.Lock()
        async with self._write_lock:  # one write at a time, each with the newest records
            if not getattr(self, "_dirty", False):
                return
            self._dirty = False
            await asyncio.to_thread(self._write, self._blob())

    def _blob(self) -> str:
        return json.dumps({"salt": self._salt, "holders": self._holders, "ops": self._ops}, ensure_ascii=False)

    def _write(self, blob: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        tmp.write_text(blob, "utf-8")
        os.replace(tmp, self._path)


def _phone_digits(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except InvalidPhone:
        return "".join(c for c in str(phone) if c.isdigit())
