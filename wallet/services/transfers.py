"""Transfers between people. The money waits in escrow until the recipient accepts it; the
recipient may return it at once; unaccepted after 24 h it is refunded. With delayed arrival
(a safety option) the recipient may accept it only after 2 h or 24 h (``arrive_at``; the 24 h to
accept start then), and the sender may revoke it until then. Every transfer ends exactly once: the status moves from 'pending' by a
conditional update, and each ending posts one journal transaction.

Two kinds of recipient the chat needs (both here, as rules, not in the handlers):

- **A newcomer** (``to_newcomer=True``): a Telegram user the bot knows (picked with the
  ``request_users`` button, or replied to in a group) who has not opened a wallet. The wallet
  keeps a placeholder person for them (their Telegram id and first name; no phone, card or
  PIN), the money waits in escrow, they may accept only once their wallet is open and
  verified, and it is refunded after 24 h as usual. Without ``to_newcomer`` such a recipient
  is refused (``WalletNotOpen`` / ``NotVerified``).
- **Whoever accepts first** (``recipient_id=None``): an inline card (``@bot 20``) names nobody.
  ``take`` makes the first person other than the sender who accepts it the recipient and pays
  them, in one transaction (a conditional update on ``recipient_id IS NULL``); everyone after
  gets ``NotYourTransfer``. The sender may ``revoke`` it while nobody has taken it.

On PostgreSQL, send and accept first try a one-statement fast path with group commit
(``transfer_fastpath``); on SQLite a one-thread-hop fast path with group commit
(``transfer_sqlite``); whatever they decline runs here."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Awaitable, Callable

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from wallet import ledger, outbox
from wallet.context import Context
from wallet.errors import (InvalidDelay, NotYourTransfer, TransferNotArrived,
                           TransferNotFound, TransferNotPending, TransferToSelf, WalletNotOpen)
from wallet.models import TRANSFER_PENDING, accounts, transfers, users
from wallet.services.guards import load_user, payee, payer, require_verified
from wallet.services import transfer_fastpath as fastpath
from wallet.services import risk_holds, transfer_sqlite
from wallet.risk import guard, prescreen
from wallet.services.limits import check_outgoing
from wallet.services.transfer_rules import ENDING_KIND, NOTICES, notice_key, view
from wallet.services.pins import verify_pin
from wallet.money import require_amount
from wallet.uow import caller_key, idempotent, internal_key, read, transaction


log = logging.getLogger("wallet.transfers")

async def send(ctx: Context, *, key: str, sender_id: int, recipient_id: int | None, amount: int,
               pin: str | None, note: str | None = None, delay_seconds: int = 0,
               pin_checked: bool = False, to_newcomer: bool = False, recipient_name: str | None = None,
               step_up_code: str | None = None, stepped_up: bool = False, no_pin: bool = False) -> dict:
    """Move ``amount`` from the sender's wallet into escrow for the recipient to accept.
    ``pin_checked`` is for callers that verified the PIN themselves just before.
    ``recipient_id=None``: for whoever ``take``s it first. ``to_newcomer``: the recipient need
    not have an open wallet yet (a placeholder person named ``recipient_name`` is kept for
    them); they accept once it is open. The result then says ``recipient_waiting: True``.

    The risk engine (wallet/risk/guard.py) screens it when on: ``StepUpRequired`` (call again
    with the same key and ``step_up_code``, the SMS code sent; ``stepped_up`` for callers that
    checked it themselves), ``RiskRefused``, ``RiskFrozen``;
    or the result says ``held: True`` (wallet/services/risk_holds.py: nothing reaches the
    recipient until an admin releases it). ``no_pin``: without the PIN (免密支付), if the person's
    setting covers it now (else PinRequired: nothing moved)."""
    key = caller_key(key, op="transfer_send", user_id=sender_id)
    amount = require_amount(amount, max_fen=ctx.rules.max_amount)
    if sender_id == recipient_id:
        raise TransferToSelf()
    if type(delay_seconds) is not int or (delay_seconds and delay_seconds not in ctx.rules.transfer_delay_choices_seconds):
        raise InvalidDelay(seconds=delay_seconds)
    note = (note or "").strip()[:ctx.rules.transfer_note_max] or None  # handlers refuse longer ones
    if not pin_checked and not no_pin:
        await verify_pin(ctx, sender_id, pin or "")
    request = {"sender_id": sender_id, "recipient_id": recipient_id, "amount": amount, "note": note,
               "delay_seconds": delay_seconds}
    if to_newcomer:
        request["to_newcomer"] = True
    if step_up_code is not None:
        await guard.verify_step_up(ctx, sender_id, step_up_code)
        stepped_up = True
    # with the risk engine on, the fast paths take only what no rule can fire on (wallet/risk/prescreen.py)
    fast = not no_pin and recipient_id is not None and (ctx.risk is None or prescreen.usable(ctx.risk, amount))
    if fast and fastpath.enabled(ctx):  # it declines an unverified recipient itself
        done = await fastpath.send(ctx, key=key, sender_id=sender_id, recipient_id=recipient_id, amount=amount,
                                note=note, delay_seconds=delay_seconds, request=request)
        if done is not None:
            return done
    if fast and transfer_sqlite.enabled(ctx):  # it declines a newcomer recipient itself
        done = await transfer_sqlite.send(ctx, key=key, sender_id=sender_id, recipient_id=recipient_id,
                                          amount=amount, note=note, delay_seconds=delay_seconds, request=request)
        if done is not None:
            return done

    async def body(conn):
        return await _send_in(ctx, conn, key=key, request=request, recipient_name=recipient_name,
                              stepped_up=stepped_up, no_pin=no_pin)

    return await guard.guarded(ctx, lambda: idempotent(ctx, key=key, op="transfer_send", user_id=sender_id,
                                                       fn=body, request=request))


async def _send_in(ctx: Context, conn, *, key: str, request: dict, recipient_name: str | None = None,
                   stepped_up: bool = False, screened: bool = True, no_pin: bool = False) -> dict:
    """The general path of ``send`` in the caller's transaction (``request``: its checked
    arguments), screened by the risk engine unless a held send is being released."""
    sender_id, recipient_id, amount = request["sender_id"], request["recipient_id"], request["amount"]
    note, delay_seconds = request["note"], request["delay_seconds"]
    now = ctx.now()
    await payer(conn, sender_id)
    waiting = False
    if recipient_id is not None and request.get("to_newcomer"):
        waiting = not await _payee_or_newcomer(ctx, conn, recipient_id, recipient_name)
    elif recipient_id is not None:
        await payee(conn, recipient_id)
    source = await ledger.wallet_account(conn, sender_id)
    await check_outgoing(ctx, conn, source, amount)
    if screened:
        verdict = await guard.screen(ctx, conn, payer_id=sender_id, kind="transfer", amount=amount, key=key,
                                     recipient_id=recipient_id, stepped_up=stepped_up, can_hold=True,
                                     no_pin=no_pin)
        if verdict.action == "hold":
            return await risk_holds.hold(ctx, conn, key=key, user_id=sender_id, kind="transfer", amount=amount,
                                         source=source, recipient_id=recipient_id, decision_id=verdict.decision_id,
                                         request={**request, "recipient_name": recipient_name})
        delay_seconds = max(delay_seconds, verdict.delay_seconds)  # a first payment the person asked to wait
    escrow = await ledger.system_account(ctx, conn, "transfer_escrow", spread_by=sender_id)
    arrive = now + timedelta(seconds=delay_seconds)
    t = (await conn.execute(transfers.insert().values(
        sender_id=sender_id, recipient_id=recipient_id, amount=amount, note=note, status="pending",
        escrow_account_id=escrow, created_at=now, arrive_at=arrive,
        expires_at=arrive + timedelta(seconds=ctx.rules.transfer_expiry_seconds),
    ).returning(*transfers.c))).one()
    await ledger.post(conn, key=key, kind="transfer_hold", legs=[(source, -amount), (escrow, amount)],
                      now=now, user_id=sender_id, counterparty_id=recipient_id, note=note,
                      ref_type="transfer", ref_id=t.id)
    # the same answer as the fast path's unless the money waits for a newcomer
    return {**view(t), "recipient_waiting": True} if waiting else view(t)


async def release_held(ctx: Context, conn, *, key: str, request: dict) -> dict:
    """A held send, released by an admin (wallet/services/risk_holds.py): the send itself, now,
    in the release's transaction, not screened again."""
    name = request.pop("recipient_name", None)
    return await _send_in(ctx, conn, key=key, request=request, recipient_name=name, screened=False)


async def _payee_or_newcomer(ctx: Context, conn, user_id: int, name: str | None) -> bool:
    """True if the recipient may receive now; False if the money must wait for them to open
    (or re-verify) their wallet: then a placeholder person is kept, as ``people.open_wallet``
    starts one (inserted at most once, also when two senders race: ON CONFLICT DO NOTHING)."""
    try:
        user = await load_user(conn, user_id)
    except WalletNotOpen:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        await conn.execute(insert(users).values(id=user_id, first_name=(name or None) and name[:128],
                                                created_at=ctx.now()).on_conflict_do_nothing())
        await conn.execute(insert(accounts).values(user_id=user_id, kind="wallet", balance=0)
                           .on_conflict_do_nothing())
        return False
    return user.verified_at is not None


async def _end(ctx: Context, conn, t, *, new_status: str, key: str, to_sender: bool) -> dict:
    """Close a pending transfer and move its escrow to the recipient or back to the sender."""
    now = ctx.now()
    res = await conn.execute(transfers.update()
                             .where(and_(transfers.c.id == t.id, transfers.c.status == "pending"))
                             .values(status=new_status, resolved_at=now))
    if res.rowcount != 1:
        current = (await conn.execute(select(transfers.c.status).where(transfers.c.id == t.id))).scalar_one()
        raise TransferNotPending(transfer_id=t.id, status=current)
    owner = t.sender_id if to_sender else t.recipient_id
    target = await ledger.wallet_account(conn, owner)
    await ledger.post(conn, key=key, kind=ENDING_KIND[new_status],
                      legs=[(t.escrow_account_id, -t.amount), (target, t.amount)], now=now,
                      user_id=owner, counterparty_id=t.recipient_id if to_sender else t.sender_id,
                      note=t.note, ref_type="transfer", ref_id=t.id)
    for role, msgid in NOTICES.get(new_status, ()):
        told, other = (t.sender_id, t.recipient_id) if role == "sender" else (t.recipient_id, t.sender_id)
        if told is None:  # an inline transfer nobody took: only its sender is told
            continue
        await outbox.enqueue(conn, key=notice_key(new_status, t.id, role), user_id=told, msgid=msgid,
                             now=now, amount=t.amount, counterparty_id=other)
    return {**view(t), "status": new_status}


async def _load(conn, transfer_id: int):
    stmt = select(transfers).where(transfers.c.id == transfer_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    t = (await conn.execute(stmt)).one_or_none()
    if t is None:
        raise TransferNotFound(transfer_id=transfer_id)
    return t


def _pending(t, now) -> None:
    if t.status != "pending":
        raise TransferNotPending(transfer_id=t.id, status=t.status)
    if t.expires_at <= now:
        raise TransferNotPending(transfer_id=t.id, status="expired")


async def accept(ctx: Context, *, key: str, user_id: int, transfer_id: int,
                 then: Callable[[AsyncConnection, dict], Awaitable[None]] | None = None) -> dict:
    """The recipient takes the money into their wallet. ``then(conn, result)``, if given, runs
    in the same transaction after the accept (e.g. a notice of the caller's to enqueue): both
    commit or neither; a replay of the key runs neither again."""
    key = caller_key(key, op="transfer_accept", user_id=user_id)
    if fastpath.enabled(ctx) and then is None:
        done = await fastpath.accept(ctx, key=key, user_id=user_id, transfer_id=transfer_id)
        if done is not None:
            return done
    if transfer_sqlite.enabled(ctx) and then is None:
        done = await transfer_sqlite.accept(ctx, key=key, user_id=user_id, transfer_id=transfer_id)
        if done is not None:
            return done

    async def body(conn):
        t = await _load(conn, transfer_id)
        if t.recipient_id != user_id:
            raise NotYourTransfer(transfer_id=transfer_id)
        _pending(t, ctx.now())
        if ctx.now() < t.arrive_at:
            raise TransferNotArrived(transfer_id=transfer_id, arrive_at=t.arrive_at)
        await payee(conn, user_id)
        done = await _end(ctx, conn, t, new_status="accepted", key=key, to_sender=False)
        if then is not None:
            await then(conn, done)
        return done

    return await idempotent(ctx, key=key, op="transfer_accept", user_id=user_id,
                            request={"transfer_id": transfer_id}, fn=body)


async def take(ctx: Context, *, key: str, user_id: int, transfer_id: int) -> dict:
    """Accept a transfer made for whoever accepts first (an inline card): the first person
    other than the sender, with an open and verified wallet, becomes its recipient and is paid,
    in one transaction. Its recipient pressing again replays; anyone else: ``NotYourTransfer``.
    A transfer with a named recipient is accepted as ``accept`` does."""
    key = caller_key(key, op="transfer_take", user_id=user_id)

    async def body(conn):
        t = await _load(conn, transfer_id)
        if t.sender_id == user_id:
            raise NotYourTransfer(transfer_id=transfer_id)
        if t.recipient_id is not None and t.recipient_id != user_id:
            raise NotYourTransfer(transfer_id=transfer_id)
        _pending(t, ctx.now())
        if ctx.now() < t.arrive_at:
            raise TransferNotArrived(transfer_id=transfer_id, arrive_at=t.arrive_at)
        require_verified(await load_user(conn, user_id))
        if t.recipient_id is None:
            res = await conn.execute(transfers.update().where(and_(
                transfers.c.id == t.id, transfers.c.recipient_id.is_(None), transfers.c.status == "pending"))
                .values(recipient_id=user_id))
            if res.rowcount != 1:  # someone else was first (SQLite: cannot happen under BEGIN IMMEDIATE)
                raise NotYourTransfer(transfer_id=transfer_id)
            t = await _load(conn, transfer_id)
        return await _end(ctx, conn, t, new_status="accepted", key=key, to_sender=False)

    return await idempotent(ctx, key=key, op="transfer_take", user_id=user_id,
                            request={"transfer_id": transfer_id}, fn=body)


async def give_back(ctx: Context, *, key: str, user_id: int, transfer_id: int) -> dict:
    """The recipient returns the transfer to the sender at once."""
    key = caller_key(key, op="transfer_return", user_id=user_id)

    async def body(conn):
        t = await _load(conn, transfer_id)
        if t.recipient_id != user_id:
            raise NotYourTransfer(transfer_id=transfer_id)
        _pending(t, ctx.now())
        return await _end(ctx, conn, t, new_status="returned", key=key, to_sender=True)

    return await idempotent(ctx, key=key, op="transfer_return", user_id=user_id,
                            request={"transfer_id": transfer_id}, fn=body)


async def revoke(ctx: Context, *, key: str, user_id: int, transfer_id: int) -> dict:
    """The sender takes back a delayed transfer before it arrives."""
    key = caller_key(key, op="transfer_revoke", user_id=user_id)

    async def body(conn):
        t = await _load(conn, transfer_id)
        if t.sender_id != user_id:
            raise NotYourTransfer(transfer_id=transfer_id)
        _pending(t, ctx.now())
        if ctx.now() >= t.arrive_at and t.recipient_id is not None:  # an untaken inline one: any time
            raise TransferNotPending(transfer_id=transfer_id, status="arrived")
        return await _end(ctx, conn, t, new_status="revoked", key=key, to_sender=True)

    return await idempotent(ctx, key=key, op="transfer_revoke", user_id=user_id,
                            request={"transfer_id": transfer_id}, fn=body)


async def expire_due(ctx: Context, *, limit: int = 500) -> list[dict]:
    """Refund every transfer not accepted in time, each in its own transaction, exactly once
    even when several sweeps run at the same moment. Returns the refunded transfers, so both
    people can be told."""
    now = ctx.now()

    async def due(conn):
        return list((await conn.execute(
            select(transfers.c.id).where(and_(TRANSFER_PENDING, transfers.c.expires_at <= now))
            .order_by(transfers.c.expires_at, transfers.c.id).limit(limit))).scalars())

    refunded = []
    for transfer_id in await read(ctx, due):
        async def body(conn, transfer_id=transfer_id):
            t = await _load(conn, transfer_id)
            if t.status != "pending":
                return None
            return await _end(ctx, conn, t, new_status="refunded", key=internal_key("transfer_refund", t.id), to_sender=True)

        try:
            result = await transaction(ctx, body)
        except Exception:  # one bad row must not block every other refund: log it, go on
            log.exception("transfer refund failed transfer=%s key=%s", transfer_id,
                          internal_key("transfer_refund", transfer_id))
            continue
        if result is not None:
            refunded.append(result)
    return refunded


async def get(ctx: Context, transfer_id: int, *, viewer_id: int) -> dict:
    """A transfer as its sender or recipient may see it."""
    async def body(conn):
        t = (await conn.execute(select(transfers).where(transfers.c.id == transfer_id))).one_or_none()
        if t is None:
            raise TransferNotFound(transfer_id=transfer_id)
        if viewer_id not in (t.sender_id, t.recipient_id):
            raise NotYourTransfer(transfer_id=transfer_id)
        return view(t)
    return await read(ctx, body)
