"""Personally identifiable information: encryption at rest, blind indexes, masking, phones, names.

``PiiBox(key)``: ``key`` is the Fernet key from settings (urlsafe base64 of 32 bytes).
Ciphertexts are Fernet tokens under that key; the blind-index HMAC key is derived from it
with HKDF-SHA256, so one secret serves both and neither reveals the other.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wallet.errors import InvalidName, InvalidPhone

__all__ = ["PiiBox", "PiiDecryptError", "mask_phone", "mask_card", "mask_name", "normalize_phone", "normalize_name"]


class PiiDecryptError(ValueError):
    """A ciphertext could not be decrypted: wrong key or corrupted data."""


class PiiBox:
    """Encrypts PII for storage and computes blind indexes for exact-match lookups."""

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode("ascii") if isinstance(key, str) else key
        self._fernet = Fernet(raw)  # raises ValueError on a malformed key
        secret = base64.urlsafe_b64decode(raw)
        self._index_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"wallet/pii/blind-index/v1"
        ).derive(secret)

    def __repr__(self) -> str:
        return "PiiBox(<key hidden>)"

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise PiiDecryptError("cannot decrypt PII: wrong key or corrupted data") from None

    def blind_index(self, value: str, *, purpose: str = "") -> str:
        """HMAC-SHA256 hex of ``value`` (normalize it first). ``purpose`` (e.g. ``"phone"``)
        separates index spaces so equal strings of different kinds do not collide."""
        msg = f"{purpose}\x00{value}" if purpose else value
        return hmac.new(self._index_key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


# --- masking ---------------------------------------------------------------------------------
def mask_phone(phone: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_card(last4: str) -> str:
    """``1234`` (or a full number) -> ``**** 1234``."""
    return f"**** {last4[-4:]}"


def mask_name(name: str) -> str:
    """Hide the first character (the surname): ``张三丰`` -> ``*三丰``, ``张三`` -> ``*三``."""
    return "*" + name[1:] if name else ""


# --- phones ----------------------------------------------------------------------------------
_PHONE_JUNK = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_FULLWIDTH = str.maketrans({**{0xFF10 + i: ord("0") + i for i in range(10)}, 0xFF0B: "+", 0xFF0D: "-"})


def normalize_phone(text: str) -> str:
    """A mainland mobile number as 11 digits; ``+86``/``86``/``0086`` prefixes, spaces and
    dashes are ignored. Raises ``InvalidPhone``."""
    s = _PHONE_JUNK.sub("", str(text).translate(_FULLWIDTH))
    for prefix in ("+86", "0086", "86"):
        if s.startswith(prefix) and len(s) == len(prefix) + 11:
            s = s[len(prefix):]
            break
    if not _MOBILE.fullmatch(s):
        raise InvalidPhone()
    return s


# --- names -----------------------------------------------------------------------------------
_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z][\u3400-\u9fff\uf900-\ufaff·A-Za-z .'\-]*")


def normalize_name(text: str, *, max_len: int = 40) -> str:
    """A real name as on an ID card: Chinese characters (``·`` for minority names, e.g.
    ``买买提·艾力``) or Latin letters; 2..max_len characters. Raises ``InvalidName``."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = re.sub(r"[•・.．]", "·", s) if re.search(r"[\u3400-\u9fff]", s) else s
    s = re.sub(r"\s+", " ", s)
    if not (2 <= len(s) <= max_len) or not _NAME.fullmatch(s) or s.endswith("·"):
        raise InvalidName()
    return s
