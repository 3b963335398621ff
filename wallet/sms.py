"""SMS gateway port, its adapters, and the pure verification-code helpers.

Storing codes (validity, tries, resend interval) is the database layer's job. Never log a code.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections import defaultdict
from typing import Protocol, runtime_checkable

import aiohttp

from wallet.errors import SmsSendFailed
from wallet.pii import mask_phone

__all__ = ["SmsGateway", "SandboxSms", "HttpInboxSms", "generate_code", "hash_code", "verify_code", "sms_text"]

log = logging.getLogger(__name__)

CODE_LENGTH = 6
_CODE_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
_FULLWIDTH = str.maketrans({0xFF10 + i: ord("0") + i for i in range(10)})

_TEMPLATES = {
    "zh": "【钱包】验证码 {code}，{minutes}分钟内有效，请勿告诉他人。",
    "en": "[Wallet] Your code is {code}, valid for {minutes} minutes. Never share it.",
}


@runtime_checkable
class SmsGateway(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


class SandboxSms:
    """Keeps every message in an in-memory inbox per phone (tests, local mode without HTTP)."""

    def __init__(self) -> None:
        self._inbox: dict[str, list[str]] = defaultdict(list)

    async def send(self, phone: str, text: str) -> None:
        self._inbox[phone].append(text)
        log.info("sandbox sms to %s", mask_phone(phone))

    def inbox(self, phone: str) -> list[str]:
        return list(self._inbox.get(phone, ()))

    def last_code(self, phone: str) -> str | None:
        """The 6-digit code in the newest message that has one."""
        for text in reversed(self._inbox.get(phone, ())):
            m = _CODE_IN_TEXT.search(text)
            if m:
                return m.group(1)
        return None

    def clear(self) -> None:
        self._inbox.clear()


class HttpInboxSms:
    """Delivers to the local messenger's phone inbox: POST ``{"phone_number", "text"}`` to
    ``<base>/control/sms``. ``url`` may be the base (``http://127.0.0.1:8080``) or the full URL."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        url = url.rstrip("/")
        self.url = url if url.endswith("/control/sms") else url + "/control/sms"
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, phone: str, text: str) -> None:
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.post(self.url, json={"phone_number": phone, "text": text}) as resp:
                    if resp.status >= 400:
                        raise SmsSendFailed()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("sms to %s failed: %s", mask_phone(phone), type(exc).__name__)
            raise SmsSendFailed() from None
        log.info("sms to %s delivered to the local inbox", mask_phone(phone))


def generate_code() -> str:
    """A uniformly random 6-digit code (``secrets``)."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def _normalize_code(code: str) -> str:
    return "".join(str(code).translate(_FULLWIDTH).split())


def hash_code(code: str, phone: str, *, secret: str | bytes = b"") -> str:
    """HMAC-SHA256 hex of phone + code, for storing a code without keeping it.
    Pass a server ``secret`` (e.g. the PII key) so a leaked table cannot be brute-forced offline."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    msg = f"{phone}\x00{_normalize_code(code)}".encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def verify_code(code: str, phone: str, hashed: str, *, secret: str | bytes = b"") -> bool:
    """Constant-time comparison of a typed code with a stored ``hash_code``."""
    return hmac.compare_digest(hash_code(code, phone, secret=secret), hashed)


def sms_text(code: str, lang: str = "zh", *, minutes: int = 5) -> str:
    """The SMS body: Chinese for ``zh*`` language codes, English otherwise."""
    template = _TEMPLATES["zh" if (lang or "").lower().startswith("zh") else "en"]
    return template.format(code=code, minutes=minutes)
