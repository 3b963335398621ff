"""A stolen phone at engine level (issue 24, ``stolen_phone``): the thief knows the PIN, changes
nothing and tries to move everything out of a ¥20,000 wallet in many small and then a few large
payments to new recipients, one every 5–20 seconds. Each attempt is decided with the shipped
settings on the victim's own 30 days of life (``lifesim``) and what the thief moved so far.
The engine asks again, then holds, then freezes; the money left plus what is held is at least
90 % of the start. A victim of each habit, several thieves each.

    .venv/bin/python -m pytest tests/wallet/risk/test_stolen_phone_engine.py -s
    .venv/bin/python -m tests.wallet.risk.test_stolen_phone_engine   # the note's table
"""
from __future__ import annotations

import random

import pytest

from tests.wallet.risk import lifesim
from tests.wallet.risk.stolen_phone import Theft, steal, victims
from wallet.risk.settings import load

S = load()
SEED = 2027  # the town's, as in test_normal_life
BALANCE = 20_000_00
FAST = (5, 20)  # seconds between two attempts
THIEVES = range(4)
KEPT_AT_LEAST = 90.0
LETTER = {"allow": ".", "ask": "a", "hold": "h", "refuse": "r", "freeze": "f"}


def thefts(balance: int = BALANCE, pace: tuple[int, int] = FAST, thieves=THIEVES) -> list[Theft]:
    town = lifesim.town(SEED)
    return [steal(town, S, victim, balance=balance, seed=thief * 1_000 + victim.id, pace=pace)
            for thief in thieves for victim in victims(town, random.Random(thief))]


def line(t: Theft) -> str:
    return (f"{t.habit:18s} ¥{t.start_balance // 100:,}: moved ¥{t.moved / 100:,.2f}, held ¥{t.held / 100:,.2f}, "
            f"kept {t.kept_percent:.1f} %  {''.join(LETTER[a] for a in t.actions)}")


@pytest.fixture(scope="module")
def fast_thefts() -> list[Theft]:
    return thefts()


def test_the_thief_is_asked_again_then_held_then_frozen(fast_thefts, capsys):
    with capsys.disabled():
        kept = [t.kept_percent for t in fast_thefts]
        print(f"\nstolen phone (¥{BALANCE // 100:,}, {len(fast_thefts)} thefts): kept (left + held) at least "
              f"{min(kept):.1f} %, median {sorted(kept)[len(kept) // 2]:.1f} %")
    for t in fast_thefts:
        print(line(t))
    for t in fast_thefts:
        actions = t.actions
        assert actions[-1] == "freeze" and actions.count("freeze") == 1, line(t)  # frozen: nothing after
        first_ask, first_hold = actions.index("ask"), actions.index("hold")
        assert first_ask < first_hold < len(actions) - 1, line(t)
        assert set(actions[:first_ask]) <= {"allow"}, line(t)  # nothing stronger before the first ask
        assert t.kept_percent >= KEPT_AT_LEAST, line(t)


def test_what_is_asked_again_moves_nothing_and_what_is_held_waits(fast_thefts):
    for t in fast_thefts:
        moved = sum(o.op.amount for o in t.outcomes if o.decision.action == "allow")
        held = sum(o.op.amount for o in t.outcomes if o.decision.action == "hold")
        assert (t.moved, t.held) == (moved, held)
        assert t.left == BALANCE - moved - held >= 0


def test_with_more_money_the_thief_is_frozen_as_soon(capsys):
    """¥50,000: the first large payment may already freeze (no hold before it); still frozen, and
    still at least 90 % kept."""
    for t in thefts(balance=50_000_00):
        print(line(t))
        assert t.actions[-1] == "freeze" and "ask" in t.actions, line(t)
        assert t.kept_percent >= KEPT_AT_LEAST, line(t)


def main() -> None:
    """The table of bench/notes/60-risk-normal-life.md: how thieves of three paces fare with three
    balances (20 thefts each), with the shipped settings."""
    print("| seconds between attempts | balance | kept: least | median | kept ≥ 90 % "
          "| asked, held, frozen in order | ended frozen / held / asked |\n|---|---|---|---|---|---|---|")
    for pace in (FAST, (8, 40), (20, 60)):
        for balance in (10_000_00, BALANCE, 50_000_00):
            ts = thefts(balance, pace, range(20))
            kept = sorted(t.kept_percent for t in ts)
            seqs = ["".join(LETTER[a] for a in t.actions) for t in ts]
            ordered = sum("a" in s and "h" in s and "f" in s and s.index("a") < s.index("h") < s.index("f") for s in seqs)
            ends = {e: sum(s[-1] == LETTER[e] for s in seqs) for e in ("freeze", "hold", "ask")}
            print(f"| {pace[0]}–{pace[1]} | ¥{balance // 100:,} | {kept[0]:.1f} % | {kept[len(kept) // 2]:.1f} % | "
                  f"{sum(k >= KEPT_AT_LEAST for k in kept)}/{len(ts)} | {ordered}/{len(ts)} | "
                  f"{ends['freeze']} / {ends['hold']} / {ends['ask']} |")


if __name__ == "__main__":
    main()
