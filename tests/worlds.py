"""Worlds built once per process and copied per test (SQLite only).

Some tests start from the same data made through the real services (people with cards, PINs and
balances; holds in every state): building it takes ~0.3-0.8 s each time, the same work every time.
``copy_of_world`` builds it on the first call in this process (``build(url)`` returns its context
and whatever the test needs to know of it, e.g. ids), closes its engine and keeps the file; each
call then copies the file onto the given engine's database and returns a context of its own: the
same rules, and copies of the sandbox bank, the SMS inbox and the fake clock as they were when the
world was made (the bank and the clock are part of the world: a card is registered to its holder,
bank ops are known by key). What is built runs once per process, so its own checks (e.g. the
audit) still run then; a test that wants the world's audit clean asserts it on its copy.

On PostgreSQL the tests build their world as before (each on a truncated or fresh database)."""
from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import make_context
from wallet.clock import FakeClock
from wallet.context import Context

_WORLDS: dict[str, tuple[Path, Context, Any]] = {}
_DIR: list[Path] = []


def _dir() -> Path:
    if not _DIR:
        _DIR.append(Path(tempfile.mkdtemp(prefix="wallet-worlds-")))
        atexit.register(shutil.rmtree, _DIR[0], True)
    return _DIR[0]


async def copy_of_world(name: str, build: Callable[[str], Awaitable[tuple[Context, Any]]],
                        engine: AsyncEngine) -> tuple[Context, Any]:
    """The world ``name`` (made by ``build`` the first time) copied onto ``engine``'s SQLite file
    (its pooled connections are closed first): a context on ``engine`` and a copy of what
    ``build`` returned beside its context."""
    if name not in _WORLDS:
        path = _dir() / f"{name}.db"
        made, extra = await build(f"sqlite+aiosqlite:///{path}")
        await made.engine.dispose()
        assert not Path(f"{path}-wal").exists(), "the world's WAL was not checkpointed"
        _WORLDS[name] = (path, made, extra)
    path, made, extra = _WORLDS[name]
    await engine.dispose()
    dest = Path(engine.url.database)
    for leftover in (Path(f"{dest}-wal"), Path(f"{dest}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(path, dest)
    ctx = make_context(engine)
    ctx.rules, ctx.rng = made.rules, copy.deepcopy(made.rng)
    ctx.bank, ctx.sms = copy.deepcopy(made.bank), copy.deepcopy(made.sms)
    ctx.clock = FakeClock(made.clock.now())
    return ctx, copy.deepcopy(extra)
