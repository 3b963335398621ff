"""wallet.pin: PIN strength rules and bcrypt off the event loop."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import date

import pytest

from wallet.errors import PinWeak
from wallet.pin import birthday_forms, check_pin_strength, hash_pin, verify_pin

BIRTH = date(1990, 3, 7)


@pytest.mark.parametrize("pin", ["135790", "284613", "890123", "112233", "121212", "903007", "070391"])
def test_good_pins(pin: str) -> None:
    check_pin_strength(pin, birth_date=BIRTH)


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("12345a", "not_digits"), ("", "not_digits"), ("１２３４５６", "not_digits"), ("12 456", "not_digits"),
        ("٣٣٣٣٣٤", "not_digits"),
        ("12345", "length"), ("1357902", "length"),
        ("000000", "all_same"), ("999999", "all_same"),
        ("012345", "sequence"), ("123456", "sequence"), ("456789", "sequence"),
        ("654321", "sequence"), ("987654", "sequence"), ("543210", "sequence"),
        ("900307", "birthday"),  # YYMMDD
        ("030790", "birthday"),  # MMDDYY
        ("070390", "birthday"),  # DDMMYY
    ],
)
def test_weak_pins(pin: str, reason: str) -> None:
    with pytest.raises(PinWeak) as exc:
        check_pin_strength(pin, birth_date=BIRTH)
    assert exc.value.reason == reason
    assert pin == "" or pin not in str(exc.value)  # the error never carries the PIN


def test_birthday_only_checked_when_known() -> None:
    check_pin_strength("900307")


def test_other_lengths() -> None:
    check_pin_strength("2580", length=4)
    for pin, reason in [("1234", "sequence"), ("0307", "birthday"), ("0703", "birthday")]:
        with pytest.raises(PinWeak) as exc:
            check_pin_strength(pin, length=4, birth_date=BIRTH)
        assert exc.value.reason == reason
    with pytest.raises(PinWeak) as exc:
        check_pin_strength("19900307", length=8, birth_date=BIRTH)
    assert exc.value.reason == "birthday"


def test_birthday_forms() -> None:
    assert {"900307", "030790", "070390", "19900307", "0307"} <= birthday_forms(BIRTH)


async def test_hash_and_verify() -> None:
    hashed = await hash_pin("135790", cost=4)
    assert hashed.startswith("$2b$04$") and "135790" not in hashed
    assert await verify_pin("135790", hashed)
    assert not await verify_pin("135791", hashed)
    assert await hash_pin("135790", cost=4) != hashed  # salted
    assert not await verify_pin("135790", "not-a-bcrypt-hash")
    assert not await verify_pin("135790", "")


async def test_event_loop_keeps_ticking_during_cost_12_hash(caplog: pytest.LogCaptureFixture) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    caplog.set_level(logging.DEBUG)
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = time.perf_counter()
    hashed = await hash_pin("284613", cost=12)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    assert hashed.startswith("$2b$12$")
    # a blocking hash would allow ~0 ticks; off the loop we get a good share of elapsed / 5 ms
    assert elapsed > 0.05
    assert ticks >= max(5, int(elapsed / 0.005 * 0.1)), (ticks, elapsed)
    assert "284613" not in caplog.text
