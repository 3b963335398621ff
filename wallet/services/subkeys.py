"""Idempotency keys of the steps of a compound operation, derived from its key: the same key
gives the same step keys (a retry replays each step), and they stay within the 160
characters a key may have."""
from __future__ import annotations

import hashlib

from wallet.uow import KEY_MAX, check_key


def step_key(key: str, step: str) -> str:
    """A caller's key for one step (checked first: a bad key is refused before any step runs);
    the step's service scopes it to its own person and operation."""
    check_key(key)
    if len(key) + 1 + len(step) <= KEY_MAX:
        return f"{key}:{step}"
    return f"{hashlib.sha256(key.encode()).hexdigest()}:{step}"
