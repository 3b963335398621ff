"""A stolen phone at engine level (issue 24, ``stolen_phone``): the thief knows the PIN, changes
nothing and tries to move everything out of a ¥20,000 wallet in many small and then a few large
transfers to new recipients, one every 5–20 seconds. Each attempt is decided with the shipped
settings on the victim's own 30 days of life (``lifesim``) and what the thief moved so far, and
acted on as wallet/risk/guard.py does. The engine asks again, then holds, then freezes; the money
left plus what is held is at least 90 % of the start. A victim of each habit, several thieves each.
Also: more money; a thief who pays shop codes too (a hold cannot keep those: they are refused);
a thief who has the SMS codes (the SIM still works), as in tests/e2e/test_risk_stolen_phone.py.

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
SMALL = (50_00, 500_00)  # the thief's small payments, fen
FAST = (5, 20)  # seconds between two attempts
THIEVES = range(4)
KEPT_AT_LEAST = 90.0
LETTER = {"allow": ".", "ask": "a", "hold": "h", "refuse": "r", "freeze": "f"}


def thefts(balance: int = BALANCE, pace: tuple[int, int] = FAST, thieves=THIEVES, **kw) -> list[Theft]:
    town = lifesim.town(SEED)
    return [steal(town, S, victim, balance=balance, seed=thief * 1_000 + victim.id, small=SMALL, pace=pace, **kw)
            for thief in thieves for victim in victims(town, random.Random(thief))]


def letters(t: Theft) -> str:
    return "".join(LETTER[a] for a in t.actions)


def line(t: Theft) -> str:
    return (f"{t.habit:18s} ¥{t.start_balance // 100:,}: moved ¥{t.moved / 100:,.2f}, held ¥{t.held / 100:,.2f}, "
            f"kept {t.kept_percent:.1f} %  {letters(t)}")


def in_order(t: Theft) -> bool:
    """Asked again, then held, then frozen (and nothing after the freeze)."""
    a = t.actions
    return a[-1] == "freeze" and "ask" in a and "hold" in a and a.index("ask") < a.index("hold") < len(a) - 1


@pytest.fixture(scope="module")
def fast_thefts() -> list[Theft]:
    return thefts()


def test_the_thief_is_asked_again_then_held_then_frozen(fast_thefts, capsys):
    with capsys.disabled():
        kept = sorted(t.kept_percent for t in fast_thefts)
        print(f"\nstolen phone (¥{BALANCE // 100:,}, {len(fast_thefts)} thefts): kept (left + held) at least "
              f"{kept[0]:.1f} %, median {kept[len(kept) // 2]:.1f} %")
    for t in fast_thefts:
        print(line(t))
    for t in fast_thefts:
        assert in_order(t) and t.actions.count("freeze") == 1, line(t)
        assert set(t.actions[:t.actions.index("ask")]) <= {"allow"}, line(t)  # nothing stronger before
        assert t.kept_percent >= KEPT_AT_LEAST, line(t)


def test_what_is_asked_again_moves_nothing_and_what_is_held_waits(fast_thefts):
    for t in fast_thefts:
        moved = sum(o.op.amount for o in t.outcomes if o.decision.action == "allow")
        held = sum(o.op.amount for o in t.outcomes if o.decision.action == "hold")
        assert (t.moved, t.held) == (moved, held)
        assert t.left == BALANCE - moved - held >= 0


def test_with_more_money_the_thief_is_frozen_as_soon():
    """¥50,000: the first large transfer may already freeze (no hold before it); still frozen,
    and still at least 90 % kept."""
    for t in thefts(balance=50_000_00):
        print(line(t))
        assert t.actions[-1] == "freeze" and "ask" in t.actions, line(t)
        assert t.kept_percent >= KEPT_AT_LEAST, line(t)


def test_a_thief_paying_shop_codes_too():
    """Three in ten attempts pay a shop code of the thief's: a hold cannot keep a shop payment,
    so it is refused and leaves nothing in the facts (the thief may then only ever be refused,
    never frozen). Still at least 90 % kept, and nothing gets away once the engine first held."""
    for t in thefts(shop_share=0.3):
        print(line(t))
        assert t.kept_percent >= KEPT_AT_LEAST, line(t)
        assert "allow" not in t.actions[t.actions.index("hold"):], line(t)
        assert t.held == sum(o.op.amount for o in t.outcomes if o.decision.action == "hold" and o.op.kind == "transfer")


def test_a_thief_with_the_sms_codes():
    """The SIM still works: asked again, the thief types the code and the money moves. The count
    then holds the next one, and the large ones freeze: what gets away is at most the small
    payments up to the first hold (velocity.count.severe_over of them, ¥500 at most each; on
    ¥20,000 that is 87.5 %, not the 90 % of the issue, for the unluckiest thief)."""
    at_most = S.velocity.count.severe_over * SMALL[1]
    for t in thefts(codes=True):
        print(line(t))
        assert in_order(t), line(t)
        assert t.moved <= at_most, line(t)


def main() -> None:
    """The table of bench/notes/60-risk-normal-life.md: how thieves fare with three balances
    (100 thefts each), with the shipped settings."""
    print("| thief | seconds between attempts | balance | kept: least | median | kept ≥ 90 % "
          "| asked, held, frozen in order | ended frozen / held / asked |\n|---|---|---|---|---|---|---|---|")
    for name, kw in (("transfers", {}), ("with the SMS codes", {"codes": True}), ("30 % shop codes", {"shop_share": 0.3})):
        for pace in (FAST, (20, 60)):
            for balance in (10_000_00, BALANCE, 50_000_00):
                ts = thefts(balance, pace, range(20), **kw)
                kept = sorted(t.kept_percent for t in ts)
                ends = {e: sum(letters(t)[-1] == LETTER[e] for t in ts) for e in ("freeze", "hold", "ask")}
                print(f"| {name} | {pace[0]}–{pace[1]} | ¥{balance // 100:,} | {kept[0]:.1f} % | "
                      f"{kept[len(kept) // 2]:.1f} % | {sum(k >= KEPT_AT_LEAST for k in kept)}/{len(ts)} | "
                      f"{sum(map(in_order, ts))}/{len(ts)} | {ends['freeze']} / {ends['hold']} / {ends['ask']} |")


if __name__ == "__main__":
    main()
