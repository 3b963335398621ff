"""Risk control's chat pieces that need no bot: the admins' buttons (handlers/risk/callbacks.py) and
the anti-theft settings' (handlers/security/callbacks.py) keep their data and refuse anything else;
the held-payment notice's actions build the admins' buttons; decisions in words; a setting's state
in words; the anti-theft draft as stored."""
from __future__ import annotations

import pytest
from telegram.ext import CallbackQueryHandler

from chat.i18n import t
from handlers.risk import callbacks as cb
from handlers.risk import words
from handlers.risk.callbacks import Keep, Release, ReleaseYes, Return, ReturnYes, Review
from handlers.security import callbacks as sec
from handlers.security.antitheft import conversation
from handlers.security.antitheft_state import state_of
from handlers.security.draft import AntiTheftDraft
from handlers.security.menu import conversation as security_conversation
from handlers.ui import confirm
from jobs import outbox as outbox_job
from wallet import outbox
from wallet.risk.prefs import Prefs

KINDS = (Release, Return, ReleaseYes, ReturnYes, Keep, Review)
THEFT = (sec.TheftSetting, sec.TheftConfirm, sec.AntiTheft, sec.Checks)


def test_every_risk_button_keeps_its_data():
    built = {Release(7): "risk:release:7", Return(7): "risk:return:7", ReleaseYes(7): "risk:releaseok:7",
             ReturnYes(7): "risk:returnok:7", Keep(7): "risk:keep:7", Review(): "risk:list:0"}
    for press, data in built.items():
        assert press.data() == data
        assert [k for k in KINDS if k.parse(data) is not None] == [type(press)], data  # exactly one parses it


@pytest.mark.parametrize("data", [
    "risk:release:-1", "risk:release:x", "risk:release:2147483648", "risk:release:1:2", "risk:release",
    "risk:list:1", "risk:zap:1", "risk:keep:", "tka:resolve:1", "riskx:release:1", "", None])
def test_crafted_risk_data_parses_as_no_button(data):
    assert not any(k.parse(data) is not None for k in KINDS)
    assert cb.is_risk(data) == (data or "").startswith("risk:")


def test_the_held_payment_notice_carries_release_and_return():
    """wallet/services/risk_holds.py writes ``outbox.action("risk.release", hold_id=…)``: the outbox
    job makes the admins' buttons of them once bot/app.py offers the actions."""
    assert cb.OUTBOX_ACTIONS == {"risk.release": Release, "risk.return": Return}
    saved = dict(outbox_job.ACTIONS)
    try:
        outbox_job.actions(cb.OUTBOX_ACTIONS)
        notice = {"params": {"buttons": [[["risk.button.release", outbox.action("risk.release", hold_id=12)],
                                          ["risk.button.return", outbox.action("risk.return", hold_id=12)]]]}}
        markup = outbox_job.keyboard("en", notice)
        assert [(b.text, b.callback_data) for b in markup.inline_keyboard[0]] == [
            ("Release", "risk:release:12"), ("Return to payer", "risk:return:12")]
        bad = {"params": {"button": ["risk.button.release", outbox.action("risk.release", hold_id=-3)]}}
        assert outbox_job.keyboard("en", bad) is None  # a hold id no button can carry is left out
    finally:
        outbox_job.ACTIONS.clear()
        outbox_job.ACTIONS.update(saved)


def test_the_anti_theft_buttons_keep_their_data_and_refuse_other_settings():
    assert sec.AntiTheft().data() == "sec:theft" and sec.Checks().data() == "sec:checks"
    for setting in sec.THEFT_SETTINGS:
        assert sec.TheftSetting(setting).data() == f"ats:set:{setting}"
        assert sec.TheftSetting.parse(f"ats:set:{setting}") == sec.TheftSetting(setting)
    for data in ("ats:set:withdraw", "ats:set:1", "ats:set:sms:1", "ats:set:", "sec:set:sms"):
        assert sec.TheftSetting.parse(data) is None, data
    assert sec.TheftConfirm is confirm.button("ats")
    assert sec.TheftConfirm("off", 0, "AbCdEf123456").data() == "ats:off:0:AbCdEf123456"
    for data in ("ats:off:0:AbCdEf123456", "ats:set:sms", "ats:zzz"):
        assert sec.is_theft(data)
    assert not sec.is_theft("sec:theft") and not sec.is_theft(None)


def test_the_anti_theft_conversation_takes_its_own_buttons_and_the_security_menu_does_not():
    entries = [h for h in conversation().entry_points if isinstance(h, CallbackQueryHandler)]
    assert [h for h in entries if h.pattern("sec:theft")] and [h for h in entries if h.pattern("ats:set:nopin")]
    assert not [h for h in entries if h.pattern("ats:set:zzz") or h.pattern("sec:checks")]
    menu = [h for h in security_conversation().entry_points if isinstance(h, CallbackQueryHandler)]
    assert not [h for h in menu if h.pattern("sec:theft") or h.pattern("sec:checks") or h.pattern("ats:set:sms")]


def test_why_in_words():
    assert words.why("en", ["velocity_count"]) == "many payments in a few minutes"
    assert words.why("en", ["velocity_count", "new_recipient", "velocity_count"]) == \
        "many payments in a few minutes; a large first payment to someone new"
    assert words.why("zh_CN", ["velocity_count", "pref_night_lock"]) == "短时间内付款次数过多；你开启了夜间锁"
    assert words.why("en", ["a_rule_of_a_newer_engine"]) == "several risks at once"
    assert words.why("en", ["a_rule_of_a_newer_engine", "another_new_one"]) == "several risks at once"
    assert words.why("en", []) == "several risks at once"


def test_what_a_decision_did_and_who():
    assert [words.action("en", a) for a in words.ACTIONS] == [
        "✅ let through", "📱 asked for an SMS code", "⏳ held for review", "⛔ stopped, nothing moved",
        "❄️ stopped, wallet frozen"]
    assert words.action("en", "bogus") == "checked"
    assert words.kind("zh_CN", "transfer") == "转账" and words.kind("en", "<x>") == "&lt;x&gt;"
    names = {7: ("en", False, "<b>Eve</b>", None), 8: ("en", False, None, None)}
    assert words.who("en", names, 7) == "&lt;b&gt;Eve&lt;/b&gt; (7)"  # /risk is HTML: a name is text
    assert words.who("en", names, 8) == f"{t('en', 'notice.someone')} (8)"  # no first name
    assert words.who("en", names, 9).endswith(" (9)") and words.who("en", names, None) == "-"


def test_each_setting_in_words():
    off = Prefs()
    on = Prefs(sms_above=50_000, night_lock=True, new_recipient_delay_above=100_000, no_pin_max=5_000,
               no_pin_daily=20_000)
    assert [state_of("en", s, off) for s in sec.THEFT_SETTINGS] == ["off"] * 4
    assert [state_of("en", s, on) for s in sec.THEFT_SETTINGS] == [
        "above ¥500.00", "on", "above ¥1000.00", "up to ¥50.00 a payment and ¥200.00 a day"]
    assert state_of("zh_CN", "nopin", on) == "每笔不超过 ¥50.00，每天不超过 ¥200.00"


def test_the_anti_theft_draft_as_stored():
    d = AntiTheftDraft(nonce="AbCdEf123456", setting="nopin")
    assert d.as_draft() == {"nonce": "AbCdEf123456", "setting": "nopin"}
    d = d.replace(each=5_000)
    assert d.as_draft() == {"nonce": "AbCdEf123456", "setting": "nopin", "each": 5_000}
    d = d.replace(changes={"no_pin_max": 5_000, "no_pin_daily": 20_000})
    assert AntiTheftDraft.of(d.as_draft()) == d
    off = AntiTheftDraft(nonce="AbCdEf123456", setting="sms", changes={"sms_above": None})
    assert off.as_draft()["changes"] == {"sms_above": None}  # off is a change, not "no change yet"
