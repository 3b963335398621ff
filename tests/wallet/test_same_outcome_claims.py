"""One set of rules for red-packet claims: every rule case of ``red_packets.claim`` runs on
PostgreSQL through the one-statement fast path (``claim_fastpath``) and through the general
path, each on a fresh database, and must end the same — the same answer or the same error (code
and data), the same balances, the same notices, the same packet, claims, journal and stored
operations. A rule changed in one path only fails here. (SQLite has the general path alone.)"""
from __future__ import annotations

import asyncio
import json
import random

import pytest
from sqlalchemy import select, text

from tests.conftest import BACKEND, make_context
from tests.wallet.helpers import make_person, wallet_balance
from tests.wallet.test_same_outcome import advance, freeze, unbind  # the same steps
from wallet import outbox
from wallet.bootstrap import bootstrap
from wallet.errors import RedPacketEmpty, WalletError
from wallet.models import (entries, journal, metadata, operations, red_packet_claims, red_packet_shares,
                           red_packets)
from wallet.services import claim_fastpath, red_packets as rp
from wallet.uow import read

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the fast path is PostgreSQL's")

S, R, X, U, NOBODY = 801, 802, 803, 804, 899  # U: a wallet without a verified card
PEOPLE = (S, R, X)


def make(name="p", kind="lucky", amount=1_000, shares=3, exclusive=None, sender=S, greeting="恭喜发财"):
    async def step(ctx, w):
        p = await rp.create(ctx, key=f"make-{name}", sender_id=sender, kind=kind, amount=amount, shares=shares,
                            pin=None, pin_checked=True, exclusive_user_id=exclusive, greeting=greeting)
        w[name] = p["packet_id"]
    return step


def claim(*, key="c", user=R, packet="p"):
    async def act(ctx, w):
        return await rp.claim(ctx, key=key, packet_id=w.get(packet, 424242), user_id=user)
    return act


def do(act):
    async def step(ctx, w):
        await act(ctx, w)
    return step


def sweep():
    async def step(ctx, w):
        await rp.expire_due(ctx)
    return step


# name: (steps, the claim, the outcome both paths must give: "ok" or the error's code)
CASES = {
    # --- a share is taken ---
    "claim a lucky share": ([make()], claim(), "ok"),
    "claim an equal share": ([make(kind="equal", amount=250, shares=4)], claim(), "ok"),
    "claim without a greeting": ([make(greeting=None)], claim(), "ok"),
    "claim the last share, closing the packet": ([make(shares=2), do(claim(key="x", user=X))], claim(), "ok"),
    "claim the only share": ([make(shares=1)], claim(), "ok"),
    "claim the last equal share": ([make(kind="equal", amount=100, shares=2), do(claim(key="x", user=X))], claim(),
                                   "ok"),
    "claim an exclusive packet by its person": ([make(kind="exclusive", shares=1, exclusive=R)], claim(), "ok"),
    "the sender claims a share of their own packet": ([make()], claim(user=S), "ok"),
    "a frozen wallet still receives a share": ([make(), freeze(R)], claim(), "ok"),
    "claim just before the expiry": ([make(), advance(hours=23, minutes=59)], claim(), "ok"),
    "claim the second of two packets": ([make("a"), make("p"), do(claim(key="x", packet="a"))], claim(), "ok"),
    # --- replays ---
    "claim replayed": ([make(), do(claim())], claim(), "ok"),
    "the last share replayed": ([make(shares=2), do(claim(key="x", user=X)), do(claim())], claim(), "ok"),
    "claim replayed after the packet was emptied": ([make(shares=2), do(claim()), do(claim(key="x", user=X))],
                                                    claim(), "ok"),
    "claim replayed after the expiry": ([make(), do(claim()), advance(hours=25)], claim(), "ok"),
    "a used key for another packet": ([make("a"), make("p"), do(claim(packet="a"))], claim(), "idempotency_conflict"),
    # --- errors ---
    "claim an unknown packet": ([], claim(), "red_packet_not_found"),
    "claim an exclusive packet for someone else": ([make(kind="exclusive", shares=1, exclusive=X)], claim(),
                                                   "not_for_you"),
    "the sender claims their exclusive packet": ([make(kind="exclusive", shares=1, exclusive=X)], claim(user=S),
                                                 "not_for_you"),
    "claim twice with another key": ([make(), do(claim(key="first"))], claim(), "already_claimed"),
    "claim an emptied packet": ([make(shares=1), do(claim(key="x", user=X))], claim(), "red_packet_empty"),
    "claim an emptied packet one already had a share of": ([make(shares=2), do(claim(key="first")),
                                                           do(claim(key="x", user=X))], claim(), "already_claimed"),
    "claim an expired packet not yet swept": ([make(), advance(hours=24)], claim(), "red_packet_expired"),
    "claim an expired, refunded packet": ([make(), advance(hours=25), sweep()], claim(), "red_packet_expired"),
    "claim an expired packet one had a share of": ([make(), do(claim(key="first")), advance(hours=25), sweep()],
                                                   claim(), "already_claimed"),
    "claim an emptied packet past its expiry": ([make(shares=1), do(claim(key="x", user=X)), advance(hours=25)],
                                                claim(), "red_packet_empty"),
    "claim an expired exclusive packet for someone else": ([make(kind="exclusive", shares=1, exclusive=X),
                                                            advance(hours=25)], claim(), "not_for_you"),
    "claim into an unverified wallet": ([make(), unbind(R)], claim(), "not_verified"),
    "claim into a wallet never verified": ([make()], claim(user=U), "not_verified"),
    "claim without a wallet": ([make()], claim(user=NOBODY), "wallet_not_open"),
    "claim an emptied packet without a wallet": ([make(shares=1), do(claim(key="x", user=X))], claim(user=NOBODY),
                                                 "red_packet_empty"),
    "claim an unknown packet without a wallet": ([], claim(user=NOBODY), "red_packet_not_found"),
    "claim with an empty key": ([make()], claim(key=""), "invalid_key"),
    "claim with a key too long": ([make()], claim(key="k" * 161), "invalid_key"),
}


async def _fresh_world(engine):
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    ctx = make_context(engine)
    ctx.rng = random.Random(13)  # the same lucky split in both worlds
    await bootstrap(ctx)
    w = {"cards": {}}
    for uid, balance in ((S, 10_000), (R, 0), (X, 1_000)):
        w["cards"][uid] = (await make_person(ctx, uid, balance=balance))["card_id"]
    await make_person(ctx, U, verified=False)
    return ctx, w


async def _state(ctx):
    """Everything a claim writes, without the database's own ids (a declined batch may use some)."""
    async def body(conn):
        packets = [dict(r._mapping) for r in (await conn.execute(select(red_packets).order_by(red_packets.c.id)))]
        claims = [tuple(r) for r in await conn.execute(
            select(red_packet_claims.c.packet_id, red_packet_claims.c.seq, red_packet_claims.c.user_id,
                   red_packet_claims.c.amount, red_packet_claims.c.created_at, journal.c.idem_key)
            .join(journal, journal.c.id == red_packet_claims.c.tx_id).order_by(red_packet_claims.c.id))]
        legs = {}
        for r in await conn.execute(select(entries.c.tx_id, entries.c.account_id, entries.c.amount)):
            legs.setdefault(r.tx_id, []).append((r.account_id, r.amount))
        posted = [(r.idem_key, r.kind, r.user_id, r.counterparty_id, r.note, r.ref_type, r.ref_id, r.created_at,
                   sorted(legs.get(r.id, []))) for r in await conn.execute(select(journal).order_by(journal.c.id))]
        ops = [(r.key, r.op, r.user_id, r.request_hash, r.created_at, json.loads(r.result) if r.result else r.result)
               for r in await conn.execute(select(operations).order_by(operations.c.key))]
        return {"packets": packets, "claims": claims, "journal": posted, "operations": ops}
    return await read(ctx, body)


async def _run(engine, monkeypatch, case, fast: bool):
    monkeypatch.setattr(claim_fastpath, "FAST_PATH", fast)
    served = []
    real = claim_fastpath.claim

    async def spy(*args, **kwargs):
        try:
            result = await real(*args, **kwargs)
        except WalletError:
            served.append("answered")
            raise
        served.append("served" if result is not None else "declined")
        return result
    monkeypatch.setattr(claim_fastpath, "claim", spy)
    ctx, w = await _fresh_world(engine)
    steps, act, _ = case
    for step in steps:
        await step(ctx, w)
    served.clear()
    try:
        answer = ("ok", await act(ctx, w))
    except WalletError as exc:
        answer = ("error", exc.code, exc.data())
    balances = {uid: await wallet_balance(ctx, uid) for uid in (*PEOPLE, U)}
    notices = [(n["user_id"], n["msgid"], json.loads(n["params"])) for n in await outbox.pending(ctx)]
    return (answer, balances, notices, await _state(ctx)), served


@pytest.mark.parametrize("name", list(CASES))
async def test_claim_fast_and_general_paths_end_the_same(engine, monkeypatch, name):
    fast, served = await _run(engine, monkeypatch, CASES[name], fast=True); print("SERVED", name, served)
    general, _ = await _run(engine, monkeypatch, CASES[name], fast=False)
    for part, a, b in zip(("answer", "balances", "notices", "state"), fast, general):
        assert a == b, f"{name}: the {part} differs between the fast and the general path"
    assert (fast[0][0] if fast[0][0] == "ok" else fast[0][1]) == CASES[name][2]
    if fast[0][0] == "ok" and "replayed" not in name:
        assert served == ["served"], f"{name}: the fast path did not serve it ({served})"


def test_every_error_a_claim_can_raise_has_a_case():
    """Each error of wallet/errors.py that ``claim`` can raise, and success, is a case above."""
    raised = {"ok", "red_packet_not_found", "not_for_you", "already_claimed", "red_packet_empty",
              "red_packet_expired", "wallet_not_open", "not_verified", "idempotency_conflict", "invalid_key"}
    assert raised <= {expected for _, _, expected in CASES.values()}


async def test_batched_claims_each_answer_their_own_share(engine, database_url, monkeypatch):
    """Real concurrency, two pools (as two processes would), three packets: each answer of a
    batched claim is that claim's own — its share row, its replay, and the packet as it stood
    right after it (claimed count = its share number, claimed amount = the shares up to it)."""
    from tests.wallet.test_red_packet_concurrency import verified_claimers
    from wallet.db import create_engine

    ctx, w = await _fresh_world(engine)
    claimers = list(range(2_000, 2_120))
    await verified_claimers(ctx, claimers)
    sizes = []
    real = claim_fastpath._execute

    async def counting(c, ps):
        sizes.append(len(ps))
        return await real(c, ps)
    monkeypatch.setattr(claim_fastpath, "_execute", counting)
    for name, shares in (("a", 30), ("b", 50), ("c", 1)):
        await make(name, amount=3_000, shares=shares)(ctx, w)
    other_engine = create_engine(database_url, pool_size=8, max_overflow=0)
    other = make_context(other_engine)
    other.rng = ctx.rng
    try:
        calls = [rp.claim(c, key=f"k{uid}-{name}", packet_id=w[name], user_id=uid)
                 for i, uid in enumerate(claimers) for name in ("a", "b", "c")
                 for c in ((ctx, other)[i % 2],)]
        results = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await other_engine.dispose()
    wins = [r for r in results if isinstance(r, dict)]
    assert all(isinstance(r, (dict, RedPacketEmpty)) for r in results), [r for r in results if not isinstance(
        r, (dict, RedPacketEmpty))][:3]
    assert len(wins) == 81
    assert max(sizes) > 1, sizes  # the claims were batched

    async def body(conn):
        shares = {(r.packet_id, r.seq): r.amount for r in await conn.execute(select(red_packet_shares))}
        claimed = {(r.packet_id, r.user_id): r.seq for r in await conn.execute(select(red_packet_claims))}
        return shares, claimed
    shares, claimed = await read(ctx, body)
    for r in wins:
        pid, seq = r["packet_id"], r["seq"]
        assert claimed[(pid, r["claimer_id"])] == seq and r["amount"] == shares[(pid, seq)]
        assert r["claimed_count"] == seq
        assert r["claimed_amount"] == sum(shares[(pid, s)] for s in range(1, seq + 1))
        assert r["remaining_amount"] == 3_000 - r["claimed_amount"]
        assert r["last"] == (seq == r["shares"]) and (r["status"] == "finished") == r["last"]
        assert (r["closed_at"] is not None) == r["last"]
        assert r == await rp.claim(ctx, key=f"k{r['claimer_id']}-{'abc'[[w['a'], w['b'], w['c']].index(pid)]}",
                                   packet_id=pid, user_id=r["claimer_id"])
    assert await audit_ok(ctx)


async def audit_ok(ctx) -> bool:
    from tests.wallet.helpers import audit_failures
    failures = await audit_failures(ctx)
    assert not failures, failures
    return True
