"""A seeded generator of everyday wallet life, for the risk engine's normal-life simulation (issue 24).

``generate(seed)`` makes a town of people with different habits — salaried people (pay day, rent,
money home to their parents), students (canteens, splitting bills with roommates), shopkeepers
(suppliers, taking the day's takings out to their card), people who send red packets into their
groups every day, and light users — and every outgoing operation each of them makes over a
warm-up month (their history) and the 30 measured days that follow. The measured days hold Spring
Festival 2027 (eve 2027-02-05): red-packet evenings, money home, gifts. Also in it: new friends
(a first transfer to someone never paid before), wallets opened during the 30 days (among them
new shops), a new card bound and used at once, PIN changes and resets, PIN typos now and then,
group red packets claimed by the group's members, transfers accepted late or never.

Everything is in memory and plain data: ``memfacts`` turns the operations into the ``Facts`` that
``wallet.risk.facts.gather`` would read from the database. Times are whole seconds since the
epoch (UTC); amounts are fen. The town's local time is Asia/Shanghai (no summer time).
"""
from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ_NAME = "Asia/Shanghai"
TZ = ZoneInfo(TZ_NAME)
DAY = 86_400
START = datetime(2027, 1, 22, tzinfo=TZ)  # the first measured day, local midnight
START_TS = int(START.timestamp())
DAYS = 30  # measured
WARMUP_DAYS = 30  # of history before the measured days (the pattern window is 30 days)
FESTIVAL_EVE = (date(2027, 2, 5) - START.date()).days  # 除夕, day 14 of the measured days
NEW_YEAR = FESTIVAL_EVE + 1

# the share of each habit in the town
HABITS = {"salaried": 0.38, "student": 0.20, "shopkeeper": 0.08, "red_packet_sender": 0.14, "light": 0.20}
NEW_WALLET_SHARE = 0.04  # wallets opened during the measured days
PIN_TYPO = 0.03  # an operation whose PIN is mistyped first (once, sometimes twice or three times)
RED_PACKET_MAX = 20_000  # the wallet's cap on one red packet (wallet.rules.Rules.red_packet_max_total)


@dataclass
class Person:
    id: int
    habit: str
    opened_at: int
    cards: list[tuple[int, int]] = field(default_factory=list)  # (card id, bound at), in bind order
    pin_sets: list[int] = field(default_factory=list)  # when the PIN was set: first, changes, resets
    groups: list[int] = field(default_factory=list)
    family: list[int] = field(default_factory=list)
    friends: list[int] = field(default_factory=list)
    shops: list[int] = field(default_factory=list)  # the owners of the shops they usually pay
    suppliers: list[int] = field(default_factory=list)
    landlord: int | None = None
    rent: int = 0
    payday: int = 15  # day of the month
    paid_long_ago: set[int] = field(default_factory=set)  # paid before the warm-up month
    free_used: int = 0  # of the lifetime free withdrawal quota, before the warm-up month

    @property
    def new(self) -> bool:
        return self.opened_at >= START_TS


@dataclass(frozen=True, slots=True)
class Op:
    """One outgoing operation as the person starts it. ``recipient``: a transfer's recipient, a
    shop's owner, an exclusive red packet's person. ``pin_wrong``: wrong PIN tries before the right
    one. A transfer ends at ``ends_at`` (accepted when ``accepted``, else returned or refunded);
    a group red packet's ``claims`` are (when, who)."""
    at: int
    payer: int
    kind: str
    amount: int
    what: str
    recipient: int | None = None
    group: int | None = None
    card: int | None = None
    pin_wrong: int = 0
    ends_at: int | None = None
    accepted: bool = False
    claims: tuple[tuple[int, int], ...] = ()

    @property
    def measured(self) -> bool:
        return self.at >= START_TS


@dataclass
class Town:
    seed: int
    people: dict[int, Person]
    groups: dict[int, list[int]]
    ops: list[Op]  # every person's operations, all in time order

    def measured(self) -> list[Op]:
        return [op for op in self.ops if op.measured]


def day_start(day: int) -> int:
    """Local midnight of day ``day`` (0: the first measured day; negative: the warm-up)."""
    return START_TS + day * DAY


def local_date(day: int) -> date:
    return START.date() + timedelta(days=day)


def generate(seed: int, people: int = 1_000) -> Town:
    """The town: ``people`` people, their groups and every operation, all from ``seed``."""
    return _Builder(random.Random(seed), people).build(seed)


@functools.lru_cache(maxsize=2)
def town(seed: int) -> Town:
    """``generate(seed)`` once per test run (the town is read, never changed)."""
    return generate(seed)


class _Builder:
    def __init__(self, rng: random.Random, n: int):
        self.rng, self.n = rng, n
        self.people: dict[int, Person] = {}
        self.groups: dict[int, list[int]] = {}
        self.ops: list[Op] = []
        self.shop_ids: list[int] = []  # the shopkeepers: the owners of every shop
        self._card_ids = 0

    # --- the town -----------------------------------------------------------------------------

    def build(self, seed: int) -> Town:
        rng = self.rng
        habits = rng.choices(list(HABITS), weights=list(HABITS.values()), k=self.n)
        for pid, habit in enumerate(habits, 1):
            if rng.random() < NEW_WALLET_SHARE:
                opened = day_start(rng.randrange(DAYS)) + rng.randrange(8 * 3600, 22 * 3600)
            else:
                opened = day_start(-WARMUP_DAYS) - rng.randrange(10, 2_000) * DAY - rng.randrange(DAY)
            p = Person(pid, habit, opened, payday=rng.choice((5, 10, 15, 20, 25)))
            p.cards.append((self._card(), opened + 120))
            p.pin_sets.append(opened + 180)
            p.free_used = rng.randrange(0, 100_001) if not p.new else 0
            self.people[pid] = p
        self._families()
        self._circles()
        self._shops_and_landlords()
        for p in self.people.values():
            self._life(p)
        self.ops.sort(key=lambda op: (op.at, op.payer))
        return Town(seed, self.people, self.groups, self.ops)

    def _card(self) -> int:
        self._card_ids += 1
        return self._card_ids

    def _group(self, members: list[int]) -> int:
        gid = -(1_000 + len(self.groups))
        self.groups[gid] = members
        for m in members:
            self.people[m].groups.append(gid)
        return gid

    def _families(self) -> None:
        ids = list(self.people)
        self.rng.shuffle(ids)
        i = 0
        while i < len(ids):
            size = self.rng.choice((2, 3, 3, 4, 4, 5, 6))
            members = ids[i:i + size]
            i += size
            for m in members:
                p = self.people[m]
                p.family = [o for o in members if o != m]
                p.paid_long_ago.update(p.family)
            if len(members) > 2:
                self._group(members)

    def _circles(self) -> None:
        """Classes, workplaces and circles of friends: groups whose members are each other's
        friends; each person paid some of their friends long ago."""
        rng = self.rng
        by_habit: dict[str, list[int]] = {}
        for p in self.people.values():
            by_habit.setdefault(p.habit, []).append(p.id)
        everyone = list(self.people)
        plans = [("student", 25, 40), ("salaried", 10, 30), (None, 4, 12), (None, 4, 12), ("red_packet_sender", 15, 40)]
        for habit, lo, hi in plans:
            pool = list(by_habit.get(habit, [])) if habit else list(everyone)
            rng.shuffle(pool)
            i = 0
            while i < len(pool):
                size = rng.randint(lo, hi)
                members = pool[i:i + size]
                i += size
                if habit == "red_packet_sender":  # their groups hold other people too
                    members += rng.sample(everyone, rng.randint(5, 20))
                members = list(dict.fromkeys(members))
                if len(members) < 3:
                    continue
                self._group(members)
                for m in members:
                    p = self.people[m]
                    close = rng.sample([o for o in members if o != m], min(len(members) - 1, rng.randint(2, 6)))
                    p.friends.extend(o for o in close if o not in p.friends)
                    p.paid_long_ago.update(o for o in close if rng.random() < 0.6)

    def _shops_and_landlords(self) -> None:
        rng = self.rng
        shops = self.shop_ids = [p.id for p in self.people.values() if p.habit == "shopkeeper"]
        old_shops = [s for s in shops if not self.people[s].new]
        others = [p.id for p in self.people.values() if p.habit in ("salaried", "light") and not p.new]
        for p in self.people.values():
            p.shops = rng.sample(shops, min(len(shops), rng.randint(5, 12)))
            p.paid_long_ago.update(s for s in p.shops if s in old_shops)
            if p.habit == "shopkeeper":
                p.suppliers = rng.sample(old_shops, min(len(old_shops), rng.randint(2, 5)))
                p.paid_long_ago.update(p.suppliers)
            if p.habit in ("salaried", "light") and rng.random() < 0.3:
                p.landlord = rng.choice([o for o in others if o != p.id])
                p.rent = _round_yuan(_lognormal(rng, 2_500_00, 0.4, 1_000_00, 8_000_00), 100)
                if not p.new:
                    p.paid_long_ago.add(p.landlord)

    # --- a person's life ----------------------------------------------------------------------

    def _life(self, p: Person) -> None:
        rng = self.rng
        first = max(-WARMUP_DAYS, (p.opened_at - START_TS) // DAY)
        changes = self._pin_and_card_events(p)
        for day in range(first, DAYS):
            getattr(self, f"_day_{p.habit}")(p, day)
            self._festival(p, day)
            if rng.random() < 0.012:
                self._shopping_spree(p, day)
        for when, card in changes:  # a new card or PIN: sometimes a withdrawal follows soon
            if rng.random() < (0.5 if card is not None else 0.3):
                self._withdraw(p, when + rng.randrange(60, 30 * 3600), "withdraw_after_change", card=card)
        # a new wallet's first days (after a top-up): paying the friends who brought them
        if p.new and (p.friends or p.family):
            for _ in range(rng.randint(1, 4)):
                to = rng.choice(p.friends or p.family)
                self._transfer(p, p.opened_at + rng.randrange(600, 2 * DAY), to, _yuan(rng, 10, 300), "new_wallet")

    def _pin_and_card_events(self, p: Person) -> list[tuple[int, int | None]]:
        """A PIN changed or reset, a new card bound, now and then: (when, new card or None)."""
        rng, out = self.rng, []
        lo = max(p.opened_at + DAY, day_start(-WARMUP_DAYS))
        if lo >= day_start(DAYS):
            return out
        if rng.random() < 0.02:
            when = rng.randrange(lo, day_start(DAYS))
            p.pin_sets.append(when)
            out.append((when, None))
        if rng.random() < 0.03:
            when = rng.randrange(lo, day_start(DAYS))
            card = self._card()
            p.cards.append((card, when))
            out.append((when, card))
        p.pin_sets.sort()
        return out

    def _at(self, day: int, start_hour: float, end_hour: float) -> int:
        return day_start(day) + int(self.rng.uniform(start_hour, end_hour) * 3600)

    def _meals(self, p: Person, day: int, spend: float) -> None:
        rng = self.rng
        for start, end, chance, lo, hi in ((7, 9, 0.5, 4, 20), (11.3, 13.3, 0.8, 12, 45), (17.5, 21, 0.55, 15, 120)):
            if rng.random() < chance:
                self._pay(p, self._at(day, start, end), _fen(rng, lo * spend, hi * spend), "meal")

    def _day_salaried(self, p: Person, day: int) -> None:
        rng, d = self.rng, local_date(day)
        self._meals(p, day, 1.0)
        if rng.random() < 0.35:
            self._pay(p, self._at(day, 9, 22), _fen(rng, 20, 300), "shop")
        if d.weekday() >= 5 and rng.random() < 0.5:
            self._pay(p, self._at(day, 10, 21), _lognormal_fen(rng, 200_00, 0.8, 30_00, 3_000_00), "weekend_shopping")
        if rng.random() < 0.25:
            self._friend_transfer(p, day)
        if rng.random() < 0.04:
            self._aa_payback(p, day)
        if d.day == p.payday:
            if rng.random() < 0.35 and p.family:
                self._transfer(p, self._at(day, 9, 21), rng.choice(p.family), _yuan(rng, 500, 3_000, 100), "payday_home")
            if rng.random() < 0.3:
                self._pay(p, self._at(day, 12, 22), _lognormal_fen(rng, 800_00, 0.6, 200_00, 5_000_00), "payday_shopping")
            if rng.random() < 0.15:
                self._withdraw(p, self._at(day, 9, 22), "payday_withdraw")
        if d.day == 1 and p.landlord:
            self._transfer(p, self._at(day, 8, 22), p.landlord, p.rent, "rent")
        if rng.random() < 0.02:
            self._withdraw(p, self._at(day, 8, 22), "withdraw")
        if rng.random() < 0.04:
            self._group_packet(p, day, 10, 100)

    def _day_student(self, p: Person, day: int) -> None:
        rng = self.rng
        self._meals(p, day, 0.6)
        if rng.random() < 0.5:
            self._pay(p, self._at(day, 14, 23), _fen(rng, 8, 35), "snack")
        if rng.random() < 0.1:
            self._pay(p, self._at(day, 10, 23.5), _lognormal_fen(rng, 120_00, 0.8, 20_00, 1_500_00), "online_shopping")
        if rng.random() < 0.25:
            self._friend_transfer(p, day, hi=200)
        if rng.random() < 0.06:
            self._aa_payback(p, day)
        if rng.random() < 0.05:
            self._group_packet(p, day, 5, 50)
        if rng.random() < 0.004:
            self._withdraw(p, self._at(day, 9, 22), "withdraw", scale=0.2)

    def _day_shopkeeper(self, p: Person, day: int) -> None:
        rng = self.rng
        self._meals(p, day, 0.8)
        if rng.random() < 0.3 and p.suppliers:  # settling up with suppliers, a few in a row
            t = self._at(day, 7, 20)
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
                to = rng.choice(p.suppliers)
                if rng.random() < 0.05:  # a new supplier
                    to = rng.choice([s for s in p.shops if s != p.id] or p.suppliers)
                self._transfer(p, t, to, _round_yuan(_lognormal(rng, 1_500_00, 0.8, 200_00, 10_000_00), 100),
                               "supplier")
                t += rng.randrange(20, 240)
        if rng.random() < 0.35:  # the takings to the card, most evenings
            self._withdraw(p, self._at(day, 20, 23.5), "takings", scale=3.0)
        if rng.random() < 0.05:
            self._group_packet(p, day, 20, 200)

    def _day_red_packet_sender(self, p: Person, day: int) -> None:
        rng = self.rng
        self._meals(p, day, 0.7)
        for _ in range(_poisson(rng, 1.2)):
            self._group_packet(p, day, 5, 200)
        if rng.random() < 0.15 and p.family:
            self._transfer(p, self._at(day, 8, 22), rng.choice(p.family), _yuan(rng, 50, 1_000, 10), "family")
        if rng.random() < 0.15:
            self._friend_transfer(p, day)
        if rng.random() < 0.01:
            self._withdraw(p, self._at(day, 8, 20), "withdraw")

    def _day_light(self, p: Person, day: int) -> None:
        rng = self.rng
        for _ in range(_poisson(rng, 1.0)):
            self._pay(p, self._at(day, 7, 21), _fen(rng, 3, 120), "shop")
        if rng.random() < 0.06:
            self._friend_transfer(p, day)
        if rng.random() < 0.08 and p.family:
            self._transfer(p, self._at(day, 8, 21), rng.choice(p.family), _yuan(rng, 50, 2_000, 10), "family")
        if local_date(day).day == 1 and p.landlord:
            self._transfer(p, self._at(day, 8, 20), p.landlord, p.rent, "rent")
        if rng.random() < 0.01:
            self._withdraw(p, self._at(day, 8, 20), "withdraw")

    def _festival(self, p: Person, day: int) -> None:
        """The week before Spring Festival (gifts, tickets home), its eve and first day (red
        packets into the family group and to each relative, money home; red-packet people send
        a packet after another at the Gala and at midnight)."""
        rng = self.rng
        if FESTIVAL_EVE - 7 <= day < FESTIVAL_EVE and rng.random() < 0.3:
            self._pay(p, self._at(day, 9, 22), _lognormal_fen(rng, 400_00, 0.7, 50_00, 3_000_00), "festival_gifts")
        if day == FESTIVAL_EVE - 3 and p.habit in ("salaried", "student") and rng.random() < 0.2:
            self._pay(p, self._at(day, 8, 22), _fen(rng, 200, 1_200), "ticket_home")
        if day not in (FESTIVAL_EVE, NEW_YEAR):
            return
        eve = day == FESTIVAL_EVE
        if eve and p.habit == "salaried" and p.family and rng.random() < 0.3:
            self._transfer(p, self._at(day, 10, 19), rng.choice(p.family), _yuan(rng, 1_000, 8_000, 100), "festival_home")
        for relative in p.family:
            if rng.random() < (0.5 if eve else 0.25):
                self._exclusive_packet(p, self._at(day, 19, 24), relative)
        heavy = p.habit == "red_packet_sender"
        family_groups = [g for g in p.groups if set(self.groups[g]) & set(p.family)] or p.groups
        if not family_groups:
            return
        count = _poisson(rng, 8 if heavy else 1.2) if eve else _poisson(rng, 3 if heavy else 0.6)
        times = []
        for _ in range(count):
            if eve and rng.random() < 0.5:  # around midnight: a few in a row
                times.append(day_start(day + 1) + int(rng.gauss(0, 240)))
            else:
                times.append(self._at(day, 19.5, 23.8) if eve else self._at(day, 8, 22))
        for t in times:
            self._group_packet(p, day, 6, 200, at=t, group=rng.choice(family_groups), what="festival_packet")

    def _shopping_spree(self, p: Person, day: int) -> None:
        """A mall, a market: a few payments to different shops within minutes."""
        t = self._at(day, 10, 20)
        for _ in range(self.rng.randint(3, 6)):
            self._pay(p, t, _fen(self.rng, 10, 400), "spree")
            t += self.rng.randrange(60, 400)

    def _friend_transfer(self, p: Person, day: int, hi: int = 500) -> None:
        rng = self.rng
        if rng.random() < 0.1 or not p.friends:  # someone met lately: a first payment
            to = rng.choice([o for o in rng.sample(list(self.people), 5) if o != p.id])
            amount = _yuan(rng, 10, hi) if rng.random() < 0.97 else _yuan(rng, 1_000, 4_000, 100)  # a second-hand bike...
            self._transfer(p, self._at(day, 8, 23), to, amount, "new_friend")
        else:
            self._transfer(p, self._at(day, 8, 23), rng.choice(p.friends), _yuan(rng, 10, hi), "friend")

    def _aa_payback(self, p: Person, day: int) -> None:
        """After a trip or a dinner: paying back a few friends in a row."""
        rng = self.rng
        if len(p.friends) < 2:
            return
        t = self._at(day, 19, 23)
        for to in rng.sample(p.friends, min(len(p.friends), rng.randint(2, 5))):
            self._transfer(p, t, to, _yuan(rng, 30, 600), "aa_payback")
            t += rng.randrange(15, 120)

    # --- operations -----------------------------------------------------------------------------

    def _emit(self, p: Person, at: int, kind: str, amount: int, what: str, **kw) -> None:
        if at < p.opened_at + 300 or at >= day_start(DAYS) or amount <= 0:
            return
        rng = self.rng
        wrong = 0
        if rng.random() < PIN_TYPO:
            wrong = rng.choices((1, 2, 3), weights=(80, 17, 3))[0]
        self.ops.append(Op(at=at, payer=p.id, kind=kind, amount=amount, what=what, pin_wrong=wrong, **kw))

    def _pay(self, p: Person, at: int, amount: int, what: str) -> None:
        rng = self.rng
        if not p.shops:
            return
        for _ in range(3):  # mostly a usual shop, sometimes another; a shop not open yet: another
            shop = rng.choice(p.shops) if rng.random() < 0.85 else rng.choice(self.shop_ids)
            if shop != p.id and self.people[shop].opened_at + 600 <= at:
                self._emit(p, at, "pay", amount, what, recipient=shop)
                return

    def _transfer(self, p: Person, at: int, to: int, amount: int, what: str) -> None:
        rng = self.rng
        if to == p.id or self.people[to].opened_at + 600 > at:
            return
        roll = rng.random()
        if roll < 0.04:  # never accepted: refunded after a day
            ends, accepted = at + DAY, False
        elif roll < 0.05:  # returned
            ends, accepted = at + rng.randrange(60, 6 * 3600), False
        else:
            ends, accepted = at + int(rng.expovariate(1 / 1_800)) + 5, True
        self._emit(p, at, "transfer", amount, what, recipient=to, ends_at=ends, accepted=accepted)

    def _withdraw(self, p: Person, at: int, what: str, *, card: int | None = None, scale: float = 1.0) -> None:
        bound = [c for c, when in p.cards if when <= at]
        card = card if card is not None else (bound[-1] if bound else None)
        if card is None:
            return
        amount = _round_yuan(_lognormal(self.rng, 1_500_00 * scale, 0.7, 100_00, 40_000_00), 100)
        self._emit(p, at, "withdraw", amount, what, card=card)

    def _exclusive_packet(self, p: Person, at: int, to: int) -> None:
        if self.people[to].opened_at + 600 > at:
            return
        self._emit(p, at, "red_packet", self.rng.choice((66_00, 88_00, 100_00, 168_00, 200_00)), "festival_exclusive",
                   recipient=to)

    def _group_packet(self, p: Person, day: int, lo: int, hi: int, *, at: int | None = None, group: int | None = None,
                      what: str = "group_packet") -> None:
        rng = self.rng
        group = group if group is not None else (rng.choice(p.groups) if p.groups else None)
        if group is None:
            return
        at = at if at is not None else self._at(day, 7, 23)
        amount = min(RED_PACKET_MAX, _yuan(rng, lo, hi))
        members = [m for m in self.groups[group] if m != p.id]
        shares = min(len(members), rng.randint(2, 12))
        claims = []
        for m in rng.sample(members, len(members)):
            if len(claims) >= shares:
                break
            when = at + 1 + int(rng.expovariate(1 / 600))
            if rng.random() < 0.75 and self.people[m].opened_at + 600 <= when:
                claims.append((when, m))
        self._emit(p, at, "red_packet", amount, what, group=group, claims=tuple(sorted(claims)))


def _poisson(rng: random.Random, mean: float) -> int:
    k, p, limit = 0, rng.random(), math.exp(-mean)
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _lognormal(rng: random.Random, median: float, sigma: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, median * math.exp(rng.gauss(0, sigma))))


def _lognormal_fen(rng: random.Random, median: float, sigma: float, lo: float, hi: float) -> int:
    return int(_lognormal(rng, median, sigma, lo, hi))


def _fen(rng: random.Random, lo_yuan: float, hi_yuan: float) -> int:
    """A shop's price: any fen between the bounds."""
    return int(rng.uniform(lo_yuan, hi_yuan) * 100)


def _yuan(rng: random.Random, lo: int, hi: int, step: int = 1) -> int:
    """An amount people type: whole yuan (a multiple of ``step`` yuan), in fen."""
    return rng.randrange(lo, hi + 1, step) * 100


def _round_yuan(fen: float, step_yuan: int) -> int:
    return max(step_yuan, round(fen / 100 / step_yuan) * step_yuan) * 100
