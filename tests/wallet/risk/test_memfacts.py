"""The facts computed in memory (``memfacts``) are the facts ``gather`` reads from the database: a
small simulated town lives a few chosen days through the real services (wallets opened, cards
bound, PINs changed, transfers sent and accepted, returned or refunded, shop payments, withdrawals,
red packets sent and claimed), and before each of its operations both read the facts; they must
be equal, field by field (the engine stays off, ``ctx.risk`` None: every operation goes through).
On SQLite, and on PostgreSQL with WALLET_TEST_DB=postgres.

The PIN check does not write ``pin_wrong_before_right`` / ``pin_right_after_wrong_at`` yet (its
settle step is to): here they are written as it is to, at the operation's time, as in
test_gather.py."""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import timedelta

from sqlalchemy import update

from tests.wallet.helpers import card_for, id_for, name_for, phone_for
from tests.wallet.risk import lifesim
from tests.wallet.risk.cases import SETTINGS as S
from tests.wallet.risk.memfacts import History, utc
from wallet.models import users
from wallet.risk.facts import gather
from wallet.services import cards, merchants, people, pins, red_packets, transfers
from wallet.uow import read, transaction

SEED, PEOPLE = 10, 24  # a town whose chosen days hold every part of the facts (asserted below)
PINS = ("135790", "246802")
FUNDS = 5_000_000_00  # each wallet's top-up at opening: never short


def chosen_days(town: lifesim.Town) -> set[int]:
    """The days lived here: the start of the warm-up month and the eve of the measured days
    (whose 30-day windows begin inside it), Spring Festival's eve (red packets into groups and to
    each relative), and the day each new wallet opened or new card was bound and the next (a new
    recipient's payers are only read while its wallet is new; a fresh card's bind time)."""
    days = {-lifesim.WARMUP_DAYS, -lifesim.WARMUP_DAYS + 1, -1, 0, lifesim.FESTIVAL_EVE}
    for p in town.people.values():
        for when in [p.opened_at] * p.new + [bound for _, bound in p.cards[1:]]:
            day = (when - lifesim.START_TS) // lifesim.DAY
            days |= {day, day + 1}
    return days


def collecting(town: lifesim.Town) -> list[lifesim.Op]:
    """What a small town rarely has: a new wallet that several people send money to within the
    hour, each transfer still waiting while the next come, or accepted, or returned by then."""
    target = min((p for p in town.people.values() if p.new), key=lambda p: p.opened_at)
    payers = [p.id for p in town.people.values() if not p.new and p.id != target.id][:6]
    start = target.opened_at + 3_600
    ends = ((lifesim.DAY, False), (1_800, True), (400, False))  # never accepted; accepted; returned
    return [lifesim.Op(at=start + 300 * i, payer=payer, kind="transfer", amount=50_00, what="collecting",
                       recipient=target.id, ends_at=start + 300 * i + ends[i % 3][0], accepted=ends[i % 3][1])
            for i, payer in enumerate(payers)]


class Live:
    """The town on the real database: each event at its time on the fake clock."""

    def __init__(self, ctx, town: lifesim.Town):
        self.ctx, self.town = ctx, town
        self.cards: dict[int, int] = {}  # the simulation's card id -> the database's
        self.codes: dict[int, str] = {}  # shop owner -> their shop's collection code
        self.pin_of: dict[int, str] = {}
        self.transfer_of: dict[tuple, int] = {}
        self.packet_of: dict[tuple, int] = {}

    def at(self, ts: int) -> None:
        self.ctx.clock.advance(seconds=(utc(ts) - self.ctx.now()).total_seconds())

    async def open(self, p: lifesim.Person) -> None:
        self.at(p.opened_at)
        await people.open_wallet(self.ctx, key=f"open-{p.id}", user_id=p.id, first_name=f"P{p.id}")

    async def first_card(self, p: lifesim.Person) -> None:
        ctx, uid, (card, bound) = self.ctx, p.id, p.cards[0]
        self.at(bound)
        await cards.send_bind_code(ctx, user_id=uid, card_number=card_for(uid), name=name_for(uid),
                                   id_number=id_for(uid), phone=phone_for(uid))
        done = await cards.bind_card(ctx, key=f"bind-{uid}", user_id=uid, card_number=card_for(uid), name=name_for(uid),
                                     id_number=id_for(uid), phone=phone_for(uid),
                                     sms_code=ctx.sms.last_code(phone_for(uid)))
        self.cards[card] = done["card_id"]

    async def first_pin(self, p: lifesim.Person) -> None:
        """The PIN, then the money (and the withdrawal quota used before) and a shopkeeper's shop."""
        ctx, uid = self.ctx, p.id
        self.at(p.pin_sets[0])
        await pins.set_pin(ctx, uid, PINS[0])
        self.pin_of[uid] = PINS[0]
        await cards.top_up(ctx, key=f"fund-{uid}", user_id=uid, card_id=self.cards[p.cards[0][0]], amount=FUNDS,
                           pin=PINS[0])
        await transaction(ctx, lambda conn: conn.execute(
            update(users).where(users.c.id == uid).values(withdraw_free_used=p.free_used)))
        if p.habit == "shopkeeper":
            shop = await merchants.register_shop(ctx, key=f"shop-{uid}", owner_id=uid, name=f"店{uid}", category="food")
            self.codes[uid] = (await merchants.create_code(ctx, key=f"code-{uid}", owner_id=uid,
                                                           shop_id=shop["shop_id"]))["code"]

    async def new_card(self, p: lifesim.Person, card: int, when: int) -> None:
        self.at(when)
        number = card_for(p.id, "621700")
        await cards.send_another_code(self.ctx, user_id=p.id, card_number=number)
        bound = await cards.bind_another(self.ctx, key=f"bind-{p.id}-{card}", user_id=p.id, card_number=number,
                                         sms_code=self.ctx.sms.last_code(phone_for(p.id)))
        self.cards[card] = bound["card_id"]

    async def new_pin(self, p: lifesim.Person, when: int) -> None:
        self.at(when)
        old = self.pin_of[p.id]
        new = PINS[1] if old == PINS[0] else PINS[0]
        await pins.change_pin(self.ctx, p.id, old, new)
        self.pin_of[p.id] = new

    async def facts(self, op: lifesim.Op):
        ctx = self.ctx
        self.at(op.at)
        if op.pin_wrong:  # what the PIN check's settle step is to write
            await transaction(ctx, lambda conn: conn.execute(update(users).where(users.c.id == op.payer).values(
                pin_wrong_before_right=op.pin_wrong, pin_right_after_wrong_at=ctx.now())))
        return await read(ctx, lambda conn: gather(
            conn, payer_id=op.payer, kind=op.kind, amount=op.amount, recipient_id=op.recipient,
            card_id=self.cards.get(op.card), group_chat_id=op.group, now=ctx.now(), rules=S))

    async def run(self, op: lifesim.Op, key: str) -> None:
        ctx, pin = self.ctx, self.pin_of[op.payer]
        if op.kind == "transfer":
            t = await transfers.send(ctx, key=key, sender_id=op.payer, recipient_id=op.recipient, amount=op.amount,
                                     pin=pin)
            self.transfer_of[key] = t["transfer_id"]
        elif op.kind == "pay":
            await merchants.pay(ctx, key=key, payer_id=op.payer, code=self.codes[op.recipient], amount=op.amount,
                                pin=pin)
        elif op.kind == "withdraw":
            await cards.withdraw(ctx, key=key, user_id=op.payer, card_id=self.cards[op.card], amount=op.amount, pin=pin)
        elif op.group is not None:
            p = await red_packets.create(ctx, key=key, sender_id=op.payer, kind="lucky", amount=op.amount,
                                         shares=max(1, len(op.claims)), pin=pin, chat_id=op.group)
            self.packet_of[key] = p["packet_id"]
        else:
            await red_packets.create(ctx, key=key, sender_id=op.payer, kind="exclusive", amount=op.amount, shares=1,
                                     pin=pin, exclusive_user_id=op.recipient)

    async def end_transfer(self, op: lifesim.Op, key: str) -> None:
        self.at(op.ends_at)
        tid = self.transfer_of[key]
        if op.accepted:
            await transfers.accept(self.ctx, key=f"{key}-accept", user_id=op.recipient, transfer_id=tid)
        elif op.ends_at - op.at < lifesim.DAY:
            await transfers.give_back(self.ctx, key=f"{key}-back", user_id=op.recipient, transfer_id=tid)
        else:
            await transfers.expire_due(self.ctx)

    async def claim(self, key: str, n: int, when: int, who: int) -> None:
        self.at(when)
        await red_packets.claim(self.ctx, key=f"{key}-claim-{n}", packet_id=self.packet_of[key], user_id=who)


def events(town: lifesim.Town, ops: list[lifesim.Op]) -> list[tuple]:
    """(time, order, what, arguments): the town's openings, new cards and PINs, the chosen
    operations and what follows them (a transfer's end, a red packet's claims)."""
    out = []
    for p in town.people.values():
        out.append((p.opened_at, 0, "open", (p,)))
        out.append((p.cards[0][1], 0, "first_card", (p,)))
        out.append((p.pin_sets[0], 0, "first_pin", (p,)))
        out += [(when, 1, "new_card", (p, card, when)) for card, when in p.cards[1:]]
        out += [(when, 1, "new_pin", (p, when)) for when in p.pin_sets[1:]]
    for i, op in enumerate(ops):
        key = f"op{i}"
        out.append((op.at, 2, "op", (op, key)))
        if op.kind == "transfer":
            out.append((op.ends_at, 3, "end_transfer", (op, key)))
        out += [(when, 3, "claim", (key, n, when, who)) for n, (when, who) in enumerate(op.claims)]
    return sorted(out, key=lambda e: (e[0], e[1]))


async def test_the_facts_in_memory_are_the_facts_on_the_database(ctx):
    town = lifesim.generate(SEED, people=PEOPLE)
    # what they paid before the simulated months is not on this database
    town = replace(town, people={pid: replace(p, paid_long_ago=set()) for pid, p in town.people.items()})
    days = chosen_days(town)
    ops = sorted([op for op in town.ops if (op.at - lifesim.START_TS) // lifesim.DAY in days] + collecting(town),
                 key=lambda op: (op.at, op.payer))
    live, memory, compared = Live(ctx, town), History(town, S), []
    ctx.clock.advance(seconds=(utc(min(p.opened_at for p in town.people.values())) - ctx.now()).total_seconds() - 60)
    for _, _, what, args in events(town, ops):
        if what != "op":
            await getattr(live, what)(*args)
            continue
        op, key = args
        on_db = await live.facts(op)
        memory.pin_typed(op)
        in_memory = memory.facts(op)
        if op.card is not None:
            in_memory = replace(in_memory, card_id=live.cards[op.card])
        for f in fields(in_memory):
            assert getattr(in_memory, f.name) == getattr(on_db, f.name), (f.name, op, in_memory, on_db)
        compared.append(in_memory)
        await live.run(op, key)
        memory.post(op)

    # what was compared covers every part of the facts, beyond their defaults
    assert len(compared) > 300
    assert any(f.recent_count >= 2 for f in compared) and any(f.period_count >= 10 for f in compared)
    assert {f.kind for f in compared} == {"transfer", "red_packet", "pay", "withdraw"}
    assert any(f.paid_recipient_before for f in compared) and any(f.paid_recipient_before is False for f in compared)
    assert any((f.recipient_recent_payers or 0) > 0 for f in compared)
    assert any(f.group_new_claims > 0 for f in compared) and any(f.group_claims > f.group_new_claims for f in compared)
    assert any(f.pin_right_after_wrong_at is not None for f in compared)
    assert any(f.seconds_since(f.card_bound_at) is not None and f.seconds_since(f.card_bound_at) < lifesim.DAY
               for f in compared)
    assert any(f.kind == "red_packet" and f.recipient_id is not None for f in compared)  # an exclusive one
    # the windows were crossed: a payer's operation counted in one facts and out of a later one
    last: dict[int, object] = {}
    left_recent = left_period = False
    for f in compared:
        before = last.get(f.payer_id)
        if before is not None:
            left_recent |= f.recent_count < before.recent_count + 1
            left_period |= f.period_count < before.period_count + 1
        last[f.payer_id] = f
    assert left_recent and left_period
    # every hold ends before the audit: the last red packets expire, the last transfers are refunded
    ctx.clock.advance(timedelta(days=2).total_seconds())
    await red_packets.expire_due(ctx)
    await transfers.expire_due(ctx)
