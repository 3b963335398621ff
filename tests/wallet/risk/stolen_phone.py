"""A stolen phone at engine level (issue 24): a thief who knows the PIN and changes nothing (no
new card, no PIN change, no wrong PIN) takes a person of the simulated town (``lifesim``) at the
end of their 30 days and tries to move everything out: many small payments, then a few large
ones, every one to someone the person never paid (new wallets and new shop codes of the thief's).

Each attempt goes through ``engine.decide`` on the facts of the person's own history plus what
the thief moved so far (``memfacts``). How the thief fares (as wallet/risk/guard.py acts):
- allow: the money is gone;
- ask: an SMS code is needed on top of the PIN. The person noticed and had the SIM blocked, so
  the thief has no code: nothing moves and the thief tries the next payment. With ``codes`` the
  SIM still works and the thief types the code: the money is gone;
- hold: a transfer waits in escrow (it has left the wallet, it has not reached the thief); a shop
  payment cannot wait in review and is refused: nothing moves;
- freeze: the account is frozen; nothing more moves.
The thief never spends more than the wallet holds (the wallet refuses that before the engine).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace

from tests.wallet.risk.lifesim import DAY, DAYS, Op, Person, Town, day_start
from tests.wallet.risk.memfacts import HELD, POSTED, History, Outcome, honest, replay
from wallet.risk.engine import Decision, decide
from wallet.risk.settings import RiskSettings

FIRST_MULE = 900_000  # ids of the thief's wallets, out of the town's range


@dataclass(frozen=True)
class Theft:
    victim: int
    habit: str
    start_balance: int
    moved: int  # reached the thief
    held: int  # waits in escrow
    outcomes: tuple[Outcome, ...]  # the thief's attempts, in order
    codes: bool = False  # the thief had the SMS codes

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(o.decision.action for o in self.outcomes)

    @property
    def left(self) -> int:
        return self.start_balance - self.moved - self.held

    @property
    def kept_percent(self) -> float:
        """What the person still has (in the wallet or in escrow), percent of the start."""
        return 100 * (self.left + self.held) / self.start_balance


def victims(town: Town, rng: random.Random) -> list[Person]:
    """One person of each habit, with a wallet older than the simulated months."""
    chosen = []
    for habit in sorted({p.habit for p in town.people.values()}):
        pool = [p for p in town.people.values() if p.habit == habit and not p.new]
        chosen.append(rng.choice(pool))
    return chosen


def steal(town: Town, settings: RiskSettings, victim: Person, *, balance: int, seed: int,
          small: tuple[int, int] = (50_00, 500_00), smalls: tuple[int, int] = (12, 24),
          larges: tuple[int, int] = (2, 4), pace: tuple[int, int] = (8, 40), shop_share: float = 0.0,
          codes: bool = False) -> Theft:
    """The thief takes ``victim``'s phone on the last simulated day with ``balance`` fen in the
    wallet: ``smalls`` payments of ``small`` fen (bounds), ``pace`` seconds apart, then ``larges``
    payments each of an even part of what is left; every one to a new wallet of the thief's, a
    transfer or (``shop_share`` of them) a payment to a shop code. ``codes``: the thief gets the
    SMS codes."""
    rng = random.Random(seed)
    stolen_at = day_start(DAYS - 1) + rng.randrange(9 * 3600, 21 * 3600)
    mules: dict[int, Person] = {}

    def mule() -> int:
        mid = FIRST_MULE + len(mules)
        # bought or rented accounts: some opened days ago, some years ago
        opened = stolen_at - rng.choice((2, 5, 30, 400)) * DAY
        mules[mid] = Person(mid, "mule", opened)
        return mid

    town = replace(town, people={**town.people})
    # the person's own life until the theft (only theirs: the facts of their payments read
    # nobody else's, but for a new recipient's other payers, which the thief's never have)
    history = History(town, settings)
    own = [op for op in town.ops if op.payer == victim.id and op.at < stolen_at]
    for _ in replay(town, lambda f: decide(f, settings), settings, ops=own, history=history):
        pass
    balance_left, moved, held, outcomes = balance, 0, 0, []
    t = stolen_at

    def attempt(amount: int) -> Decision | None:
        nonlocal balance_left, moved, held, t
        if amount <= 0 or amount > balance_left:
            return None
        t += rng.randrange(*pace)
        kind = "pay" if rng.random() < shop_share else "transfer"
        op = Op(at=t, payer=victim.id, kind=kind, amount=amount, what="thief", recipient=mule(),
                ends_at=t + 60, accepted=True)
        town.people.update(mules)
        facts = history.facts(op)
        d = decide(facts, settings)
        outcomes.append(Outcome(op, facts, d))
        became = POSTED if codes and d.action == "ask" else honest(op, d) if d.action != "ask" else None
        if became is not None:
            history.post(op, held=became == HELD)
            balance_left -= amount
            if became == POSTED:
                moved += amount
            else:
                held += amount
        return d

    for _ in range(rng.randint(*smalls)):
        d = attempt(rng.randrange(small[0], small[1] + 1, 100))
        if d is not None and d.action == "freeze":
            break
    else:
        count = rng.randint(*larges)
        for i in range(count):
            d = attempt(balance_left // (count - i) // 100 * 100)
            if d is not None and d.action == "freeze":
                break
    return Theft(victim.id, victim.habit, balance, moved, held, tuple(outcomes), codes)
