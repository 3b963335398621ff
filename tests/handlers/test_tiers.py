"""`make test-fast` collects only the folders of the unit and service tiers (the Makefile's
FAST_PATHS): they must be exactly the folders tests/conftest.py puts in those tiers, so that no
unit or service test is left out of the inner loop when a tier gains a folder."""
from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import TIERS

ROOT = Path(__file__).resolve().parents[2]


def test_the_fast_paths_are_the_folders_of_the_unit_and_service_tiers():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = re.search(r"^FAST_PATHS \?= (.+)$", makefile, re.MULTILINE)
    assert line, "FAST_PATHS is not set in the Makefile"
    assert sorted(line.group(1).split()) == sorted(f"tests/{folder}" for folder, tier in TIERS.items()
                                                   if tier in ("unit", "service"))


def test_no_test_outside_those_folders_marks_itself_unit_or_service():
    """A test elsewhere may mark itself stress, never unit or service: test-fast would not see it."""
    fast = {folder for folder, tier in TIERS.items() if tier in ("unit", "service")}
    for path in (ROOT / "tests").rglob("*.py"):
        parts = path.relative_to(ROOT / "tests").parts
        if len(parts) > 1 and parts[0] in fast:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"mark\.(unit|service)\b", text), path
