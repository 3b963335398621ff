"""The engine: thresholds, floors and delays, the person's anti-theft settings, and two
properties (adding a fired rule never weakens a decision; a larger amount never weakens it)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.wallet.risk.cases import NOW, SETTINGS as S, ago, quiet
from wallet.risk.engine import ACTIONS, Prefs, action_for, combine, decide
from wallet.risk.rules import Fired

T = S.thresholds
RANK = {a: i for i, a in enumerate(ACTIONS)}


@pytest.mark.parametrize(("score", "action"), [
    (0, "allow"), (T.ask - 1, "allow"), (T.ask, "ask"), (T.hold - 1, "ask"), (T.hold, "hold"),
    (T.freeze - 1, "hold"), (T.freeze, "freeze"), (10 * T.freeze, "freeze"),
])
def test_thresholds(score, action):
    assert action_for(score, T) == action
    d = combine([Fired("a", score)], S)
    assert (d.action, d.score) == (action, score)


def test_weights_are_summed():
    d = combine([Fired("a", T.ask - 1), Fired("b", 1)], S)
    assert (d.action, d.score, d.rules) == ("ask", T.ask, ("a", "b"))


def test_a_floor_raises_the_action_but_never_lowers_it():
    assert combine([Fired("p", 0, floor="ask")], S).action == "ask"
    assert combine([Fired("p", 0, floor="refuse"), Fired("a", T.hold)], S).action == "refuse"
    assert combine([Fired("p", 0, floor="ask"), Fired("a", T.freeze)], S).action == "freeze"


def test_a_delay_is_kept_only_while_the_money_moves():
    delay = Fired("p", 0, delay_seconds=7_200)
    assert combine([delay], S).delay_seconds == 7_200
    assert combine([delay, Fired("a", T.ask)], S).delay_seconds == 7_200
    assert combine([delay, Fired("a", T.hold)], S).delay_seconds == 0


def test_the_real_rules_escalate_a_stolen_phone():
    """Many quick payments, then large ones: ask, then hold, then freeze."""
    v = S.velocity
    steps = [
        quiet(recent_count=v.count.over),  # one more than allowed in the window
        quiet(recent_count=v.count.severe_over),
        quiet(recent_count=v.count.severe_over, recent_sum=v.amount.severe_over),
    ]
    assert [decide(f, S).action for f in steps] == ["ask", "hold", "freeze"]


# --- the person's own settings (防盗设置) ----------------------------------------------------------

def test_all_settings_off_by_default():
    d = decide(quiet(amount=10**9, kind="withdraw", paid_recipient_before=False), S, Prefs())
    assert not {"pref_sms_above", "pref_night_lock", "pref_new_recipient_delay"} & set(d.rules)
    assert d.delay_seconds == 0 and not d.pin_optional


def test_sms_above_asks_again_above_the_amount_only():
    assert decide(quiet(amount=1_000), S, Prefs(sms_above=1_000)).action == "allow"
    d = decide(quiet(amount=1_001), S, Prefs(sms_above=1_000))
    assert (d.action, d.score, d.rules) == ("ask", 0, ("pref_sms_above",))


def _at(hour: int, minute: int = 0, second: int = 0, zone_offset_hours: int = 8) -> datetime:
    """An instant that is hour:minute:second local time in a zone ``zone_offset_hours`` east of UTC."""
    return datetime(2026, 12, 3, (hour - zone_offset_hours) % 24, minute, second, tzinfo=timezone.utc)


@pytest.mark.parametrize(("local", "action"), [
    ((23, 59, 59), "allow"), ((0, 0, 0), "refuse"), ((3, 0, 0), "refuse"), ((5, 59, 59), "refuse"),
    ((6, 0, 0), "allow"),
])
def test_night_lock_in_the_persons_zone(local, action):
    f = quiet(now=_at(*local))
    assert decide(f, S, Prefs(night_lock=True)).action == action
    assert decide(f, S, Prefs()).action == "allow"


def test_night_lock_follows_the_persons_time_zone():
    one_am_london = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
    locked = Prefs(night_lock=True)
    assert decide(quiet(now=one_am_london, payer_timezone="Europe/London"), S, locked).action == "refuse"
    assert decide(quiet(now=one_am_london, payer_timezone="Asia/Shanghai"), S, locked).action == "allow"


def test_new_recipient_delay():
    prefs = Prefs(new_recipient_delay_above=1_000)
    new = quiet(amount=1_001, paid_recipient_before=False)
    d = decide(new, S, prefs)
    assert (d.action, d.delay_seconds) == ("allow", S.prefs.new_recipient_delay_seconds)
    assert decide(replace(new, amount=1_000), S, prefs).delay_seconds == 0
    assert decide(replace(new, paid_recipient_before=True), S, prefs).delay_seconds == 0
    assert decide(replace(new, kind="pay"), S, prefs).delay_seconds == 0  # a shop is paid at once


def test_no_pin_small_payments():
    prefs = Prefs(no_pin_max=5_000, no_pin_daily=20_000)
    assert decide(quiet(amount=5_000), S, prefs).pin_optional
    assert not decide(quiet(amount=5_001), S, prefs).pin_optional
    assert decide(quiet(amount=1_000, no_pin_recent_sum=19_000), S, prefs).pin_optional
    assert not decide(quiet(amount=1_000, no_pin_recent_sum=19_001), S, prefs).pin_optional
    assert not decide(quiet(amount=1_000, kind="withdraw"), S, prefs).pin_optional  # never withdrawals
    assert not decide(quiet(amount=1_000), S, Prefs(no_pin_max=5_000)).pin_optional  # both limits needed
    # anything that fires (a rule, or another setting) asks for the PIN again
    assert not decide(quiet(amount=1_000, recent_count=S.velocity.count.over), S, prefs).pin_optional
    assert not decide(quiet(amount=1_000), S, replace(prefs, sms_above=999)).pin_optional


# --- properties ----------------------------------------------------------------------------------

fired_rules = st.builds(
    Fired, rule=st.sampled_from(["a", "b", "c"]), weight=st.integers(0, 3 * T.freeze),
    floor=st.sampled_from([None, *ACTIONS]), delay_seconds=st.sampled_from([0, 7_200]))


@given(st.lists(fired_rules, max_size=8), fired_rules)
def test_adding_a_fired_rule_never_weakens_the_decision(fired, extra):
    before, after = combine(fired, S), combine([*fired, extra], S)
    assert after.score == before.score + extra.weight
    assert RANK[after.action] >= RANK[before.action]


@given(
    a=st.integers(1, 10**7), b=st.integers(1, 10**7), kind=st.sampled_from(["transfer", "red_packet", "pay", "withdraw"]),
    recent_count=st.integers(0, 20), recent_sum=st.integers(0, 10**6), period_count=st.integers(0, 50),
    period_mean=st.integers(1, 10**5), paid_before=st.sampled_from([None, True, False]),
    wrong=st.integers(0, 5), right_ago=st.integers(0, 3_600), payers=st.sampled_from([None, 0, 3, 10]),
    sms_above=st.sampled_from([None, 0, 10_000]), night=st.booleans(),
)
def test_a_larger_amount_never_weakens_the_decision(a, b, kind, recent_count, recent_sum, period_count,
                                                   period_mean, paid_before, wrong, right_ago, payers,
                                                   sms_above, night):
    small, large = sorted((a, b))
    f = quiet(kind=kind, recent_count=recent_count, recent_sum=recent_sum, period_count=period_count,
              period_sum=period_count * period_mean, period_max=2 * period_mean if period_count else 0,
              paid_recipient_before=paid_before, recipient_id=None if paid_before is None else 2,
              pin_wrong_before_right=wrong, pin_right_after_wrong_at=ago(right_ago),
              recipient_recent_payers=payers, now=NOW.replace(hour=17) if night else NOW)
    prefs = Prefs(sms_above=sms_above, night_lock=night)
    d_small, d_large = decide(replace(f, amount=small), S, prefs), decide(replace(f, amount=large), S, prefs)
    assert RANK[d_large.action] >= RANK[d_small.action]
    assert d_large.score >= d_small.score
