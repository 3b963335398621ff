"""The ``Facts`` of an operation computed from a history held in memory, as
``wallet.risk.facts.gather`` reads them from the database (no database: a simulated town of a
thousand people over two months replays in seconds), and ``replay``, which feeds a town's
operations one by one, in time order, through the engine.

What ``gather`` reads and how it is mirrored here (see facts.py):
- the payer's outgoing operations (journal kinds ``OUT_KINDS`` on their wallet): each operation
  that went through adds one (a withdrawal: its amount and fee, as ``withdraw_hold`` posts);
  ``recent_*`` over ``created_at >= now - velocity.window_seconds``, ``period_*`` over
  ``>= now - pattern.days``; the operation being decided is not in them yet; a payment held for
  review (``risk_hold``) counts in ``recent_*`` only;
- "paid before": any earlier outgoing operation whose counterparty is the recipient, over the
  whole history (a transfer's recipient, a shop's owner, an exclusive red packet's person; not a
  held payment), and what was paid before the simulated months (``Person.paid_long_ago``);
- the PIN: the latest time it was set, and the latest right PIN that ended a run of wrong tries
  (the PIN check runs before the operation's transaction, so an operation typed with a wrong
  PIN first sees its own right PIN, 0 seconds ago);
- a new recipient's payers: other wallets with a transfer to them still pending that was made in
  the window, a transfer to them accepted in the window, or a shop payment to them in the window;
- a group's claims: the claims made so far of the group's packets sent in the farming window,
  and how many of them by wallets opened less than ``new_wallet_seconds`` ago (ago from now).
A claim or a transfer's end in the same second as an operation comes after it.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from tests.wallet.risk.lifesim import TZ_NAME, Op, Person, Town
from wallet.fees import quote
from wallet.risk.engine import Decision
from wallet.risk.facts import Facts
from wallet.risk.settings import RiskSettings
from wallet.rules import Rules

FEES = Rules()


def utc(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc)


class _Window:
    """Outgoing amounts in time order: how many and how much since a time, and the largest."""
    __slots__ = ("times", "sums", "maxes")

    def __init__(self):
        self.times: list[int] = []
        self.sums: list[int] = [0]  # prefix sums of the amounts
        self.maxes: deque[tuple[int, int]] = deque()  # (time, amount), amounts decreasing: the window's max

    def add(self, at: int, amount: int) -> None:
        self.times.append(at)
        self.sums.append(self.sums[-1] + amount)
        while self.maxes and self.maxes[-1][1] <= amount:
            self.maxes.pop()
        self.maxes.append((at, amount))

    def since(self, start: int) -> tuple[int, int]:
        i = bisect_left(self.times, start)
        return len(self.times) - i, self.sums[-1] - self.sums[i]

    def max_since(self, start: int) -> int:
        """The largest amount at or after ``start`` (``start`` only grows from call to call)."""
        while self.maxes and self.maxes[0][0] < start:
            self.maxes.popleft()
        return self.maxes[0][1] if self.maxes else 0


class _Payer:
    """One person's outgoing operations that went through: ``out`` all of them, held payments
    too (the velocity window); ``own`` what they paid themselves (the pattern, "paid before")."""
    __slots__ = ("out", "own", "paid", "free_used", "wrong", "right_at")

    def __init__(self, person: Person):
        self.out, self.own = _Window(), _Window()
        self.paid: set[int] = set(person.paid_long_ago)
        self.free_used = person.free_used
        self.wrong, self.right_at = 0, None


class History:
    """What the database holds about a town's money going out, built as operations go through."""

    def __init__(self, town: Town, settings: RiskSettings):
        self.s = settings
        self.people = town.people
        self.payers = {pid: _Payer(p) for pid, p in town.people.items()}
        self.arrivals: dict[int, list[tuple[int, int, int, bool]]] = {}  # recipient: (at, payer, ends_at, transfer)
        self.packets: dict[int, list[Op]] = {}  # group: its packets, in time order

    def pin_typed(self, op: Op) -> None:
        """The PIN check before the operation: a right PIN after wrong ones is remembered."""
        if op.pin_wrong:
            payer = self.payers[op.payer]
            payer.wrong, payer.right_at = op.pin_wrong, op.at

    def facts(self, op: Op) -> Facts:
        s, now, person, payer = self.s, op.at, self.people[op.payer], self.payers[op.payer]
        recent_count, recent_sum = payer.out.since(now - s.velocity.window_seconds)
        period_start = now - s.pattern.days * 86_400
        period_count, period_sum = payer.own.since(period_start)
        kw = {}
        recipient = op.recipient if op.recipient != op.payer else None
        if recipient is not None:
            opened = self.people[recipient].opened_at
            kw.update(recipient_id=recipient, paid_recipient_before=recipient in payer.paid,
                      recipient_opened_at=utc(opened),
                      recipient_recent_payers=self._payers_of(recipient, op.payer, now)
                      if opened >= now - s.collection.new_wallet_seconds else None)
        if op.card is not None:
            bound = [when for card, when in person.cards if card == op.card and when <= now]
            kw.update(card_id=op.card, card_bound_at=utc(bound[0]) if bound else None)
        if op.group is not None:
            claims, new = self._claims(op.group, now)
            kw.update(group_chat_id=op.group, group_claims=claims, group_new_claims=new)
        return Facts(
            payer_id=op.payer, kind=op.kind, amount=op.amount, now=utc(now), payer_opened_at=utc(person.opened_at),
            payer_timezone=TZ_NAME, recent_count=recent_count, recent_sum=recent_sum, period_count=period_count,
            period_sum=period_sum, period_max=payer.own.max_since(period_start),
            pin_set_at=utc(max((t for t in person.pin_sets if t <= now), default=None)),
            pin_wrong_before_right=payer.wrong, pin_right_after_wrong_at=utc(payer.right_at), **kw)

    def post(self, op: Op, *, held: bool = False) -> None:
        """The operation went through: its money left the payer's wallet. ``held``: for review
        (journal kind ``risk_hold``): it counts in the velocity window only, and nothing of it
        reaches the recipient (no transfer is made until it is released)."""
        payer = self.payers[op.payer]
        if held:
            payer.out.add(op.at, op.amount)
            return
        amount = op.amount
        if op.kind == "withdraw":
            q = quote(FEES, op.amount, payer.free_used)
            payer.free_used += q.free_used
            amount = q.total
        payer.out.add(op.at, amount)
        payer.own.add(op.at, amount)
        if op.recipient is not None and op.recipient != op.payer:
            payer.paid.add(op.recipient)
        if op.kind == "transfer":
            self.arrivals.setdefault(op.recipient, []).append((op.at, op.payer, op.ends_at, op.accepted))
        elif op.kind == "pay":
            self.arrivals.setdefault(op.recipient, []).append((op.at, op.payer, op.at, True))
        elif op.group is not None:
            self.packets.setdefault(op.group, []).append(op)

    def _payers_of(self, recipient: int, payer: int, now: int) -> int:
        since, seen = now - self.s.collection.window_seconds, set()
        for at, who, ends_at, accepted in self.arrivals.get(recipient, ()):
            pending = since <= at and ends_at >= now
            arrived = accepted and since <= ends_at < now
            if (pending or arrived) and who != payer:
                seen.add(who)
        return len(seen)

    def _claims(self, group: int, now: int) -> tuple[int, int]:
        r = self.s.red_packet_farming
        since, new_since = now - r.window_seconds, now - r.new_wallet_seconds
        claims = new = 0
        for packet in reversed(self.packets.get(group, ())):
            if packet.at < since:
                break
            for at, who in packet.claims:
                if at < now:
                    claims += 1
                    new += self.people[who].opened_at >= new_since
        return claims, new


@dataclass(frozen=True, slots=True)
class Outcome:
    op: Op
    facts: Facts | None  # None: not decided (the payer's account was frozen before)
    decision: Decision | None


Decide = Callable[[Facts], Decision]
POSTED, HELD = "posted", "held"


def honest(op: Op, decision: Decision) -> str | None:
    """What becomes of an honest person's operation (as wallet/risk/guard.py does it): allowed,
    or asked again and the SMS code typed: ``POSTED``; held: a transfer waits in escrow
    (``HELD``), any other kind cannot wait in review and is refused; refused or frozen: nothing
    moves (None)."""
    if decision.action in ("allow", "ask"):
        return POSTED
    if decision.action == "hold" and op.kind == "transfer":
        return HELD
    return None


def replay(town: Town, decide: Decide, settings: RiskSettings, *, ops: list[Op] | None = None,
           then: Callable[[Op, Decision], str | None] = honest, history: History | None = None) -> Iterator[Outcome]:
    """Feed ``ops`` (the town's, by default), in time order, through ``decide``: the history
    before the measured days goes through undecided; each measured operation is decided on the
    facts of what went through before it, and ``then`` says what became of it (``POSTED``,
    ``HELD`` or None). A frozen payer's later operations are not decided. ``history``: the one to
    build on (a caller that goes on from there), else a new one."""
    history, frozen = history or History(town, settings), set()
    for op in ops if ops is not None else town.ops:
        if not op.measured:
            history.pin_typed(op)
            history.post(op)
            continue
        if op.payer in frozen:
            yield Outcome(op, None, None)
            continue
        history.pin_typed(op)
        facts = history.facts(op)
        decision = decide(facts)
        became = then(op, decision)
        if became is not None:
            history.post(op, held=became == HELD)
        if decision.action == "freeze":
            frozen.add(op.payer)
        yield Outcome(op, facts, decision)
