"""wallet.bank: card numbers, BIN lookup, and the sandbox bank."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from wallet.bank import (
    BANKS, BINS, SANDBOX_CARDS, BankGateway, BankResult, SandboxBank, lookup_card, luhn_check_digit,
    luhn_ok, normalize_card_number,
)
from wallet.errors import (
    BankDeclined, BankTimeout, CardInvalid, CardNotSupported, CreditCardNotAllowed, IdempotencyConflict,
    IdentityMismatch, PhoneMismatch,
)
from wallet.idnumber import make_test_id_number

ICBC = "6222020000000000018"
CMB_CREDIT = "6253300000000013"
ALICE = ("张三", make_test_id_number(date(1990, 3, 7)), "13812345678")
BOB = ("李四", make_test_id_number(date(1985, 11, 2), seq="456"), "13912345678")


@pytest.fixture
def bank() -> SandboxBank:
    return SandboxBank()


def test_sandbox_implements_the_port(bank: SandboxBank) -> None:
    assert isinstance(bank, BankGateway)


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert luhn_check_digit("622202000000000001") == "8"
    for n in SANDBOX_CARDS:
        assert luhn_ok(n), n
        assert luhn_check_digit(n[:-1]) == n[-1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "format"), ("6222 0200 0000 001", "format"), ("62220200000000000180000", "format"),
     ("6222a20000000000018", "format"), ("6222020000000000019", "luhn"), ("6222020000000000028", "luhn")],
)
def test_invalid_cards(text: str, reason: str) -> None:
    with pytest.raises(CardInvalid) as exc:
        normalize_card_number(text)
    assert exc.value.reason == reason


def test_normalize_accepts_spaces_dashes_full_width() -> None:
    assert normalize_card_number(" 6222 0200 0000 0000 018 ") == ICBC
    assert normalize_card_number("6222-0200-0000-0000-018") == ICBC
    assert normalize_card_number("".join(chr(0xFF10 + int(c)) for c in ICBC)) == ICBC


def test_bin_table_covers_eight_banks_with_debit_and_credit() -> None:
    supported = {code for code, b in BANKS.items() if b.supported}
    assert len(supported) >= 8
    for code in supported:
        types = {t for bank, t in BINS.values() if bank == code}
        assert types == {"debit", "credit"}, code


def test_lookup() -> None:
    info = lookup_card("6222 0200 0000 0000 018")
    assert (info.bank_code, info.bank_name_zh, info.card_type, info.last4) == ("ICBC", "中国工商银行", "debit", "0018")
    assert lookup_card(CMB_CREDIT).card_type == "credit"
    assert BANKS["CMB"].name("en") == "China Merchants Bank" and BANKS["CMB"].name("zh") == "招商银行"
    # any Luhn-valid number on a known BIN works
    n = "621483123456789012"
    assert lookup_card(n + luhn_check_digit(n)).bank_code == "CMB"


@pytest.mark.parametrize(("number", "code"), [
    ("4111111111111111", "VISA_INTL"), ("5105105105105100", "MC_INTL"), ("6200000000000096", "PREPAID"),
    ("999999000000000" + luhn_check_digit("999999000000000"), "unknown"),
])
async def test_unsupported_cards(bank: SandboxBank, number: str, code: str) -> None:
    with pytest.raises(CardNotSupported) as exc:
        bank.lookup(number)
    assert exc.value.bank == code
    with pytest.raises(CardNotSupported):
        await bank.verify(number, *ALICE)


async def test_verify_registers_and_returns_token(bank: SandboxBank) -> None:
    tok = await bank.verify(ICBC, *ALICE)
    assert tok.token.startswith("tok_") and ICBC not in tok.token
    assert (tok.bank_code, tok.bank_name_en, tok.card_type, tok.last4) == (
        "ICBC", "Industrial and Commercial Bank of China", "debit", "0018")
    assert tok.token not in repr(tok)
    assert bank.card_number_of(tok.token) == ICBC
    # the same holder again (ID in lower case x / spaces around the name / the phone with +86
    # and dashes) gets the same token
    again = await bank.verify("6222 0200 0000 0000 018", " 张三 ", ALICE[1].lower(), "+86 138-1234-5678")
    assert again.token == tok.token


async def test_the_bank_holds_the_cards_phone(bank: SandboxBank) -> None:
    """The first holder's phone is the card's reserved phone (预留手机号): the holder's name and
    ID number from another phone are refused with their own reason, before and after the code."""
    tok = await bank.verify(ICBC, *ALICE)
    bobs_phone = BOB[2]
    with pytest.raises(PhoneMismatch):
        await bank.check_holder(ICBC, ALICE[0], ALICE[1], bobs_phone)
    with pytest.raises(PhoneMismatch):
        await bank.verify(ICBC, ALICE[0], ALICE[1], bobs_phone)
    with pytest.raises(IdentityMismatch):  # another person is told about the identity, not the phone
        await bank.check_holder(ICBC, *BOB)
    assert (await bank.check_holder(ICBC, *ALICE)).last4 == "0018"
    assert (await bank.verify(ICBC, *ALICE)).token == tok.token


async def test_check_holder_passes_an_unknown_card_without_registering_it(bank: SandboxBank) -> None:
    assert (await bank.check_holder(ICBC, *ALICE)).bank_code == "ICBC"
    assert (await bank.check_holder(ICBC, *BOB)).bank_code == "ICBC"  # nobody holds it yet
    await bank.verify(ICBC, *BOB)  # the first verify registers it
    with pytest.raises(IdentityMismatch):
        await bank.check_holder(ICBC, *ALICE)
    with pytest.raises(IdentityMismatch):
        await bank.check_holder("6222020000000000992", *ALICE)  # the sandbox's identity_mismatch card
    with pytest.raises(CardNotSupported):
        await bank.check_holder("4111111111111111", *ALICE)


async def test_other_holder_is_refused(bank: SandboxBank) -> None:
    await bank.verify(ICBC, *ALICE)
    with pytest.raises(IdentityMismatch):
        await bank.verify(ICBC, *BOB)
    with pytest.raises(IdentityMismatch):
        await bank.verify(ICBC, ALICE[0], BOB[1], ALICE[2])  # same name, other ID
    with pytest.raises(IdentityMismatch):
        await bank.verify(ICBC, "张三丰", ALICE[1], ALICE[2])  # same ID, other name
    assert (await bank.verify("6217000000000000020", *BOB)).bank_code == "CCB"


async def test_identity_mismatch_card(bank: SandboxBank) -> None:
    with pytest.raises(IdentityMismatch):
        await bank.verify("6222020000000000992", *ALICE)


async def test_charge_and_payout_are_idempotent(bank: SandboxBank) -> None:
    tok = (await bank.verify(ICBC, *ALICE)).token
    r1 = await bank.charge(tok, 10_000, "topup-1")
    assert r1.status == "succeeded" and r1.succeeded and r1.bank_ref.startswith("SBX")
    assert await bank.charge(tok, 10_000, "topup-1") == r1
    r2 = await bank.charge(tok, 10_000, "topup-2")
    assert r2.bank_ref != r1.bank_ref
    with pytest.raises(IdempotencyConflict):
        await bank.charge(tok, 20_000, "topup-1")
    with pytest.raises(IdempotencyConflict):
        await bank.payout(tok, 10_000, "topup-1")
    p = await bank.payout(tok, 5_000, "wd-1")
    assert p.succeeded and await bank.payout(tok, 5_000, "wd-1") == p
    assert await bank.status("topup-1") == r1
    assert await bank.status("wd-1") == p
    assert await bank.status("never") is None


async def test_amount_must_be_positive_int(bank: SandboxBank) -> None:
    tok = (await bank.verify(ICBC, *ALICE)).token
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            await bank.charge(tok, bad, "k")  # type: ignore[arg-type]


async def test_unknown_token_fails(bank: SandboxBank) -> None:
    r = await bank.charge("tok_nope", 100, "k1")
    assert r.status == "failed" and r.reason == "invalid_token"


async def test_credit_card_tops_up_but_cannot_receive_payouts(bank: SandboxBank) -> None:
    tok = await bank.verify(CMB_CREDIT, *ALICE)
    assert tok.card_type == "credit"
    assert (await bank.charge(tok.token, 100, "c1")).succeeded
    with pytest.raises(CreditCardNotAllowed) as exc:
        await bank.payout(tok.token, 100, "p1")
    assert (exc.value.bank, exc.value.last4) == ("ICBC", "0013")
    assert await bank.status("p1") is None


async def test_charge_declined_card(bank: SandboxBank) -> None:
    tok = (await bank.verify("6227000000000000227", *ALICE)).token
    r = await bank.charge(tok, 100, "c1")
    assert (r.status, r.reason) == ("failed", "insufficient_funds")
    assert await bank.status("c1") == r
    assert (await bank.payout(tok, 100, "p1")).succeeded


async def test_payout_declined_card(bank: SandboxBank) -> None:
    tok = (await bank.verify("6225880000000000119", *ALICE)).token
    assert (await bank.charge(tok, 100, "c1")).succeeded
    r = await bank.payout(tok, 100, "p1")
    assert (r.status, r.reason) == ("failed", "account_abnormal")


@pytest.mark.parametrize(("number", "later"), [("6222020000000000331", "succeeded"),
                                                ("6228480000000000448", "failed")])
async def test_timeout_cards_are_reconciled_by_status(bank: SandboxBank, number: str, later: str) -> None:
    tok = (await bank.verify(number, *ALICE)).token
    for op, key in ((bank.charge, "c1"), (bank.payout, "p1")):
        with pytest.raises(BankTimeout):
            await op(tok, 500, key)
        status = await bank.status(key)
        assert status is not None and status.status == later
        assert await op(tok, 500, key) == status  # a retry with the same key replays the outcome


async def test_fail_next(bank: SandboxBank) -> None:
    tok = (await bank.verify(ICBC, *ALICE)).token
    bank.fail_next("charge", "insufficient_funds")
    r = await bank.charge(tok, 100, "c1")
    assert (r.status, r.reason) == ("failed", "insufficient_funds")
    assert (await bank.charge(tok, 100, "c2")).succeeded  # only the next one

    bank.fail_next("payout", BankTimeout)
    with pytest.raises(BankTimeout):
        await bank.payout(tok, 100, "p1")
    assert (await bank.status("p1")).status == "succeeded"

    bank.fail_next("payout", BankTimeout(), outcome="failed")
    with pytest.raises(BankTimeout):
        await bank.payout(tok, 100, "p2")
    assert (await bank.status("p2")).status == "failed"

    bank.fail_next("charge", ConnectionError("down"))
    with pytest.raises(ConnectionError):
        await bank.charge(tok, 100, "c3")
    assert await bank.status("c3") is None
    assert (await bank.charge(tok, 100, "c3")).succeeded

    bank.fail_next("verify", "card_frozen")
    with pytest.raises(BankDeclined) as exc:
        await bank.verify(ICBC, *ALICE)
    assert exc.value.reason == "card_frozen"
    bank.fail_next("verify", IdentityMismatch())
    with pytest.raises(IdentityMismatch):
        await bank.verify(ICBC, *ALICE)
    assert (await bank.verify(ICBC, *ALICE)).token == tok
    with pytest.raises(ValueError):
        bank.fail_next("refund", "x")  # type: ignore[arg-type]


async def test_replay_does_not_consume_injected_failure(bank: SandboxBank) -> None:
    tok = (await bank.verify(ICBC, *ALICE)).token
    first = await bank.charge(tok, 100, "c1")
    bank.fail_next("charge", "declined")
    assert await bank.charge(tok, 100, "c1") == first
    assert (await bank.charge(tok, 100, "c2")).reason == "declined"


async def test_set_behaviour(bank: SandboxBank) -> None:
    tok = (await bank.verify(ICBC, *ALICE)).token
    bank.set_behaviour(ICBC, "timeout")
    with pytest.raises(BankTimeout):
        await bank.charge(tok, 100, "c1")
    bank.set_behaviour(ICBC, "ok")
    assert (await bank.charge(tok, 100, "c2")).succeeded
    bank.set_behaviour(ICBC, "unsupported")
    with pytest.raises(CardNotSupported):
        bank.lookup(ICBC)


async def test_persistence(tmp_path: Path) -> None:
    path = tmp_path / "bank" / "sandbox.json"
    bank = SandboxBank(path)
    tok = (await bank.verify(ICBC, *ALICE)).token
    r = await bank.charge(tok, 100, "c1")
    reopened = SandboxBank(path)
    assert (await reopened.verify(ICBC, *ALICE)).token == tok
    with pytest.raises(IdentityMismatch):
        await reopened.verify(ICBC, *BOB)
    assert await reopened.status("c1") == r
    assert await reopened.charge(tok, 100, "c1") == r
    assert (await reopened.payout(tok, 50, "p1")).succeeded
    assert not path.with_name("sandbox.json.tmp").exists()


async def test_the_file_keeps_no_name_id_number_or_phone_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    await SandboxBank(path, secret="pepper").verify(ICBC, *ALICE)
    text = path.read_text("utf-8")
    for secret in (*ALICE, ALICE[1][:-1]):
        assert secret not in text, secret
    reopened = SandboxBank(path, secret="pepper")
    with pytest.raises(PhoneMismatch):
        await reopened.verify(ICBC, ALICE[0], ALICE[1], BOB[2])
    with pytest.raises(IdentityMismatch):
        await reopened.verify(ICBC, *BOB)
    await reopened.verify(ICBC, *ALICE)
    with pytest.raises(IdentityMismatch):  # the hashes are keyed: without the secret nothing matches
        await SandboxBank(path).verify(ICBC, *ALICE)


async def test_an_older_file_with_holders_in_clear_is_rewritten_as_hashes(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps({"holders": {ICBC: {"name": ALICE[0], "id_number": ALICE[1], "phone": ALICE[2],
                                                   "token": "tok_old"}}, "ops": {}}), "utf-8")
    bank = SandboxBank(path)
    text = path.read_text("utf-8")
    assert ALICE[1] not in text and ALICE[2] not in text and ALICE[0] not in text and "tok_old" in text
    assert (await bank.verify(ICBC, *ALICE)).token == "tok_old"
    with pytest.raises(PhoneMismatch):
        await SandboxBank(path).verify(ICBC, ALICE[0], ALICE[1], BOB[2])


async def test_a_bound_card_survives_a_restart_before_any_charge(tmp_path: Path) -> None:
    """Bind, restart (a new SandboxBank on the file), then charge: the card is still known."""
    path = tmp_path / "sandbox.json"
    tok = (await SandboxBank(path).verify(ICBC, *ALICE)).token
    reopened = SandboxBank(path)
    assert reopened.card_number_of(tok) is not None
    assert (await reopened.charge(tok, 100, "c1")).succeeded


def test_sandbox_cards_doc_matches_code() -> None:
    doc = (Path(__file__).resolve().parents[2] / "wallet" / "SANDBOX_CARDS.md").read_text("utf-8")
    rows = re.findall(r"^\| `([0-9 ]+)` \| (\w+) [^|]+\| (debit|credit) \| `(\w+)` \|", doc, re.M)
    documented = {n.replace(" ", ""): (bank, t, b) for n, bank, t, b in rows}
    assert set(documented) == set(SANDBOX_CARDS)
    for number, (bank_code, card_type, behaviour) in documented.items():
        assert SANDBOX_CARDS[number] == behaviour
        assert BINS[number[:6]] == (bank_code, card_type)


def test_bank_result_is_plain_data() -> None:
    assert BankResult("failed", "SBX1", "x").succeeded is False
