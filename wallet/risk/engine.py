"""The decision: every rule and every anti-theft setting over the facts of one operation, their
weights summed into a score, the score mapped to an action by the thresholds.

Actions, weakest first: ``allow``; ``ask`` (ask again: an SMS code on top of the PIN); ``hold``
(the money waits in escrow for review); ``refuse`` (nothing moves: the person's own night lock);
``freeze`` (the account is frozen at once). The action is the stronger of what the score reaches
and the strongest ``floor`` a fired rule demands, so adding a fired rule never weakens it."""
from __future__ import annotations

from dataclasses import dataclass

from wallet.risk.facts import Facts
from wallet.risk.prefs import PREF_RULES, Prefs, pin_may_be_skipped  # noqa: F401 (Prefs: part of the API)
from wallet.risk.rules import RULES, Fired
from wallet.risk.settings import RiskSettings, Thresholds

ACTIONS = ("allow", "ask", "hold", "refuse", "freeze")
_RANK = {a: i for i, a in enumerate(ACTIONS)}


@dataclass(frozen=True)
class Decision:
    """``delay_seconds``: how long the money waits before it arrives (an allowed or asked
    operation only). ``pin_optional``: the person's no-PIN setting covers it and nothing fired."""
    action: str
    score: int
    fired: tuple[Fired, ...] = ()
    delay_seconds: int = 0
    pin_optional: bool = False

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.fired)


def stronger(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def action_for(score: int, thresholds: Thresholds) -> str:
    if score >= thresholds.freeze:
        return "freeze"
    if score >= thresholds.hold:
        return "hold"
    if score >= thresholds.ask:
        return "ask"
    return "allow"


def combine(fired, settings: RiskSettings) -> Decision:
    """The decision for these fired rules: the summed weights through the thresholds, raised to
    the strongest floor; the longest delay, kept only when the money moves (allow or ask)."""
    fired = tuple(fired)
    score = sum(f.weight for f in fired)
    action = action_for(score, settings.thresholds)
    for f in fired:
        if f.floor is not None:
            action = stronger(action, f.floor)
    delay = max((f.delay_seconds for f in fired), default=0) if action in ("allow", "ask") else 0
    return Decision(action=action, score=score, fired=fired, delay_seconds=delay)


def evaluate(facts: Facts, settings: RiskSettings, prefs: Prefs | None = None) -> tuple[Fired, ...]:
    """Every rule and anti-theft setting that fires on these facts, in a fixed order."""
    prefs = prefs or Prefs()
    found = [rule(facts, settings) for rule in RULES]
    found += [rule(facts, settings, prefs) for rule in PREF_RULES]
    return tuple(f for f in found if f is not None)


def decide(facts: Facts, settings: RiskSettings, prefs: Prefs | None = None) -> Decision:
    prefs = prefs or Prefs()
    decision = combine(evaluate(facts, settings, prefs), settings)
    if not decision.fired and pin_may_be_skipped(facts, settings, prefs):
        return Decision(action=decision.action, score=decision.score, pin_optional=True)
    return decision
