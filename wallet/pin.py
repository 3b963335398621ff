"""Payment PIN: strength rules and bcrypt hashing, always off the event loop.

Nothing here logs or formats a PIN; errors carry only a reason.

Strength (``PinWeak.reason``, checked in this order): ``not_digits``, ``length``,
``all_same`` (111111), ``sequence`` (plain runs up or down: 012345, 123456, 654321, 987654;
wrap-arounds such as 890123 are allowed), ``birthday`` (from the ID number: YYMMDD, MMDDYY,
DDMMYY, and for other lengths YYYYMMDD, MMDD, DDMM, MMDDMMDD).
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import bcrypt

from wallet.errors import PinWeak

__all__ = ["check_pin_strength", "birthday_forms", "hash_pin", "verify_pin"]


def birthday_forms(birth: date) -> set[str]:
    """The digit strings a birthday commonly becomes in a PIN."""
    y4, y2, m, d = f"{birth.year:04d}", f"{birth.year % 100:02d}", f"{birth.month:02d}", f"{birth.day:02d}"
    return {y2 + m + d, m + d + y2, d + m + y2, y4 + m + d, m + d, d + m, m + d + m + d}


def _is_run(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    return steps in ({1}, {-1})


def check_pin_strength(pin: str, *, length: int = 6, birth_date: date | None = None) -> None:
    """Raise ``PinWeak(reason)`` unless ``pin`` is an acceptable payment PIN."""
    if not (pin.isascii() and pin.isdigit()):
        raise PinWeak(reason="not_digits")
    if len(pin) != length:
        raise PinWeak(reason="length")
    if len(set(pin)) == 1:
        raise PinWeak(reason="all_same")
    if _is_run(pin):
        raise PinWeak(reason="sequence")
    if birth_date is not None and pin in birthday_forms(birth_date):
        raise PinWeak(reason="birthday")


def _hash(pin: str, cost: int) -> str:
    return bcrypt.hashpw(pin.encode("utf-8"), bcrypt.gensalt(rounds=cost)).decode("ascii")


def _check(pin: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(pin.encode("utf-8"), hashed.encode("ascii"))
    except (ValueError, UnicodeError):  # malformed hash
        return False


def _low_priority() -> None:
    """bcrypt is pure CPU (~0.2 s a check at cost 12): on Linux a thread's nice value is its
    own, so the event loop and the database keep the CPU when many PINs are checked at once."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        pass


# A bounded pool of low-priority threads, one core fewer than the machine has: a burst of
# PIN checks queues here instead of taking every core (bench P5 measures it).
_BCRYPT = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="bcrypt",
                             initializer=_low_priority)


async def _off_loop(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_BCRYPT, fn, *args)


async def hash_pin(pin: str, cost: int = 12) -> str:
    """bcrypt hash of the PIN, computed on a worker thread (never on the event loop)."""
    return await _off_loop(_hash, pin, cost)


async def verify_pin(pin: str, hashed: str) -> bool:
    """Constant-time bcrypt check on a worker thread; a malformed hash is simply ``False``."""
    return await _off_loop(_check, pin, hashed)
