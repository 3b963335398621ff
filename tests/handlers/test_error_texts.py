"""Every refusal the wallet can raise has a clear text in Chinese and English."""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone

import pytest

import wallet.errors as errors
from chat.errors import explain
from chat.i18n import catalog

ERRORS = [c for c in vars(errors).values()
          if isinstance(c, type) and issubclass(c, errors.WalletError) and c is not errors.WalletError]

SUB_CODES = {
    "invalid_amount": ["empty", "not_a_number", "negative", "zero", "too_many_decimals", "too_large",
                       "exponent", "not_finite", "not_an_integer"],
    "invalid_id_number": ["length", "format", "region", "birth_date", "checksum"],
    "pin_weak": ["not_digits", "length", "all_same", "sequence", "birthday", "same_as_old"],
    "card_invalid": ["format", "luhn"],
    "red_packet_invalid": ["kind", "exclusive_needs_user", "exclusive_self", "too_many_shares",
                           "too_few_shares", "share_too_small", "total_too_large", "greeting_too_long"],
    "transfer_not_pending": ["accepted", "returned", "refunded", "revoked", "expired", "arrived"],
    "shop_invalid": ["name_empty", "name_too_long", "name_chars", "label_too_long", "label_chars", "category"],
    "pay_code_unavailable": ["frozen", "not_verified"],
    "ticket_invalid": ["reason", "details_too_long", "text_empty", "text_too_long"],
    "invalid_date_range": ["format", "order", "too_long"],
}

SAMPLE = {bool: True, int: 1234, str: "x", datetime: datetime(2026, 11, 28, 16, 30, tzinfo=timezone.utc)}


def sample(cls, **override):
    values = {}
    for f in dataclasses.fields(cls):
        kind = f.type if isinstance(f.type, type) else {"bool": bool, "int": int, "str": str, "datetime": datetime}[f.type]
        values[f.name] = SAMPLE[kind]
    values.update(override)
    return cls(**values)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.code)
def test_every_error_has_its_own_text(cls, lang):
    assert f"error.{cls.code}" in catalog(lang)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("code,sub", [(c, s) for c, subs in SUB_CODES.items() for s in subs])
def test_every_reason_has_its_own_text(code, sub, lang):
    assert f"error.{code}.{sub}" in catalog(lang)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.code)
def test_texts_render_completely_in_both_languages(cls):
    err = sample(cls)
    zh, en = explain(err, "zh-CN"), explain(err, "en")
    for text in (zh, en):
        assert text and not re.search(r"\{\w+\}", text), text
    assert zh != en
    assert re.search(r"[\u4e00-\u9fff]", zh)


def test_amounts_times_banks_and_counts_are_shown_as_people_read_them():
    assert explain(errors.InsufficientBalance(needed=1050, available=99), "en") == (
        "Not enough money: this needs ¥10.50, your balance has ¥0.99. "
        "Top up with /topup or choose a smaller amount.")
    locked = explain(errors.PinLocked(until=datetime(2026, 11, 28, 16, 30, tzinfo=timezone.utc)), "zh-CN")
    assert "2026-11-29 00:30" in locked  # Asia/Shanghai
    assert "招商银行" in explain(errors.CardNotSupported(bank="CMB"), "zh")
    # the bank's name reads as a name of a card, not "Cards of Foreign Visa card"
    assert explain(errors.CardNotSupported(bank="VISA_INTL"), "en") == (
        "This card is not supported (Foreign Visa card). Please bind a debit or credit card of a mainland bank.")
    assert explain(errors.CardNotSupported(bank="VISA_INTL"), "zh-CN") == (
        "暂不支持这张卡（境外 Visa 卡），请绑定中国大陆银行的借记卡或信用卡。")
    assert "(card issuer not recognised)" in explain(errors.CardNotSupported(bank="unknown"), "en")
    assert "（无法识别发卡行）" in explain(errors.CardNotSupported(bank="unknown"), "zh-CN")
    assert "4 tries" in explain(errors.PinWrong(tries_left=4), "en")
    assert "¥200.00" in explain(errors.RedPacketInvalid(reason="total_too_large", limit=20_000), "en")
    assert "100 shares" in explain(errors.RedPacketInvalid(reason="too_many_shares", limit=100), "en")
    assert "每日最多 ¥500.00" in explain(errors.LimitExceeded(period="day", cap=50_000, used=1, requested=2), "zh-CN")
    assert "“1,000”" in explain(errors.InvalidAmount(reason="not_a_number", text="1,000"), "zh-CN")
    assert "exactly ¥12.00; it cannot be paid ¥10.00" in explain(
        errors.PayAmountMismatch(expected=1_200, given=1_000), "en")
    assert "40 个字" in explain(errors.ShopInvalid(reason="name_too_long", limit=40), "zh-CN")
    assert "20261201-00007" in explain(errors.TicketExists(number="20261201-00007"), "en")


def test_an_error_the_catalog_does_not_know_falls_back_to_a_safe_text():
    @dataclasses.dataclass(eq=False)
    class Novel(errors.WalletError):
        code = "novel_thing"

    assert explain(Novel(), "en") == "Something went wrong; nothing was changed. Please try again."
