"""Idempotency keys of the steps of a compound operation, derived from its key: the same key
gives the same step keys (a retry replays each step), and they stay within the 160
characters a key may have."""
from __future__ import annotations

import hashlib

KEY_MAX = 160


def step_key(key: str, step: str) -> str:
    if not key:
        raise ValueError("idempotency key must not be empty")
    if len(key) + 1 + len(step) <= KEY_MAX:
        return f"{key}:{step}"
    return f"{hashlib.sha256(key.encode()).hexdigest()}:{step}"
