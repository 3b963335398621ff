"""Bank cards: bind (real-name verification), unbind, top up from a card, withdraw to a card,
and reconcile bank operations whose outcome was unknown.

A bank call never runs inside a database transaction. Each top-up or withdrawal is a
``bank_ops`` row (unique by the request's idempotency key) that ends exactly once:
  top-up:   pending --charge--> succeeded (topup posted) | failed
  withdraw: pending + withdraw_hold posted --payout--> succeeded (withdraw_settle) | failed (withdraw_fail refunds amount and fee)
A timeout leaves it 'unknown'; ``reconcile`` asks the bank later and settles it.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, func, select

from wallet import ledger, outbox
from wallet.bank import BankResult, normalize_card_number
from wallet.context import Context
from wallet.errors import (BankDeclined, BankTimeout, CardAlreadyBound, CardNotFound, CreditCardNotAllowed,
                           IdempotencyConflict, IdentityMismatch, InsufficientBalance, NotVerified,
                           PhoneTaken)
from wallet.fees import largest_withdrawal, quote
from wallet.idnumber import validate_id_number
from wallet.models import bank_ops, cards, users
from wallet.pii import mask_phone, normalize_name, normalize_phone
from wallet.services import sms_codes
from wallet.risk import guard
from wallet.services.guards import load_user, require_active, require_verified
from wallet.services.pins import verify_pin
from wallet.money import require_amount
from wallet.uow import caller_key, idempotent, insert_ignore, internal_key, read, replay, transaction

log = logging.getLogger("wallet.cards")


def _card_view(c) -> dict:
    return {"card_id": c.id, "bank_code": c.bank_code, "bank_name_zh": c.bank_name_zh,
            "bank_name_en": c.bank_name_en, "card_type": c.card_type, "last4": c.last4,
            "default": bool(c.is_default)}


# --- binding ---------------------------------------------------------------------------------
async def _check_on_file(ctx: Context, user_id: int, *, name: str, id_number: str, phone: str) -> None:
    """What the wallet knows before the bank is asked: a wallet with an identity binds only that
    identity's cards (``IdentityMismatch``); a first card's phone is nobody else's (``PhoneTaken``)."""
    index = ctx.pii.blind_index(phone)

    async def body(conn):
        row = (await conn.execute(select(users.c.real_name_enc, users.c.id_number_enc)
                                  .where(users.c.id == user_id))).one_or_none()
        if row is not None and row.id_number_enc is not None:
            return row, False
        taken = (await conn.execute(select(users.c.id).where(
            and_(users.c.phone_index == index, users.c.id != user_id)))).first()
        return None, taken is not None

    user, taken = await read(ctx, body)
    if user is not None and (ctx.pii.decrypt(user.id_number_enc) != id_number
                             or ctx.pii.decrypt(user.real_name_enc) != name):
        raise IdentityMismatch()
    if taken:
        raise PhoneTaken()


def bind_purpose(ctx: Context, card_number: str) -> str:
    """The SMS purpose of one card's code (``bind:`` and a keyed digest of the number, 16
    characters): each card has its own code, and another card's code does not wait for it."""
    return "bind:" + ctx.pii.blind_index(normalize_card_number(card_number), purpose="bind_code")[:11]


async def send_bind_code(ctx: Context, *, user_id: int, card_number: str, name: str, id_number: str,
                         phone: str, lang: str = "zh-CN") -> dict:
    """Before binding: the bank checks that the card is this person's (name and ID number) and
    that ``phone`` is the phone it holds for the card, then the card's code goes to that phone.
    Nothing is sent when it refuses (``CardNotSupported``, ``IdentityMismatch``, ``PhoneMismatch``)
    or when this card's last code is still fresh (``SmsTooSoon``). A wallet that already has an
    identity binds only cards of that identity. Returns ``phone`` masked, ``expires_in``, ``resend_in``."""
    ctx.bank.lookup(card_number)  # CardInvalid / CardNotSupported first
    name = normalize_name(name)
    ident = validate_id_number(id_number)
    phone = normalize_phone(phone)

    await _check_on_file(ctx, user_id, name=name, id_number=ident.number, phone=phone)
    await ctx.bank.check_holder(card_number, name, ident.number, phone)
    sent = await sms_codes.request_code(ctx, phone=phone, purpose=bind_purpose(ctx, card_number), lang=lang)
    return {**sent, "phone": mask_phone(phone)}


async def send_another_code(ctx: Context, *, user_id: int, card_number: str, lang: str = "zh-CN") -> dict:
    """``send_bind_code`` for one more card, with the identity and phone already on file."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.id_number_enc is None or user.phone_enc is None:
        raise NotVerified(user_id=user_id)
    return await send_bind_code(ctx, user_id=user_id, card_number=card_number, lang=lang,
                                name=ctx.pii.decrypt(user.real_name_enc), id_number=ctx.pii.decrypt(user.id_number_enc),
                                phone=ctx.pii.decrypt(user.phone_enc))


async def bind_card(ctx: Context, *, key: str, user_id: int, card_number: str, name: str,
                    id_number: str, phone: str, sms_code: str) -> dict:
    """Verify name + ID number + card + phone with the bank and bind the card. The first card
    sets the person's real-name identity; later cards must match it. Send the card's SMS code
    first with ``send_bind_code`` (the bank checks the holder and the phone before it goes out);
    the bank checks them again here, after the code."""
    key = caller_key(key, op="bind_card", user_id=user_id)
    info = ctx.bank.lookup(card_number)  # CardInvalid / CardNotSupported before anything else
    name = normalize_name(name)
    ident = validate_id_number(id_number)
    phone = normalize_phone(phone)
    request = {"user_id": user_id, "card": ctx.pii.blind_index(normalize_card_number(card_number)),
               "name": ctx.pii.blind_index(name), "id": ctx.pii.blind_index(ident.number),
               "phone": ctx.pii.blind_index(phone)}
    done = await replay(ctx, key=key, op="bind_card", request=request)
    if done is not None:
        return done
    await read(ctx, lambda conn: load_user(conn, user_id))  # WalletNotOpen
    await _check_on_file(ctx, user_id, name=name, id_number=ident.number, phone=phone)
    await sms_codes.check_code(ctx, phone=phone, purpose=bind_purpose(ctx, card_number), code=sms_code)
    token = await ctx.bank.verify(card_number, name, ident.number, phone)
    phone_index = ctx.pii.blind_index(phone)

    async def body(conn):
        now = ctx.now()
        u = await load_user(conn, user_id, for_update=True)
        if u.id_number_enc is None:
            taken = (await conn.execute(select(users.c.id).where(
                and_(users.c.phone_index == phone_index, users.c.id != user_id)))).first()
            if taken:
                raise PhoneTaken()
            await conn.execute(users.update().where(users.c.id == user_id).values(
                real_name_enc=ctx.pii.encrypt(name), id_number_enc=ctx.pii.encrypt(ident.number),
                id_masked=ident.masked, phone_enc=ctx.pii.encrypt(phone), phone_index=phone_index,
                phone_masked=mask_phone(phone)))
        existing = (await conn.execute(select(cards.c.id).where(and_(
            cards.c.user_id == user_id, cards.c.token == token.token, cards.c.status == "bound")))).first()
        if existing:
            raise CardAlreadyBound(last4=token.last4)
        card_id = (await conn.execute(cards.insert().values(
            user_id=user_id, token=token.token, bank_code=token.bank_code, bank_name_zh=token.bank_name_zh,
            bank_name_en=token.bank_name_en, card_type=token.card_type, last4=token.last4,
            status="bound", created_at=now).returning(cards.c.id))).scalar_one()
        await conn.execute(users.update().where(and_(users.c.id == user_id, users.c.verified_at.is_(None)))
                           .values(verified_at=now))
        log.info("card bound user=%s card=%s bank=%s last4=%s key=%s", user_id, card_id, info.bank_code, token.last4, key)
        return {"card_id": card_id, "bank_code": token.bank_code, "bank_name_zh": token.bank_name_zh,
                "bank_name_en": token.bank_name_en, "card_type": token.card_type, "last4": token.last4}

    return await idempotent(ctx, key=key, op="bind_card", user_id=user_id, request=request, fn=body)


async def bind_another(ctx: Context, *, key: str, user_id: int, card_number: str, sms_code: str) -> dict:
    """Bind one more card with the identity already on file (name, ID number, bound phone): the
    bank verifies them against the new card as at opening. Send the code first with
    ``send_another_code``."""
    user = await read(ctx, lambda conn: load_user(conn, user_id))
    if user.id_number_enc is None or user.phone_enc is None:
        raise NotVerified(user_id=user_id)
    return await bind_card(ctx, key=key, user_id=user_id, card_number=card_number,
                           name=ctx.pii.decrypt(user.real_name_enc), id_number=ctx.pii.decrypt(user.id_number_enc),
                           phone=ctx.pii.decrypt(user.phone_enc), sms_code=sms_code)


async def list_cards(ctx: Context, user_id: int) -> list[dict]:
    async def body(conn):
        rows = await conn.execute(select(cards).where(and_(cards.c.user_id == user_id, cards.c.status == "bound"))
                                  .order_by(cards.c.id))
        return [_card_view(c) for c in rows]
    return await read(ctx, body)


async def set_default_card(ctx: Context, *, user_id: int, card_id: int) -> dict:
    """Make a bound card the person's default (offered first for top-ups and withdrawals)."""
    async def body(conn):
        await _own_card(conn, user_id, card_id)
        await conn.execute(cards.update().where(and_(cards.c.user_id == user_id, cards.c.is_default.is_(True)))
                           .values(is_default=False))
        await conn.execute(cards.update().where(cards.c.id == card_id).values(is_default=True))
        return {"card_id": card_id, "default": True}

    return await transaction(ctx, body)


async def default_card(ctx: Context, user_id: int) -> dict | None:
    """The person's default card, else their first bound card, else None."""
    bound = await list_cards(ctx, user_id)
    return next((c for c in bound if c["default"]), bound[0] if bound else None)


async def unbind_card(ctx: Context, *, key: str, user_id: int, card_id: int, pin: str) -> dict:
    """Remove a card (PIN needed). Without any bound card the wallet is no longer verified:
    it can neither pay nor receive until a card is bound again."""
    key = caller_key(key, op="unbind_card", user_id=user_id)
    await verify_pin(ctx, user_id, pin)

    async def body(conn):
        now = ctx.now()
        res = await conn.execute(cards.update().where(and_(
            cards.c.id == card_id, cards.c.user_id == user_id, cards.c.status == "bound"))
            .values(status="unbound", unbound_at=now, is_default=False))
        if res.rowcount != 1:
            raise CardNotFound(card_id=card_id)
        left = (await conn.execute(select(func.count()).select_from(cards).where(and_(
            cards.c.user_id == user_id, cards.c.status == "bound")))).scalar_one()
        if left == 0:
            await conn.execute(users.update().where(users.c.id == user_id).values(verified_at=None))
        return {"card_id": card_id, "cards_left": left}

    return await idempotent(ctx, key=key, op="unbind_card", user_id=user_id,
                            request={"card_id": card_id}, fn=body)


async def _own_card(conn, user_id: int, card_id: int, *, any_status: bool = False):
    cond = and_(cards.c.id == card_id, cards.c.user_id == user_id)
    if not any_status:
        cond = and_(cond, cards.c.status == "bound")
    card = (await conn.execute(select(cards).where(cond))).one_or_none()
    if card is None:
        raise CardNotFound(card_id=card_id)
    return card


# --- settling bank operations ---------------------------------------------------------------
async def _settle(ctx: Context, conn, op, result: BankResult) -> bool:
    """End a bank operation exactly once from the bank's answer. Returns False if it had
    already ended (another settle won)."""
    now = ctx.now()
    status = "succeeded" if result.succeeded else "failed"
    res = await conn.execute(bank_ops.update().where(and_(
        bank_ops.c.id == op.id, bank_ops.c.status.in_(("pending", "unknown"))))
        .values(status=status, bank_ref=result.bank_ref, reason=result.reason or None, resolved_at=now))
    if res.rowcount != 1:
        return False
    wallet = await ledger.wallet_account(conn, op.user_id)
    clearing = await ledger.system_account(ctx, conn, "bank_clearing", spread_by=op.user_id)
    common = dict(now=now, user_id=op.user_id, ref_type="bank_op", ref_id=op.id)
    if op.kind == "charge":
        if result.succeeded:
            await ledger.post(conn, key=internal_key("bank_op", op.id, "topup"), kind="topup",
                              legs=[(clearing, -op.amount), (wallet, op.amount)], **common)
        return True
    pending = await ledger.system_account(ctx, conn, "withdraw_pending", spread_by=op.user_id)
    if result.succeeded:
        await ledger.post(conn, key=internal_key("bank_op", op.id, "settle"), kind="withdraw_settle",
                          legs=[(pending, -op.amount), (clearing, op.amount)], **common)
    else:
        fee_income = await ledger.system_account(ctx, conn, "fee_income", spread_by=op.user_id)
        await ledger.post(conn, key=internal_key("bank_op", op.id, "fail"), kind="withdraw_fail",
                          legs=[(pending, -op.amount), (fee_income, -op.fee), (wallet, op.amount + op.fee)],
                          **common)
        await conn.execute(users.update().where(users.c.id == op.user_id)
                           .values(withdraw_free_used=users.c.withdraw_free_used - op.free_used))
    return True


def _op_view(op, card) -> dict:
    return {"op_id": op.id, "kind": op.kind, "amount": op.amount, "fee": op.fee,
            "card_id": card.id, "bank_code": card.bank_code, "last4": card.last4}


async def _call_bank(ctx: Context, op, card) -> BankResult:
    """Ask the bank; on a timeout mark the operation unknown (reconcile settles it later)."""
    try:
        if op.kind == "charge":
            return await ctx.bank.charge(card.token, op.amount, op.key)
        return await ctx.bank.payout(card.token, op.amount, op.key)
    except BankTimeout:
        async def mark(conn):
            await conn.execute(bank_ops.update().where(and_(bank_ops.c.id == op.id, bank_ops.c.status == "pending"))
                               .values(status="unknown"))
        await transaction(ctx, mark)
        log.warning("bank timeout op=%s kind=%s user=%s key=%s", op.id, op.kind, op.user_id, op.key)
        raise BankTimeout(op_id=op.id) from None


async def _finish(ctx: Context, *, key: str, op_name: str, request: dict, op, card, result: BankResult) -> dict:
    """Settle from the bank's answer; on success store the result under the request's key."""
    if not result.succeeded:
        async def fail(conn):
            fresh = (await conn.execute(select(bank_ops).where(bank_ops.c.id == op.id))).one()
            await _settle(ctx, conn, fresh, result)
        await transaction(ctx, fail)
        raise BankDeclined(reason=result.reason or "declined")

    async def body(conn):
        fresh = (await conn.execute(select(bank_ops).where(bank_ops.c.id == op.id))).one()
        await _settle(ctx, conn, fresh, result)
        balance = await ledger.balance_of(conn, await ledger.wallet_account(conn, op.user_id))
        return {**_op_view(fresh, card), "status": "succeeded", "balance": balance}

    return await idempotent(ctx, key=key, op=op_name, user_id=op.user_id, request=request, fn=body)


# --- top-up ------------------------------------------------------------------------------------
async def _bank_operation(ctx: Context, *, key: str, op_name: str, user_id: int, pin: str | None, request: dict,
                          start, pin_checked: bool = False, step_up_code: str | None = None) -> dict:
    """The shape shared by top-up and withdrawal: replay a finished key, check the PIN, record
    the bank operation (``start``: one transaction returning the op row and the card), ask the
    bank unless an earlier attempt already has its answer, and settle."""
    done = await replay(ctx, key=key, op=op_name, request=request)
    if done is not None:
        return done
    if not pin_checked:
        await verify_pin(ctx, user_id, pin or "")
    if step_up_code is not None:
        await guard.verify_step_up(ctx, user_id, step_up_code)
    op, card = await transaction(ctx, start)
    if op.status == "failed":
        raise BankDeclined(reason=op.reason or "declined")
    if op.status == "succeeded":  # settled by reconciliation after an earlier attempt
        result = BankResult("succeeded", op.bank_ref or "", "")
    else:
        result = await _call_bank(ctx, op, card)
    return await _finish(ctx, key=key, op_name=op_name, request=request, op=op, card=card, result=result)


async def top_up(ctx: Context, *, key: str, user_id: int, card_id: int, amount: int, pin: str | None,
                 pin_checked: bool = False) -> dict:
    """Charge a bound card and credit the wallet. The key and the amount are checked before
    the PIN and long before the bank hears of it. ``pin_checked`` is for callers that verified
    the PIN themselves just before (wallet/services/funded.py)."""
    key = caller_key(key, op="top_up", user_id=user_id)
    amount = require_amount(amount, max_fen=ctx.rules.max_amount)

    async def start(conn):
        user = await load_user(conn, user_id)
        require_active(user)
        card = await _own_card(conn, user_id, card_id)
        await conn.execute(insert_ignore(conn, bank_ops, key=key, kind="charge", user_id=user_id, card_id=card_id,
                                         amount=amount, status="pending", created_at=ctx.now()))
        op = (await conn.execute(select(bank_ops).where(bank_ops.c.key == key))).one()
        if (op.kind, op.user_id, op.card_id, op.amount) != ("charge", user_id, card_id, amount):
            raise IdempotencyConflict(key=key)
        return op, card

    return await _bank_operation(ctx, key=key, op_name="top_up", user_id=user_id, pin=pin,
                                 request={"card_id": card_id, "amount": amount}, start=start,
                                 pin_checked=pin_checked)


# --- withdrawal ----------------------------------------------------------------------------------
async def withdrawal_quote(ctx: Context, user_id: int, amount: int | None = None) -> dict:
    """What a withdrawal costs: fee and free quota left; ``amount=None`` quotes 'withdraw all'."""
    if amount is not None:
        amount = require_amount(amount, max_fen=ctx.rules.max_amount)

    async def body(conn):
        user = await load_user(conn, user_id)
        balance = await ledger.balance_of(conn, await ledger.wallet_account(conn, user_id))
        return user, balance
    user, balance = await read(ctx, body)
    q = (largest_withdrawal(ctx.rules, balance, user.withdraw_free_used) if amount is None
         else quote(ctx.rules, amount, user.withdraw_free_used))
    free_left = max(0, ctx.rules.withdraw_free_quota - user.withdraw_free_used)
    if q is None:
        return {"amount": 0, "fee": 0, "total": 0, "balance": balance, "free_left": free_left}
    return {"amount": q.amount, "fee": q.fee, "total": q.total, "balance": balance, "free_left": free_left}


async def withdraw(ctx: Context, *, key: str, user_id: int, card_id: int, amount: int | None, pin: str | None,
                   step_up_code: str | None = None, pin_checked: bool = False) -> dict:
    """Pay out to a bound debit card. The fee is taken from the balance on top of the amount;
    ``amount=None`` withdraws all (the largest amount the fee allows). The risk engine screens it
    when on (wallet/risk/guard.py; ``step_up_code`` answers its SMS code, checked after the PIN, or
    alone with ``pin_checked`` when the PIN was verified as the engine asked): a withdrawal is never
    held (a hold refuses it until a review)."""
    key = caller_key(key, op="withdraw", user_id=user_id)
    if amount is not None:
        amount = require_amount(amount, max_fen=ctx.rules.max_amount)

    async def start(conn):
        now = ctx.now()
        user = await load_user(conn, user_id, for_update=True)
        card = await _own_card(conn, user_id, card_id)
        op = (await conn.execute(select(bank_ops).where(bank_ops.c.key == key))).one_or_none()
        if op is not None:  # an earlier attempt with this key got this far
            if (op.kind, op.card_id) != ("payout", card_id) or (amount is not None and op.amount != amount):
                    raise IdempotencyConflict(key=key)
            return op, card
        require_active(user)
        require_verified(user)
        if card.card_type == "credit":
            raise CreditCardNotAllowed(bank=card.bank_code, last4=card.last4)
        wallet = await ledger.wallet_account(conn, user_id)
        balance = await ledger.balance_of(conn, wallet)
        q = (largest_withdrawal(ctx.rules, balance, user.withdraw_free_used) if amount is None
             else quote(ctx.rules, amount, user.withdraw_free_used))
        if q is None or q.total > balance:
            needed = q.total if q is not None else ctx.rules.withdraw_fee_min + 1
            raise InsufficientBalance(needed=needed, available=balance)
        await guard.screen(ctx, conn, payer_id=user_id, kind="withdraw", amount=q.total, key=key, card_id=card_id,
                           stepped_up=step_up_code is not None)
        op_id = (await conn.execute(bank_ops.insert().values(
            key=key, kind="payout", user_id=user_id, card_id=card_id, amount=q.amount, fee=q.fee,
            free_used=q.free_used, status="pending", created_at=now).returning(bank_ops.c.id))).scalar_one()
        await conn.execute(users.update().where(users.c.id == user_id)
                           .values(withdraw_free_used=users.c.withdraw_free_used + q.free_used))
        pending = await ledger.system_account(ctx, conn, "withdraw_pending", spread_by=user_id)
        fee_income = await ledger.system_account(ctx, conn, "fee_income", spread_by=user_id)
        legs = [(wallet, -q.total), (pending, q.amount)] + ([(fee_income, q.fee)] if q.fee else [])
        await ledger.post(conn, key=internal_key("bank_op", op_id, "hold"), kind="withdraw_hold", legs=legs, now=now,
                          user_id=user_id, ref_type="bank_op", ref_id=op_id)
        op = (await conn.execute(select(bank_ops).where(bank_ops.c.id == op_id))).one()
        return op, card

    return await guard.guarded(ctx, lambda: _bank_operation(
        ctx, key=key, op_name="withdraw", user_id=user_id, pin=pin, request={"card_id": card_id, "amount": amount},
        start=start, step_up_code=step_up_code, pin_checked=pin_checked))


# --- reconciliation ----------------------------------------------------------------------------
async def reconcile(ctx: Context, *, older_than_seconds: int = 60, limit: int = 200) -> list[dict]:
    """Settle bank operations left pending or unknown (a timeout, or a crash between the bank
    call and the database): ask the bank what happened, and send again (same key) what it never
    received. Returns what was settled."""
    cutoff = ctx.now() - timedelta(seconds=older_than_seconds)

    async def due(conn):
        return list(await conn.execute(select(bank_ops).where(and_(
            bank_ops.c.status.in_(("pending", "unknown")), bank_ops.c.created_at <= cutoff))
            .order_by(bank_ops.c.id).limit(limit)))

    settled = []
    for op in await read(ctx, due):
        try:
            result = await ctx.bank.status(op.key)
            if result is None:
                # The bank has no record: the request never arrived, or is still on its way.
                # Failing it here could lose money if it then arrives, so send it again with
                # the same key: the bank does it at most once and tells us the outcome.
                card = await read(ctx, lambda conn, op=op: _own_card(conn, op.user_id, op.card_id, any_status=True))
                result = await (ctx.bank.charge if op.kind == "charge" else ctx.bank.payout)(card.token, op.amount, op.key)

            async def body(conn, op=op, result=result):
                if not await _settle(ctx, conn, op, result):
                    return False
                # the person was told "processing": tell the outcome, in the same transaction
                kind = "topup" if op.kind == "charge" else "withdraw"
                status = "succeeded" if result.succeeded else "failed"
                await outbox.enqueue(conn, key=internal_key("notice", "bank_op", op.id), user_id=op.user_id,
                                     msgid=f"notice.{kind}_{status}", now=ctx.now(), amount=op.amount)
                return True

            done = await transaction(ctx, body)
        except BankTimeout:
            continue
        except Exception:  # one bad operation must not block every other settlement: log it, go on
            log.exception("reconcile failed op=%s kind=%s user=%s key=%s", op.id, op.kind, op.user_id, op.key)
            continue
        if done:
            log.info("reconciled op=%s kind=%s user=%s status=%s", op.id, op.kind, op.user_id, result.status)
            settled.append({"op_id": op.id, "kind": op.kind, "user_id": op.user_id, "amount": op.amount,
                            "status": result.status})
    return settled
