"""wallet.pii: encryption at rest, blind index, masking, phone and name normalization."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from wallet.errors import InvalidName, InvalidPhone
from wallet.pii import (
    PiiBox, PiiDecryptError, mask_card, mask_name, mask_phone, normalize_name, normalize_phone,
)

DEV_KEY = "ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMTIzNDU="


@pytest.fixture
def box() -> PiiBox:
    return PiiBox(DEV_KEY)


def test_round_trip_and_ciphertext_hides_plaintext(box: PiiBox) -> None:
    for value in ("13812345678", "11010519491231002X", "张三丰", ""):
        token = box.encrypt(value)
        assert value == "" or value not in token
        assert box.decrypt(token) == value
    # Fernet is randomized: two encryptions differ
    assert box.encrypt("13812345678") != box.encrypt("13812345678")


def test_ciphertext_is_standard_fernet_under_the_configured_key(box: PiiBox) -> None:
    assert Fernet(DEV_KEY).decrypt(box.encrypt("hello").encode()) == b"hello"


def test_wrong_key_or_garbage_fails_cleanly(box: PiiBox) -> None:
    other = PiiBox(Fernet.generate_key().decode())
    with pytest.raises(PiiDecryptError):
        other.decrypt(box.encrypt("13812345678"))
    with pytest.raises(PiiDecryptError):
        box.decrypt("not-a-token")


def test_bad_key_refused() -> None:
    with pytest.raises(ValueError):
        PiiBox("too-short")


def test_repr_hides_key(box: PiiBox) -> None:
    assert DEV_KEY not in repr(box)


def test_blind_index(box: PiiBox) -> None:
    a = box.blind_index("13812345678")
    assert a == box.blind_index("13812345678")  # deterministic
    assert len(a) == 64 and int(a, 16) >= 0
    assert a != box.blind_index("13812345679")
    assert a != box.blind_index("13812345678", purpose="phone")
    assert box.blind_index("x", purpose="phone") != box.blind_index("x", purpose="id")
    # keyed: another key gives another index; and it is not a bare SHA-256
    import hashlib
    assert a != PiiBox(Fernet.generate_key().decode()).blind_index("13812345678")
    assert a != hashlib.sha256(b"13812345678").hexdigest()


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"
    assert mask_card("1234") == "**** 1234"
    assert mask_card("6222020000000000016") == "**** 0016"
    assert mask_name("张三丰") == "*三丰"
    assert mask_name("张三") == "*三"
    assert mask_name("") == ""


@pytest.mark.parametrize(
    "text",
    ["13812345678", "+8613812345678", "8613812345678", "008613812345678", "+86 138 1234 5678",
     "138-1234-5678", " 138 1234 5678 ", "+86 (138) 1234-5678", "１３８１２３４５６７８"],
)
def test_normalize_phone(text: str) -> None:
    assert normalize_phone(text) == "13812345678"


@pytest.mark.parametrize(
    "text",
    ["", "1381234567", "138123456789", "12812345678", "23812345678", "+1 4155552671", "1381234567a",
     "+8512812345678", "86123"],
)
def test_normalize_phone_refuses(text: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [("张三", "张三"), (" 张三丰 ", "张三丰"), ("买买提·艾力", "买买提·艾力"), ("买买提•艾力", "买买提·艾力"),
     ("John  Smith", "John Smith"), ("欧阳娜娜", "欧阳娜娜")],
)
def test_normalize_name(text: str, name: str) -> None:
    assert normalize_name(text) == name


@pytest.mark.parametrize("text", ["", "张", "张3", "<script>", "张三!", "·张三", "张三·", "a" * 41])
def test_normalize_name_refuses(text: str) -> None:
    with pytest.raises(InvalidName):
        normalize_name(text)
