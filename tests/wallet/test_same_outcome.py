"""One set of rules: every rule case of a transfer's send and accept runs through the fast path
and through the general path, each on a fresh database, and must end the same — the same answer
or the same error (code and data), the same balances, the same notices, the same rows (transfers,
journal, entries, operations, outbox, accounts). A rule changed in one path only fails here. On PostgreSQL the fast path is the one-statement ``transfer_fastpath``, run
as configured and with every request through its batch statements; on
SQLite it is ``transfer_sqlite`` (one thread hop), run both grouped (group commit, the default)
and alone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import BACKEND, copy_sqlite_schema, make_context
from tests.wallet.helpers import PIN, make_person, wallet_balance
from tests.worlds import copy_of_world
from wallet import outbox
from wallet.bootstrap import bootstrap
from wallet.db import create_engine
from wallet.errors import WalletError
from wallet.models import metadata
from wallet.services import cards, people, red_packets, transfer_fastpath, transfer_sqlite, transfers

FAST = transfer_fastpath if BACKEND == "postgres" else transfer_sqlite
# how the fast path runs: PostgreSQL's as configured (a lone request takes the single statement)
# and through the batch statements (every request, even alone, as a batch); SQLite's grouped and alone
MODES = ["as configured", "batch statements"] if BACKEND == "postgres" else ["grouped", "alone"]

S, R, X, NOBODY = 801, 802, 803, 899
RULES = {"daily_cap_verified": 12_000, "yearly_cap_verified": 30_000}


def send(amount=100, *, key="k", sender=S, recipient=R, **kw):
    async def act(ctx, w):
        return await transfers.send(ctx, key=key, sender_id=sender, recipient_id=recipient, amount=amount,
                                    pin=None, pin_checked=True, **kw)
    return act


def accept(*, key="a", user=R, transfer="t"):
    async def act(ctx, w):
        return await transfers.accept(ctx, key=key, user_id=user, transfer_id=w.get(transfer, 424242))
    return act


def setup_send(name="t", amount=500, **kw):
    async def step(ctx, w):
        w[name] = (await send(amount, key=f"setup-{name}", **kw)(ctx, w))["transfer_id"]
    return step


def advance(**delta):
    async def step(ctx, w):
        ctx.clock.advance(**delta)
    return step


def until(hour, minute):
    """Move the clock to hour:minute UTC of the clock's day (Shanghai's midnight is 16:00 UTC)."""
    async def step(ctx, w):
        now = ctx.clock.now()
        ctx.clock.advance(seconds=(now.replace(hour=hour, minute=minute, second=0, microsecond=0) - now).total_seconds())
    return step


def top_up(user, amount):
    async def step(ctx, w):
        await cards.top_up(ctx, key=f"more-{user}-{amount}", user_id=user, card_id=w["cards"][user],
                           amount=amount, pin=PIN)
    return step


def unbind(user):
    async def step(ctx, w):
        await cards.unbind_card(ctx, key=f"unbind-{user}", user_id=user, card_id=w["cards"][user], pin=PIN)
    return step


def freeze(user):
    async def step(ctx, w):
        await people.freeze(ctx, key=f"freeze-{user}", user_id=user)
    return step


def do(act):
    async def step(ctx, w):
        await act(ctx, w)
    return step


def packet(amount):
    async def step(ctx, w):
        await red_packets.create(ctx, key="rp", sender_id=S, kind="lucky", amount=amount, shares=2, pin=None,
                                 pin_checked=True)
    return step


CASES = {
    # --- send ---
    "send ok": ([], send()),
    "send with a note": ([], send(note="dinner 🍜")),
    "send delayed 2 h": ([], send(delay_seconds=7200)),
    "send all the balance": ([], send(10_000)),
    "send to oneself": ([], send(recipient=S)),
    "send zero": ([], send(0)),
    "send a float": ([], send(1.5)),
    "send with a delay not offered": ([], send(delay_seconds=60)),
    "send from a frozen wallet": ([freeze(S)], send()),
    "send to a frozen wallet": ([freeze(R)], send()),
    "send to an unverified wallet": ([unbind(R)], send()),
    "send from an unverified wallet": ([unbind(S)], send()),
    "send to nobody": ([], send(recipient=NOBODY)),
    "send more than the balance": ([], send(10_001)),
    "send past the daily cap": ([top_up(S, 20_000), setup_send(amount=8_000)], send(5_000)),
    "send up to the daily cap": ([top_up(S, 20_000), setup_send(amount=8_000)], send(4_000)),
    "send past the daily cap after a red packet": ([top_up(S, 20_000), packet(10_000)], send(3_000)),
    "send past the yearly cap": ([top_up(S, 40_000), setup_send("a", 11_000), advance(days=1),
                                  setup_send("b", 11_000), advance(days=1)], send(9_000)),
    "send after midnight in Shanghai": ([top_up(S, 20_000), until(15, 30), setup_send(amount=11_000),
                                         until(16, 0)], send(11_000)),
    "send just before midnight in Shanghai": ([top_up(S, 20_000), until(15, 30), setup_send(amount=11_000),
                                               until(15, 59)], send(11_000)),
    "send replayed": ([do(send())], send()),
    "send with a used key, other amount": ([do(send())], send(200)),
    "send with a bad key": ([], send(key="")),
    # --- accept ---
    "accept ok": ([setup_send()], accept()),
    "accept a transfer with a note": ([setup_send(note="dinner 🍜")], accept()),
    "accept by a stranger": ([setup_send()], accept(user=X)),
    "accept by the sender": ([setup_send()], accept(user=S)),
    "accept an unknown transfer": ([], accept()),
    "accept twice": ([setup_send(), do(accept(key="first"))], accept()),
    "accept replayed": ([setup_send(), do(accept())], accept()),
    "accept a returned transfer": ([setup_send(), do(lambda ctx, w: transfers.give_back(
        ctx, key="back", user_id=R, transfer_id=w["t"]))], accept()),
    "accept an expired transfer": ([setup_send(), advance(hours=25)], accept()),
    "accept a refunded transfer": ([setup_send(), advance(hours=25), do(lambda ctx, w: transfers.expire_due(ctx))],
                                   accept()),
    "accept before a delayed arrival": ([setup_send(delay_seconds=7200)], accept()),
    "accept after a delayed arrival": ([setup_send(delay_seconds=7200), advance(hours=2)], accept()),
    "accept into an unverified wallet": ([setup_send(), unbind(R)], accept()),
    "accept into a frozen wallet": ([setup_send(), freeze(R)], accept()),
}


async def _people(ctx) -> dict:
    await bootstrap(ctx)
    w = {"cards": {}}
    for uid, balance in ((S, 10_000), (R, 0), (X, 1_000)):
        w["cards"][uid] = (await make_person(ctx, uid, balance=balance))["card_id"]
    return w


async def _fresh_world(engine, world: str):
    """The three people on a database of their own, ids from 1 again: on PostgreSQL made anew
    on the truncated tables; on SQLite a copy of the same world made once per process for each
    path and mode (``world``; tests/worlds.py), with the sandbox bank and the clock it was made with."""
    if BACKEND != "postgres":
        async def build(url):
            copy_sqlite_schema(Path(url.removeprefix("sqlite+aiosqlite:///")))
            ctx = make_context(create_engine(url), **RULES)
            return ctx, await _people(ctx)
        return await copy_of_world(f"same-outcome-{world}", build, engine)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    ctx = make_context(engine, **RULES)
    return ctx, await _people(ctx)


async def _run(engine, monkeypatch, case, fast: bool, mode: str):
    monkeypatch.setattr(FAST, "FAST_PATH", fast)
    if mode == "batch statements":
        monkeypatch.setattr(FAST, "BATCH_OF_ONE", True)
    elif mode != "as configured":
        monkeypatch.setattr(FAST, "GROUP_COMMIT", mode == "grouped")
    served = []
    for name in ("send", "accept"):
        real = getattr(FAST, name)

        async def spy(*args, _real=real, **kwargs):
            result = await _real(*args, **kwargs)
            served.append(result is not None)
            return result
        monkeypatch.setattr(FAST, name, spy)
    ctx, w = await _fresh_world(engine, f"{'fast' if fast else 'general'}-{mode}")
    steps, act = case
    for step in steps:
        await step(ctx, w)
    served.clear()
    try:
        answer = ("ok", await act(ctx, w))
    except WalletError as exc:
        answer = ("error", exc.code, exc.data())
    balances = {uid: await wallet_balance(ctx, uid) for uid in (S, R, X)}
    notices = [(n["user_id"], n["msgid"], json.loads(n["params"])) for n in await outbox.pending(ctx)]
    rows = await _rows(engine)
    if mode == "batch statements":
        rows = _any_escrow_shard(rows)
    return (answer, balances, notices, rows), served


def _any_escrow_shard(rows: dict) -> dict:
    """The batch statements hold a batch's money in one escrow shard taken in turn (so batches in
    flight lock different rows), the general path in the sender's: which shard is a placement, not
    a rule. Compare with every escrow shard as one account (its rows named, its balance summed)."""
    escrow = {a["id"] for a in rows["accounts"] if a["code"] == "transfer_escrow"}

    def named(v):
        return "transfer_escrow" if v in escrow else v
    out = dict(rows)
    out["transfers"] = [{**t, "escrow_account_id": named(t["escrow_account_id"])} for t in rows["transfers"]]
    out["entries"] = [{**e, "account_id": named(e["account_id"])} for e in rows["entries"]]
    out["accounts"] = [a for a in rows["accounts"] if a["id"] not in escrow] + [
        {"code": "transfer_escrow", "balance": sum(a["balance"] for a in rows["accounts"] if a["id"] in escrow)}]
    return out


# every row a send or an accept writes, as stored (a JSON text compared as the value it holds)
_ROWS = {"transfers": "id", "journal": "id", "entries": "id", "operations": "key", "outbox": "id", "accounts": "id"}


async def _rows(engine) -> dict:
    out = {}
    async with engine.connect() as conn:
        for table, order in _ROWS.items():
            rows = (await conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))).mappings().all()
            out[table] = [{k: json.loads(v) if k in ("result", "params") and v else v for k, v in r.items()}
                          for r in rows]
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(CASES))
async def test_fast_and_general_paths_end_the_same(engine, monkeypatch, name, mode):
    fast, served = await _run(engine, monkeypatch, CASES[name], fast=True, mode=mode)
    general, _ = await _run(engine, monkeypatch, CASES[name], fast=False, mode=mode)
    assert fast == general
    if fast[0][0] == "ok" and "replayed" not in name:
        assert served == [True], f"{name}: the fast path did not serve it ({served})"
