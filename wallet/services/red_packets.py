"""Red packets (红包): lucky (random split), equal, exclusive (for one member).

Lifecycle. ``create`` moves the whole total from the sender's wallet into red-packet escrow
(journal kind rp_create) and draws the split at once: the shares are stored in
``red_packet_shares`` and claim number n takes share n, so who gets what is decided by the
database order of claims and nothing lives in memory. ``claim`` moves one share from escrow to
the claimer (rp_claim, one per claim); the claim that takes the last share marks the packet
'finished'. ``expire_due`` refunds the unclaimed rest of a packet past its expiry to the sender
(rp_refund, at most one per packet) and marks it 'expired'. A packet ends exactly once: both
endings are conditional updates of status 'open'.

Concurrency, without any in-process lock:
- a claim takes its share number with one conditional update of the packet row
  (``claimed_count = claimed_count + 1 ... WHERE status = 'open' AND claimed_count < shares
  AND expires_at > now``). On PostgreSQL the row lock serializes claimers of one packet and a
  waiting update re-checks its condition against the committed row; on SQLite every write
  transaction starts with BEGIN IMMEDIATE, so writers are serialized anyway;
- the unique constraint (packet_id, user_id) is the final guard against a double claim: the
  claim row is inserted with ON CONFLICT DO NOTHING on it, and a conflict rolls the whole
  claim back as AlreadyClaimed;
- the sweep's update (``status = 'expired', refunded_amount = total - claimed_amount``) runs
  on the latest committed row, so a claim that committed first is never refunded as well.

Decisions (WeChat's behaviour where it has one):
- the sender may claim a share of their own lucky or equal packet, as in a WeChat group; an
  exclusive packet is only for its named member (never the sender);
- an unverified wallet cannot receive (NotVerified); a frozen one still can (money owed to a
  frozen account arrives; see ``guards.payee``);
- 手气最佳 (the luckiest) is shown for lucky packets only, once finished or expired with claims.

On PostgreSQL, ``claim`` first tries a one-statement fast path with group commit
(``claim_fastpath``); whatever it declines runs here.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, case, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from wallet import ledger, outbox
from wallet.context import Context
from wallet.errors import (AlreadyClaimed, NotForYou, RedPacketEmpty, RedPacketExpired,
                           RedPacketInvalid, RedPacketNotFound)
from wallet.models import UTCDateTime, red_packet_claims, red_packet_shares, red_packets, users
from wallet.redsplit import equal_split, lucky_split, luckiest
from wallet.services import claim_fastpath
from wallet.services.guards import payee, payer
from wallet.risk import guard
from wallet.services.limits import check_outgoing
from wallet.services.pins import verify_pin
from wallet.money import require_amount
from wallet.uow import caller_key, idempotent, internal_key, read, transaction

log = logging.getLogger("wallet.red_packets")

KINDS = ("lucky", "equal", "exclusive")


def _view(p) -> dict:
    """A packet as anyone who can see the card may see it (never the undrawn shares)."""
    return {
        "packet_id": p.id, "sender_id": p.sender_id, "chat_id": p.chat_id, "kind": p.kind,
        "total": p.total, "shares": p.shares,
        "per_share": p.total // p.shares if p.kind == "equal" else None,
        "exclusive_user_id": p.exclusive_user_id, "greeting": p.greeting, "status": p.status,
        "claimed_count": p.claimed_count, "claimed_amount": p.claimed_amount,
        "refunded_amount": p.refunded_amount,
        "remaining_count": p.shares - p.claimed_count if p.status == "open" else 0,
        "remaining_amount": p.total - p.claimed_amount - p.refunded_amount,
        "created_at": p.created_at.isoformat(), "expires_at": p.expires_at.isoformat(),
        "closed_at": p.closed_at.isoformat() if p.closed_at else None,
    }


def validate(ctx: Context, *, sender_id: int, kind: str, amount: int, shares: int,
             exclusive_user_id: int | None, greeting: str | None = None) -> tuple[int, int]:
    """Check a packet against the rules before anything else (the PIN included).
    Returns (total, shares). Raises RedPacketInvalid(reason, limit) or InvalidAmount; a greeting
    longer than ``red_packet_greeting_max`` characters (once stripped) is refused
    (greeting_too_long), never cut."""
    rules = ctx.rules
    if greeting is not None and len(greeting.strip()) > rules.red_packet_greeting_max:
        raise RedPacketInvalid(reason="greeting_too_long", limit=rules.red_packet_greeting_max)
    if kind not in KINDS:
        raise RedPacketInvalid(reason="kind")
    if kind == "exclusive":
        if exclusive_user_id is None:
            raise RedPacketInvalid(reason="exclusive_needs_user")
        if exclusive_user_id == sender_id:
            raise RedPacketInvalid(reason="exclusive_self")
        if shares != 1:
            raise RedPacketInvalid(reason="too_many_shares", limit=1)
    elif exclusive_user_id is not None:
        raise RedPacketInvalid(reason="kind")
    amount = require_amount(amount, max_fen=rules.max_amount)
    if type(shares) is not int:
        raise RedPacketInvalid(reason="too_few_shares", limit=1)
    if shares < 1:
        raise RedPacketInvalid(reason="too_few_shares", limit=1)
    if shares > rules.red_packet_max_shares:
        raise RedPacketInvalid(reason="too_many_shares", limit=rules.red_packet_max_shares)
    total = amount * shares if kind == "equal" else amount
    per_share_floor = amount if kind == "equal" else amount // shares
    if per_share_floor < rules.red_packet_min_share:
        raise RedPacketInvalid(reason="share_too_small", limit=rules.red_packet_min_share)
    if total > rules.red_packet_max_total:
        raise RedPacketInvalid(reason="total_too_large", limit=rules.red_packet_max_total)
    return total, shares


async def create(ctx: Context, *, key: str, sender_id: int, kind: str, amount: int, shares: int = 1,
                 pin: str | None, chat_id: int | None = None, exclusive_user_id: int | None = None,
                 greeting: str | None = None, pin_checked: bool = False, step_up_code: str | None = None,
                 no_pin: bool = False) -> dict:
    """Send a red packet: ``amount`` is the total for lucky and exclusive packets and the
    amount of each share for equal ones (total = amount × shares). An exclusive packet has one
    share for ``exclusive_user_id``, a verified wallet user other than the sender.
    ``pin_checked`` is for callers that verified the PIN themselves just before. The risk engine
    screens it when on (wallet/risk/guard.py; ``step_up_code`` answers its SMS code); a packet is
    never held: a hold refuses it until a review. ``no_pin``: without the PIN (免密支付), if the
    person's setting covers it now (else PinRequired: nothing moved)."""
    key = caller_key(key, op="rp_create", user_id=sender_id)
    total, shares = validate(ctx, sender_id=sender_id, kind=kind, amount=amount, shares=shares,
                             exclusive_user_id=exclusive_user_id, greeting=greeting)
    greeting = (greeting or "").strip() or None
    if not pin_checked and not no_pin:
        await verify_pin(ctx, sender_id, pin or "")
    if step_up_code is not None:
        await guard.verify_step_up(ctx, sender_id, step_up_code)

    async def body(conn: AsyncConnection) -> dict:
        now = ctx.now()
        await payer(conn, sender_id)
        if exclusive_user_id is not None:
            await payee(conn, exclusive_user_id)
            await ledger.wallet_account(conn, exclusive_user_id)
        source = await ledger.wallet_account(conn, sender_id)
        await check_outgoing(ctx, conn, source, total)
        await guard.screen(ctx, conn, payer_id=sender_id, kind="red_packet", amount=total, key=key,
                           recipient_id=exclusive_user_id, group_chat_id=chat_id if chat_id and chat_id < 0 else None,
                           stepped_up=step_up_code is not None, no_pin=no_pin)
        escrow = await ledger.system_account(ctx, conn, "redpacket_escrow", spread_by=sender_id)
        packet_id = (await conn.execute(red_packets.insert().values(
            sender_id=sender_id, chat_id=chat_id, kind=kind, total=total, shares=shares,
            exclusive_user_id=exclusive_user_id, greeting=greeting, status="open",
            escrow_account_id=escrow, created_at=now,
            expires_at=now + timedelta(seconds=ctx.rules.red_packet_expiry_seconds),
        ).returning(red_packets.c.id))).scalar_one()
        split = (lucky_split(total, shares, min_share=ctx.rules.red_packet_min_share, rng=ctx.rng)
                 if kind == "lucky" else equal_split(total // shares, shares))
        await conn.execute(red_packet_shares.insert(),
                           [{"packet_id": packet_id, "seq": i, "amount": a} for i, a in enumerate(split, 1)])
        await ledger.post(conn, key=key, kind="rp_create", legs=[(source, -total), (escrow, total)], now=now,
                          user_id=sender_id, counterparty_id=exclusive_user_id, note=greeting,
                          ref_type="red_packet", ref_id=packet_id)
        p = (await conn.execute(select(red_packets).where(red_packets.c.id == packet_id))).one()
        return _view(p)

    return await guard.guarded(ctx, lambda: idempotent(ctx, key=key, op="rp_create", user_id=sender_id, fn=body, request={
        "sender_id": sender_id, "kind": kind, "amount": amount, "shares": shares, "chat_id": chat_id,
        "exclusive_user_id": exclusive_user_id, "greeting": greeting}))


def _insert_claim(conn: AsyncConnection, **values):
    """INSERT a claim, doing nothing if this user already claimed this packet (the unique
    constraint decides, also between concurrent transactions)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return (dialect.insert(red_packet_claims).values(**values)
            .on_conflict_do_nothing(index_elements=["packet_id", "user_id"]))


async def _existing_claim(conn: AsyncConnection, packet_id: int, user_id: int) -> int | None:
    return (await conn.execute(select(red_packet_claims.c.amount).where(and_(
        red_packet_claims.c.packet_id == packet_id, red_packet_claims.c.user_id == user_id)))).scalar_one_or_none()


def _still_open(p, now) -> None:
    """Raise RedPacketEmpty if every share is taken, RedPacketExpired if it is past its time."""
    if p.status == "finished" or p.claimed_count >= p.shares:
        raise RedPacketEmpty(packet_id=p.id)
    if p.status == "expired" or p.expires_at <= now:
        raise RedPacketExpired(packet_id=p.id)


async def claim(ctx: Context, *, key: str, packet_id: int, user_id: int) -> dict:
    """Open (抢) a red packet: take the next share into the claimer's wallet.

    Raises RedPacketNotFound, NotForYou (exclusive for someone else), AlreadyClaimed (with the
    amount this user got), RedPacketEmpty (all shares taken), RedPacketExpired, and the
    claimer's WalletNotOpen / NotVerified. Returns the amount, the share number ``seq``,
    ``last`` (this claim took the last share) and the packet's state after the claim."""
    key = caller_key(key, op="rp_claim", user_id=user_id)
    if claim_fastpath.enabled(ctx):  # PostgreSQL: one statement, group commit; None: decided here
        done = await claim_fastpath.claim(ctx, key=key, packet_id=packet_id, user_id=user_id)
        if done is not None:
            return done

    async def body(conn: AsyncConnection) -> dict:
        now = ctx.now()
        p = (await conn.execute(select(red_packets).where(red_packets.c.id == packet_id))).one_or_none()
        if p is None:
            raise RedPacketNotFound(packet_id=packet_id)
        if p.kind == "exclusive" and p.exclusive_user_id != user_id:
            raise NotForYou(packet_id=packet_id)
        got = await _existing_claim(conn, packet_id, user_id)
        if got is not None:
            raise AlreadyClaimed(packet_id=packet_id, amount=got)
        _still_open(p, now)  # fail fast; the conditional update below is what decides
        await payee(conn, user_id)
        target = await ledger.wallet_account(conn, user_id)

        # take share number n; the last one closes the packet in the same statement
        last = red_packets.c.claimed_count + 1 >= red_packets.c.shares
        taken = (await conn.execute(
            red_packets.update()
            .where(and_(red_packets.c.id == packet_id, red_packets.c.status == "open",
                        red_packets.c.claimed_count < red_packets.c.shares, red_packets.c.expires_at > now))
            .values(claimed_count=red_packets.c.claimed_count + 1,
                    status=case((last, "finished"), else_=red_packets.c.status),
                    closed_at=case((last, literal(now, UTCDateTime())), else_=red_packets.c.closed_at))
            .returning(red_packets.c.claimed_count)
        )).scalar_one_or_none()
        if taken is None:
            fresh = (await conn.execute(select(red_packets).where(red_packets.c.id == packet_id))).one()
            _still_open(fresh, now)
            raise RedPacketExpired(packet_id=packet_id)  # pragma: no cover - _still_open raised
        seq = taken
        share = (await conn.execute(select(red_packet_shares.c.amount).where(and_(
            red_packet_shares.c.packet_id == packet_id, red_packet_shares.c.seq == seq)))).scalar_one()
        tx_id = await ledger.post(conn, key=key, kind="rp_claim",
                                  legs=[(p.escrow_account_id, -share), (target, share)], now=now,
                                  user_id=user_id, counterparty_id=p.sender_id, note=p.greeting,
                                  ref_type="red_packet", ref_id=packet_id)
        inserted = await conn.execute(_insert_claim(conn, packet_id=packet_id, seq=seq, user_id=user_id,
                                                    amount=share, tx_id=tx_id, created_at=now))
        if inserted.rowcount != 1:  # a concurrent claim by the same user committed first
            raise AlreadyClaimed(packet_id=packet_id, amount=await _existing_claim(conn, packet_id, user_id) or 0)
        after = (await conn.execute(
            red_packets.update().where(red_packets.c.id == packet_id)
            .values(claimed_amount=red_packets.c.claimed_amount + share)
            .returning(*red_packets.c)
        )).one()
        return {**_view(after), "amount": share, "seq": seq, "last": seq == after.shares,
                "claimer_id": user_id}

    return await idempotent(ctx, key=key, op="rp_claim", user_id=user_id,
                            request={"packet_id": packet_id, "user_id": user_id}, fn=body)


async def expire_due(ctx: Context, *, limit: int = 500) -> list[dict]:
    """Refund the unclaimed rest of every open packet past its expiry to the sender, each in
    its own transaction, exactly once even when several sweeps run at the same moment.
    A packet whose shares were all claimed is finished and never refunded. Returns the
    refunded packets (with ``refunded``), so the sender can be told."""
    now = ctx.now()

    async def due(conn):
        return list((await conn.execute(
            select(red_packets.c.id)
            .where(and_(red_packets.c.status == "open", red_packets.c.expires_at <= now))
            .order_by(red_packets.c.id).limit(limit))).scalars())

    refunded = []
    for packet_id in await read(ctx, due):
        async def body(conn, packet_id=packet_id):
            p = (await conn.execute(
                red_packets.update()
                .where(and_(red_packets.c.id == packet_id, red_packets.c.status == "open",
                            red_packets.c.claimed_count < red_packets.c.shares,
                            red_packets.c.expires_at <= now))
                .values(status="expired", closed_at=now,
                        refunded_amount=red_packets.c.total - red_packets.c.claimed_amount)
                .returning(*red_packets.c)
            )).one_or_none()
            if p is None:  # another sweep (or the last claim) ended it first
                return None
            rest = p.refunded_amount
            if rest > 0:
                target = await ledger.wallet_account(conn, p.sender_id)
                await ledger.post(conn, key=internal_key("rp_refund", p.id), kind="rp_refund",
                                  legs=[(p.escrow_account_id, -rest), (target, rest)], now=now,
                                  user_id=p.sender_id, note=p.greeting, ref_type="red_packet", ref_id=p.id)
                await outbox.enqueue(conn, key=internal_key("notice", "rp_refunded", p.id), user_id=p.sender_id,
                                     msgid="notice.red_packet_refunded", now=now, amount=rest)
            return {**_view(p), "refunded": rest}

        try:
            result = await transaction(ctx, body)
        except Exception:  # one bad row must not block every other refund: log it, go on
            log.exception("red packet refund failed packet=%s key=%s", packet_id, internal_key("rp_refund", packet_id))
            continue
        if result is not None:
            refunded.append(result)
    return refunded


async def details(ctx: Context, packet_id: int, *, viewer_id: int | None = None) -> dict:
    """The packet with its claims in order (user, name, amount, time), claimed/total,
    what remains, and the luckiest claimer (手气最佳) of a lucky packet once it is finished or
    expired with claims. With ``viewer_id``: ``viewer_amount`` is what that person got (or None)."""
    async def body(conn):
        p = (await conn.execute(select(red_packets).where(red_packets.c.id == packet_id))).one_or_none()
        if p is None:
            raise RedPacketNotFound(packet_id=packet_id)
        rows = (await conn.execute(
            select(red_packet_claims.c.seq, red_packet_claims.c.user_id, red_packet_claims.c.amount,
                   red_packet_claims.c.created_at, users.c.first_name)
            .select_from(red_packet_claims.join(users, users.c.id == red_packet_claims.c.user_id))
            .where(red_packet_claims.c.packet_id == packet_id).order_by(red_packet_claims.c.seq)
        )).all()
        claims = [{"seq": r.seq, "user_id": r.user_id, "first_name": r.first_name, "amount": r.amount,
                   "claimed_at": r.created_at.isoformat()} for r in rows]
        best = None
        if p.kind == "lucky" and claims and p.status in ("finished", "expired"):
            best = claims[luckiest([c["amount"] for c in claims])]
        view = _view(p)
        view.update(claims=claims, luckiest=best)
        if viewer_id is not None:
            view["viewer_amount"] = next((c["amount"] for c in claims if c["user_id"] == viewer_id), None)
        return view

    return await read(ctx, body)
