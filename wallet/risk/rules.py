"""The risk rules: one pure function each, ``(facts, settings) -> Fired | None``. A rule that fires
says its weight and the inputs it looked at (JSON-ready: numbers, strings, booleans, None), so
the stored decision answers "why". Integer arithmetic only: amounts are fen, shares percent.

Each rule's thresholds are in wallet/risk/settings.toml under the section of its name."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from wallet.risk.facts import Facts
from wallet.risk.settings import RiskSettings, Tiered


@dataclass(frozen=True)
class Fired:
    """A rule that fired: its name, the weight it adds to the score and what it saw.
    ``floor``: the least action it demands whatever the score (the person's own settings);
    ``delay_seconds``: how long the money waits before it arrives (0: no wait)."""
    rule: str
    weight: int
    inputs: dict = field(default_factory=dict)
    floor: str | None = None
    delay_seconds: int = 0


def _seconds(facts: Facts, when) -> int | None:
    since = facts.seconds_since(when)
    return None if since is None else int(since)


def _tiered(rule: str, value: int, tier: Tiered, inputs: dict) -> Fired | None:
    if value <= tier.over:
        return None
    severe = value > tier.severe_over
    return Fired(rule, tier.severe_weight if severe else tier.weight,
                 {**inputs, "over": tier.over, "severe_over": tier.severe_over, "severe": severe})


def velocity_count(facts: Facts, settings: RiskSettings) -> Fired | None:
    """More than N outgoing operations (this one included) within the velocity window."""
    count = facts.recent_count + 1
    return _tiered("velocity_count", count, settings.velocity.count,
                   {"count": count, "window_seconds": settings.velocity.window_seconds})


def velocity_amount(facts: Facts, settings: RiskSettings) -> Fired | None:
    """More than ¥X out (this operation included) within the velocity window."""
    total = facts.recent_sum + facts.amount
    return _tiered("velocity_amount", total, settings.velocity.amount,
                   {"total": total, "amount": facts.amount, "window_seconds": settings.velocity.window_seconds})


def above_pattern(facts: Facts, settings: RiskSettings) -> Fired | None:
    """An amount far above the payer's own pattern: above the period's largest operation and at
    least factor_percent % of its mean, given enough history to compare with."""
    p = settings.pattern
    if facts.period_count < p.min_history or facts.amount < p.min_amount or facts.amount <= facts.period_max:
        return None
    # amount >= factor × mean  <=>  amount × 100 × count >= factor_percent × sum
    if facts.amount * 100 * facts.period_count < p.factor_percent * facts.period_sum:
        return None
    return Fired("above_pattern", p.weight, {
        "amount": facts.amount, "period_count": facts.period_count, "period_mean": facts.period_sum // facts.period_count,
        "period_max": facts.period_max, "factor_percent": p.factor_percent, "days": p.days})


def new_recipient(facts: Facts, settings: RiskSettings) -> Fired | None:
    """A large first payment to someone the payer never paid before."""
    r = settings.new_recipient
    if facts.kind not in r.kinds or facts.recipient_id is None or facts.paid_recipient_before is not False:
        return None
    if facts.amount < r.min_amount:
        return None
    return Fired("new_recipient", r.weight,
                 {"recipient_id": facts.recipient_id, "amount": facts.amount, "min_amount": r.min_amount})


def fresh_credentials(facts: Facts, settings: RiskSettings) -> Fired | None:
    """A withdrawal to a card bound less than the window ago, or within the window of the PIN
    being set (changed or reset)."""
    r = settings.fresh_credentials
    if facts.kind not in r.kinds:
        return None
    card_age, pin_age = _seconds(facts, facts.card_bound_at), _seconds(facts, facts.pin_set_at)
    fresh_card = card_age is not None and card_age < r.window_seconds
    fresh_pin = pin_age is not None and pin_age < r.window_seconds
    if not (fresh_card or fresh_pin):
        return None
    return Fired("fresh_credentials", r.weight, {
        "card_id": facts.card_id, "card_bound_seconds_ago": card_age, "pin_set_seconds_ago": pin_age,
        "fresh_card": fresh_card, "fresh_pin": fresh_pin, "window_seconds": r.window_seconds})


def pin_guessing(facts: Facts, settings: RiskSettings) -> Fired | None:
    """Wrong PINs followed by a right one a moment ago, then a large payment."""
    r = settings.pin_guessing
    since = _seconds(facts, facts.pin_right_after_wrong_at)
    if facts.pin_wrong_before_right < r.min_wrong or since is None or not 0 <= since < r.window_seconds:
        return None
    if facts.amount < r.min_amount:
        return None
    return Fired("pin_guessing", r.weight, {
        "wrong_tries": facts.pin_wrong_before_right, "right_seconds_ago": since, "amount": facts.amount,
        "min_wrong": r.min_wrong, "min_amount": r.min_amount})


def red_packet_farming(facts: Facts, settings: RiskSettings) -> Fired | None:
    """A red packet into a group whose recent packets were claimed mostly by wallets opened in
    the last day."""
    r = settings.red_packet_farming
    if facts.kind != "red_packet" or facts.group_chat_id is None or facts.group_claims < r.min_claims:
        return None
    if facts.group_new_claims * 100 < r.share_percent * facts.group_claims:
        return None
    return Fired("red_packet_farming", r.weight, {
        "group_chat_id": facts.group_chat_id, "claims": facts.group_claims, "new_wallet_claims": facts.group_new_claims,
        "share_percent": r.share_percent, "window_seconds": r.window_seconds})


def collection(facts: Facts, settings: RiskSettings) -> Fired | None:
    """Many wallets paying one new recipient in a short time (a scam collection account)."""
    r = settings.collection
    if facts.kind not in r.kinds or facts.recipient_recent_payers is None:
        return None
    payers = facts.recipient_recent_payers + 1  # this payer too
    if payers < r.min_payers:
        return None
    return Fired("collection", r.weight, {
        "recipient_id": facts.recipient_id, "payers": payers, "recipient_age_seconds":
        _seconds(facts, facts.recipient_opened_at), "min_payers": r.min_payers, "window_seconds": r.window_seconds})


Rule = Callable[[Facts, RiskSettings], "Fired | None"]
RULES: tuple[Rule, ...] = (velocity_count, velocity_amount, above_pattern, new_recipient, fresh_credentials,
                           pin_guessing, red_packet_farming, collection)
