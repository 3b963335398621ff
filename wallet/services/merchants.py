"""Merchants (商家收款): shops, collection codes, paying a code, a shop's daily collections.

A collection code is the secret part of a deep link ``t.me/<bot>?start=pay_<code>``: 22
characters of ``[A-Za-z0-9_-]`` drawn from the system CSPRNG (128 bits), so ``pay_<code>``
fits Telegram's 64-character payload and nobody can guess a code. A code is either

- a **shop code**: paying it moves the money at once from the payer's wallet into the shop
  owner's wallet (journal kind 'pay', ref_type 'payment', one ``payments`` row); or
- a **personal receive code** (收款码, ``shop_id`` NULL): paying it sends a transfer to the
  code's owner (``transfers.send``) and accepts it for them at once (``transfers.accept``),
  so it is a transfer in both people's bills, with the transfer rules and caps.

Either has a fixed amount or lets the payer type it, and may be revoked by its owner.

``pay`` is a way money leaves a wallet and follows the path of ``transfers.send``: the PIN is
checked first (outside any transaction), then one transaction locks the payer's row
(``guards.payer``: payments, transfers, red packets and withdrawals of one person run one at a
time), checks the tier caps (``limits.check_outgoing``, which counts 'pay'), and posts the
entries, under the idempotency key. Paying one's own code is refused; so is a code whose owner
is frozen or has no verified card any more (a frozen account keeps what is owed to it, but a
shop under suspicion collects nothing new).

Shops are registered by a person with a verified card (and not frozen). A new shop gets one
open-amount code at once.

Notices (the outbox): a shop's owner is told of each payment in the payment's transaction
(``notice.shop_paid``); a receive code's owner in the transaction that accepts the transfer
(``notice.receive_code_paid``); ``queue_daily_summaries`` writes each shop's summary of a day
(``notice.shop_daily_summary``), one per shop and day (jobs/shop_summary.py runs it).
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet import ledger, outbox
from wallet.context import Context
from wallet.errors import (NotYourPayCode, NotYourShop, PayAmountMismatch,
                           PayAmountRequired, PayCodeNotFound, PayCodeRevoked, PayCodeUnavailable,
                           PayOwnCode, ShopInvalid, ShopNotFound)
from wallet.models import pay_codes, payments, shops
from wallet.services import transfers
from wallet.services.guards import load_user, payee, payer, require_active, require_verified
from wallet.risk import guard
from wallet.services.limits import check_outgoing
from wallet.services.pins import verify_pin
from wallet.services.subkeys import step_key
from wallet.money import require_amount
from wallet.uow import caller_key, check_key, idempotent, internal_key, read, transaction

CATEGORIES = ("food", "retail", "services", "transport", "entertainment", "other")
NAME_MAX = 40
LABEL_MAX = 40
PAYLOAD_PREFIX = "pay_"
CODE_BYTES = 16  # token_urlsafe(16): 22 characters, 128 bits
_CODE_RE = re.compile(r"[A-Za-z0-9_-]{16,32}")
SUMMARY_MAX_DAYS = 92


# --- small helpers -------------------------------------------------------------------------
def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def payload_for(code: str) -> str:
    """The deep-link payload (``/start <payload>``) of a code."""
    return PAYLOAD_PREFIX + code


def code_from_payload(payload: str | None) -> str | None:
    """``pay_<code>`` -> code; anything else -> None."""
    if not payload or not payload.startswith(PAYLOAD_PREFIX):
        return None
    code = payload[len(PAYLOAD_PREFIX):]
    return code if _CODE_RE.fullmatch(code) else None


def _check_amount(ctx: Context, amount) -> None:
    """An amount given by a caller: a plain positive int of fen, at most the rules' maximum."""
    require_amount(amount, max_fen=ctx.rules.max_amount)


def _clean_text(text: str | None, limit: int, *, field: str) -> str | None:
    text = unicodedata.normalize("NFC", (text or "")).strip()
    if not text:
        return None
    if len(text) > limit:
        raise ShopInvalid(reason=f"{field}_too_long", limit=limit)
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise ShopInvalid(reason=f"{field}_chars")
    return text


def _mask_name(name: str | None) -> str | None:
    """A real name as a payer may see it to recognise the payee: only the last character."""
    if not name:
        return None
    return "*" * (len(name) - 1) + name[-1]


def _code_view(c, shop=None) -> dict:
    return {
        "code_id": c.id, "code": c.code, "payload": payload_for(c.code), "owner_id": c.owner_id,
        "shop_id": c.shop_id, "kind": "shop" if c.shop_id is not None else "personal",
        "amount": c.amount, "label": c.label, "status": c.status,
        "shop_name": shop.name if shop is not None else None,
        "created_at": c.created_at.isoformat(),
    }


def _shop_view(s) -> dict:
    return {"shop_id": s.id, "owner_id": s.owner_id, "name": s.name, "category": s.category,
            "created_at": s.created_at.isoformat()}


async def _insert_code(ctx: Context, conn: AsyncConnection, *, owner_id: int, shop_id: int | None,
                       amount: int | None, label: str | None):
    return (await conn.execute(pay_codes.insert().values(
        code=new_code(), owner_id=owner_id, shop_id=shop_id, amount=amount, label=label,
        status="active", created_at=ctx.now()).returning(*pay_codes.c))).one()


async def _own_shop(conn: AsyncConnection, owner_id: int, shop_id: int):
    s = (await conn.execute(select(shops).where(shops.c.id == shop_id))).one_or_none()
    if s is None:
        raise ShopNotFound(shop_id=shop_id)
    if s.owner_id != owner_id:
        raise NotYourShop(shop_id=shop_id)
    return s


# --- shops and codes -----------------------------------------------------------------------
async def register_shop(ctx: Context, *, key: str, owner_id: int, name: str, category: str) -> dict:
    """A shop for a person with a verified card, with one open-amount collection code."""
    name = _clean_text(name, NAME_MAX, field="name")
    if name is None:
        raise ShopInvalid(reason="name_empty")
    if category not in CATEGORIES:
        raise ShopInvalid(reason="category")

    async def body(conn):
        owner = await load_user(conn, owner_id)
        require_active(owner)
        require_verified(owner)
        s = (await conn.execute(shops.insert().values(
            owner_id=owner_id, name=name, category=category, created_at=ctx.now()
        ).returning(*shops.c))).one()
        c = await _insert_code(ctx, conn, owner_id=owner_id, shop_id=s.id, amount=None, label=None)
        return {**_shop_view(s), "code": _code_view(c, s)}

    return await idempotent(ctx, key=caller_key(key, op="shop_register", user_id=owner_id), op="shop_register", user_id=owner_id,
                            request={"name": name, "category": category}, fn=body)


async def create_code(ctx: Context, *, key: str, owner_id: int, shop_id: int | None = None,
                      amount: int | None = None, label: str | None = None) -> dict:
    """A new collection code of one's shop (``shop_id``) or a personal receive code (no
    ``shop_id``); ``amount`` None lets the payer type it."""
    if amount is not None:
        _check_amount(ctx, amount)
    label = _clean_text(label, LABEL_MAX, field="label")

    async def body(conn):
        owner = await load_user(conn, owner_id)
        require_active(owner)
        require_verified(owner)
        s = await _own_shop(conn, owner_id, shop_id) if shop_id is not None else None
        c = await _insert_code(ctx, conn, owner_id=owner_id, shop_id=shop_id, amount=amount, label=label)
        return _code_view(c, s)

    return await idempotent(ctx, key=caller_key(key, op="pay_code_create", user_id=owner_id), op="pay_code_create", user_id=owner_id,
                            request={"shop_id": shop_id, "amount": amount, "label": label}, fn=body)


async def revoke_code(ctx: Context, *, key: str, owner_id: int, code: str) -> dict:
    """The owner withdraws a code: paying it is refused from now on. Revoking twice is harmless."""
    async def body(conn):
        c = (await conn.execute(select(pay_codes).where(pay_codes.c.code == code))).one_or_none()
        if c is None:
            raise PayCodeNotFound()
        if c.owner_id != owner_id:
            raise NotYourPayCode()
        await conn.execute(pay_codes.update()
                           .where(and_(pay_codes.c.id == c.id, pay_codes.c.status == "active"))
                           .values(status="revoked", revoked_at=ctx.now()))
        return {**_code_view(c), "status": "revoked"}

    return await idempotent(ctx, key=caller_key(key, op="pay_code_revoke", user_id=owner_id), op="pay_code_revoke", user_id=owner_id,
                            request={"code": code}, fn=body)


async def shops_of(ctx: Context, owner_id: int) -> list[dict]:
    async def body(conn):
        rows = (await conn.execute(select(shops).where(shops.c.owner_id == owner_id).order_by(shops.c.id))).all()
        return [_shop_view(s) for s in rows]
    return await read(ctx, body)


async def codes_of(ctx: Context, owner_id: int, *, shop_id: int | None = None,
                   personal: bool = False, include_revoked: bool = False) -> list[dict]:
    """The owner's codes of one shop, or their personal codes (``personal=True``)."""
    async def body(conn):
        cond = [pay_codes.c.owner_id == owner_id]
        s = None
        if shop_id is not None:
            s = await _own_shop(conn, owner_id, shop_id)
            cond.append(pay_codes.c.shop_id == shop_id)
        elif personal:
            cond.append(pay_codes.c.shop_id.is_(None))
        if not include_revoked:
            cond.append(pay_codes.c.status == "active")
        rows = (await conn.execute(select(pay_codes).where(and_(*cond)).order_by(pay_codes.c.id))).all()
        return [_code_view(c, s) for c in rows]
    return await read(ctx, body)


# --- looking a code up ---------------------------------------------------------------------
async def _load_code(conn: AsyncConnection, code: str):
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        raise PayCodeNotFound()
    row = (await conn.execute(
        select(pay_codes, shops.c.name.label("shop_name"), shops.c.category.label("shop_category"))
        .select_from(pay_codes.outerjoin(shops, shops.c.id == pay_codes.c.shop_id))
        .where(pay_codes.c.code == code))).one_or_none()
    if row is None:
        raise PayCodeNotFound()
    if row.status != "active":
        raise PayCodeRevoked()
    return row


def _collectable(owner) -> None:
    if owner.frozen:
        raise PayCodeUnavailable(reason="frozen")
    if owner.verified_at is None:
        raise PayCodeUnavailable(reason="not_verified")


async def lookup(ctx: Context, code: str) -> dict:
    """What a payer sees before paying: who is paid (shop name and category, or the person's
    first name and masked real name) and the amount (None: the payer types it)."""
    async def body(conn):
        c = await _load_code(conn, code)
        owner = await load_user(conn, c.owner_id)
        _collectable(owner)
        real = ctx.pii.decrypt(owner.real_name_enc) if owner.real_name_enc else None
        return {
            "code": c.code, "kind": "shop" if c.shop_id is not None else "personal",
            "status": c.status, "amount": c.amount, "label": c.label,
            "shop_id": c.shop_id, "shop_name": c.shop_name, "category": c.shop_category,
            "payee_id": c.owner_id, "payee_name": owner.first_name, "payee_real_name": _mask_name(real),
        }
    return await read(ctx, body)


def _amount_for(c, amount: int | None) -> int:
    if c.amount is not None:
        if amount is not None and amount != c.amount:
            raise PayAmountMismatch(expected=c.amount, given=amount)
        return c.amount
    if amount is None:
        raise PayAmountRequired()
    return amount


# --- paying --------------------------------------------------------------------------------
async def pay(ctx: Context, *, key: str, payer_id: int, code: str, amount: int | None = None,
              pin: str | None, pin_checked: bool = False, step_up_code: str | None = None,
              no_pin: bool = False) -> dict:
    """Pay a collection code. ``amount`` may be omitted for a fixed-amount code (given, it must
    equal it) and is required for an open one. A shop is paid at once; a personal code is a
    transfer accepted for its owner at once (``kind`` in the answer tells which). The risk engine
    screens it when on (wallet/risk/guard.py; ``step_up_code`` answers its SMS code): a shop
    payment is never held (a hold refuses it until a review); a personal code's transfer may be
    (the answer then says ``held: True`` and nothing reaches the owner). ``no_pin``: without the PIN
    (免密支付), if the person's setting covers it now (else PinRequired: nothing moved)."""
    check_key(key)
    if amount is not None:
        _check_amount(ctx, amount)
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        raise PayCodeNotFound()
    if not pin_checked and not no_pin:
        await verify_pin(ctx, payer_id, pin or "")
    if step_up_code is not None:
        await guard.verify_step_up(ctx, payer_id, step_up_code)

    async def kind(conn):  # revoked or not: a replay must still answer
        row = (await conn.execute(select(pay_codes.c.shop_id).where(pay_codes.c.code == code))).one_or_none()
        if row is None:
            raise PayCodeNotFound()
        return row.shop_id

    if await read(ctx, kind) is None:
        return await _pay_person(ctx, key=key, payer_id=payer_id, code=code, amount=amount,
                                 stepped_up=step_up_code is not None, no_pin=no_pin)

    request = {"payer_id": payer_id, "code": code, "amount": amount}
    key = caller_key(key, op="merchant_pay", user_id=payer_id)

    async def body(conn):
        c = await _load_code(conn, code)
        if c.owner_id == payer_id:
            raise PayOwnCode()
        total = _amount_for(c, amount)
        await payer(conn, payer_id)
        owner = await payee(conn, c.owner_id)
        _collectable(owner)
        source = await ledger.wallet_account(conn, payer_id)
        target = await ledger.wallet_account(conn, c.owner_id)
        await check_outgoing(ctx, conn, source, total)
        await guard.screen(ctx, conn, payer_id=payer_id, kind="pay", amount=total, key=key, recipient_id=c.owner_id,
                           stepped_up=step_up_code is not None, no_pin=no_pin)
        now = ctx.now()
        p = (await conn.execute(payments.insert().values(
            code_id=c.id, shop_id=c.shop_id, payer_id=payer_id, merchant_id=c.owner_id, amount=total,
            created_at=now).returning(payments.c.id))).scalar_one()
        tx_id = await ledger.post(conn, key=key, kind="pay", legs=[(source, -total), (target, total)], now=now,
                                  user_id=payer_id, counterparty_id=c.owner_id, note=c.shop_name,
                                  ref_type="payment", ref_id=p)
        # the shop's owner is told at once, through the outbox (commits with the payment)
        await outbox.enqueue(conn, key=internal_key("notice", "shop_paid", p), user_id=c.owner_id,
                             msgid="notice.shop_paid", now=now, amount=total, counterparty_id=payer_id,
                             shop=c.shop_name)
        return {"kind": "shop", "payment_id": p, "journal_id": tx_id, "payer_id": payer_id,
                "merchant_id": c.owner_id, "shop_id": c.shop_id, "shop_name": c.shop_name,
                "code": c.code, "amount": total, "created_at": now.isoformat()}

    # a replay answers before the code is looked at again (a code revoked since still replays)
    return await guard.guarded(ctx, lambda: idempotent(ctx, key=key, op="merchant_pay", user_id=payer_id,
                                                       request=request, fn=body))


async def _pay_person(ctx: Context, *, key: str, payer_id: int, code: str, amount: int | None,
                      stepped_up: bool = False, no_pin: bool = False) -> dict:
    """A personal receive code: a transfer to its owner, accepted for them at once, the owner's
    notice written in the accept's transaction. Two transactions; a retry with the same key
    replays the first and finishes the second. Should a crash leave the transfer unaccepted, it
    is an ordinary pending transfer (the owner may accept it, otherwise it is refunded at
    expiry): no money is lost or made, and the owner is told exactly when it is accepted here."""
    async def check(conn):
        c = await _load_code(conn, code)
        if c.owner_id == payer_id:
            raise PayOwnCode()
        total = _amount_for(c, amount)
        _collectable(await load_user(conn, c.owner_id))
        return c, total

    c, total = await read(ctx, check)
    sent = await transfers.send(ctx, key=step_key(key, "send"), sender_id=payer_id, recipient_id=c.owner_id,
                                amount=total, pin=None, pin_checked=not no_pin, note=c.label,
                                stepped_up=stepped_up, no_pin=no_pin)
    if sent.get("held"):  # the risk engine holds it for review: nothing reaches the owner yet
        return {"kind": "personal", "held": True, "hold_id": sent["hold_id"], "payer_id": payer_id,
                "payee_id": c.owner_id, "code": c.code, "amount": total, "status": "held",
                "created_at": sent["created_at"]}
    async def tell_receiver(conn, _accepted: dict) -> None:  # one notice per transfer
        await outbox.enqueue(conn, key=internal_key("notice", "receive_code_paid", sent["transfer_id"]),
                             user_id=c.owner_id, msgid="notice.receive_code_paid", now=ctx.now(), amount=total,
                             counterparty_id=payer_id)

    done = await transfers.accept(ctx, key=step_key(key, "accept"), user_id=c.owner_id,
                                  transfer_id=sent["transfer_id"], then=tell_receiver)
    return {"kind": "personal", "transfer_id": done["transfer_id"], "payer_id": payer_id,
            "payee_id": c.owner_id, "code": c.code, "amount": total, "status": done["status"],
            "created_at": sent["created_at"]}


# --- a shop's collections ------------------------------------------------------------------
def _day_bounds(ctx: Context, first: date, last: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(ctx.rules.timezone)
    return (datetime.combine(first, time(0), tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))


def local_today(ctx: Context) -> date:
    return ctx.now().astimezone(ZoneInfo(ctx.rules.timezone)).date()


async def collection_summary(ctx: Context, *, owner_id: int, shop_id: int, first: date | None = None,
                             last: date | None = None) -> dict:
    """Payments to a shop by local day (the wallet's time zone), ``first``..``last`` inclusive
    (default: today): count and total per day (days without payments included) and overall."""
    last = last or local_today(ctx)
    first = first or last
    if first > last or (last - first).days >= SUMMARY_MAX_DAYS:
        raise ValueError(f"a summary covers 1..{SUMMARY_MAX_DAYS} days, first <= last")
    start, end = _day_bounds(ctx, first, last)
    tz = ZoneInfo(ctx.rules.timezone)

    async def body(conn):
        s = await _own_shop(conn, owner_id, shop_id)
        rows = (await conn.execute(
            select(payments.c.created_at, payments.c.amount)
            .where(and_(payments.c.shop_id == shop_id, payments.c.created_at >= start,
                        payments.c.created_at < end)))).all()
        days = {first + timedelta(days=i): {"count": 0, "total": 0} for i in range((last - first).days + 1)}
        for r in rows:
            d = days[r.created_at.astimezone(tz).date()]
            d["count"] += 1
            d["total"] += int(r.amount)
        return {
            "shop_id": s.id, "shop_name": s.name, "owner_id": s.owner_id,
            "first": first.isoformat(), "last": last.isoformat(),
            "count": sum(d["count"] for d in days.values()),
            "total": sum(d["total"] for d in days.values()),
            "days": [{"day": k.isoformat(), **v} for k, v in days.items()],
        }
    return await read(ctx, body)


def _collections_by_shop(ctx: Context, day: date):
    """id, owner, name, count and total of every shop paid on local ``day``."""
    start, end = _day_bounds(ctx, day, day)
    return (select(shops.c.id, shops.c.owner_id, shops.c.name, func.count(payments.c.id), func.sum(payments.c.amount))
            .select_from(payments.join(shops, shops.c.id == payments.c.shop_id))
            .where(and_(payments.c.created_at >= start, payments.c.created_at < end))
            .group_by(shops.c.id, shops.c.owner_id, shops.c.name).order_by(shops.c.id))


async def shops_with_collections(ctx: Context, day: date) -> list[dict]:
    """Every shop paid on a local day, with its count and total (for the daily summary job)."""
    async def body(conn):
        rows = (await conn.execute(_collections_by_shop(ctx, day))).all()
        return [{"shop_id": r[0], "owner_id": r[1], "shop_name": r[2], "day": day.isoformat(),
                 "count": int(r[3]), "total": int(r[4])} for r in rows]
    return await read(ctx, body)


def summary_key(shop_id: int, day: date) -> str:
    """The outbox key of a shop's summary of one day: one notice per shop and day, however often
    the job runs and however many bot processes run it."""
    return internal_key("notice", "shop_summary", shop_id, day.isoformat())


async def queue_daily_summaries(ctx: Context, day: date) -> list[dict]:
    """Write the collection summary of local ``day`` of every shop paid that day to the outbox
    (``notice.shop_daily_summary`` to its owner), in one transaction. Running it again for the
    same day adds nothing (the key is per shop and day). Returns the shops summarised."""
    async def body(conn):
        rows = (await conn.execute(_collections_by_shop(ctx, day))).all()
        now = ctx.now()
        out = []
        for shop_id, owner_id, name, count, total in rows:
            await outbox.enqueue(conn, key=summary_key(shop_id, day), user_id=owner_id,
                                 msgid="notice.shop_daily_summary", now=now, shop=name, day=day.isoformat(),
                                 count=int(count), amount=int(total))
            out.append({"shop_id": shop_id, "owner_id": owner_id, "shop_name": name, "day": day.isoformat(),
                        "count": int(count), "total": int(total)})
        return out
    return await transaction(ctx, body)
