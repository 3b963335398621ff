"""Scheduled alerts: who is due for what, and sending each exactly once.

Alerts (each outside the person's quiet hours, default 22:00-08:00 local):
- ``low_balance``: the wallet balance is below the person's threshold (off until set); at most
  once a local day.
- ``weekly``: Monday 09:00 local, the past week's money in and out, the biggest items and the
  transfers waiting for them; more than a day late it is recorded and skipped, not sent.
- ``expiring``: a transfer waiting for its recipient is refunded in less than 2 hours; when those
  2 hours fall (all but under half an hour) inside the recipient's quiet hours, in the 2 hours
  before those quiet hours begin instead (earlier rather than never).
- ``tip``: a security tip, daily or weekly (default) or off, at a minute of the daytime window
  drawn from the person and the period (every process draws the same), never the same tip twice
  in a row.
- ``pin_age``: the PIN is older than the person's setting (default 180 days), once per 30 days.
- ``arrived``: a delayed transfer (2 h / 24 h) has arrived and waits for its recipient's Accept;
  money arriving, so quiet hours do not hold it. A transfer revoked before it arrives is no longer
  pending and is never announced.

Exactly once: ``alerts_sent`` has a unique key (alert, person, period), and its row is written in
the same transaction as the alert's outbox notice, so two processes never both send and a
restart catches up what it missed once. Money arriving and security events are notices of the
outbox (wallet/outbox.py), not alerts: quiet hours do not hold them.
"""
from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, tuple_

from wallet import outbox
from wallet.context import Context
from wallet.models import TRANSFER_PENDING, accounts, alert_prefs, alerts_sent, transfers, users
from wallet.services import bills
from wallet.services.alert_prefs import DEFAULTS, prefs_of
from wallet.uow import insert_ignore, internal_key, read, transaction

log = logging.getLogger("wallet.alerts")

TIP_COUNT = 24  # tip.01 .. tip.24 in chat/locales/*/LC_MESSAGES/tips.po
TIP_WINDOW = (10 * 60, 20 * 60)  # the daytime window of tips, local minutes [start, end)
WEEKLY_AT = time(9, 0)  # Monday, local
WEEKLY_LATE = timedelta(days=1)
EXPIRING_BEFORE = timedelta(hours=2)
EXPIRING_AWAKE = timedelta(minutes=30)  # less of those 2 h outside quiet hours: remind before them
PIN_AGE_REPEAT_DAYS = 30
LOOKUP_BATCH = 1_000  # (alert, person, period) triples looked up per statement (3 parameters each)


# --- periods -------------------------------------------------------------------------------
def in_quiet(minute: int, start: int | None, end: int | None) -> bool:
    """Is ``minute`` (after local midnight) inside quiet hours [start, end) (may wrap midnight)?"""
    if start is None or end is None:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _quiet_span(at: datetime, start: int | None, end: int | None) -> tuple[datetime, datetime] | None:
    """The quiet hours holding the local time ``at`` as (start, end) local datetimes, or None."""
    minute = at.hour * 60 + at.minute
    if not in_quiet(minute, start, end):
        return None
    day = at.date()
    if start < end or minute >= start:
        begins = datetime.combine(day, time(start // 60, start % 60), tzinfo=at.tzinfo)
    else:  # after midnight, inside quiet hours that began the evening before
        begins = datetime.combine(day - timedelta(days=1), time(start // 60, start % 60), tzinfo=at.tzinfo)
    ends = datetime.combine(begins.date(), time(end // 60, end % 60), tzinfo=at.tzinfo)
    if ends <= begins:
        ends += timedelta(days=1)
    return begins, ends


def expiring_due(local_now: datetime, expires: datetime, start: int | None, end: int | None) -> bool:
    """Is the reminder of a transfer refunded at ``expires`` due at ``local_now`` (both in the
    recipient's zone) for quiet hours [start, end)? In the last 2 hours before the refund, outside
    quiet hours; if less than half an hour of them is outside quiet hours, also in the 2 hours
    before those quiet hours begin."""
    if in_quiet(local_now.hour * 60 + local_now.minute, start, end) or local_now >= expires:
        return False
    window = expires - EXPIRING_BEFORE
    if local_now >= window:
        return True
    span = _quiet_span(window.astimezone(expires.tzinfo), start, end)
    if span is None or expires - span[1] >= EXPIRING_AWAKE:
        return False  # enough of the last 2 hours is outside quiet hours: reminded then
    return local_now >= span[0] - EXPIRING_BEFORE


def _draw(*parts: object) -> int:
    """A number every process draws alike for the same parts (the tip slot of a period)."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def tip_slot(user_id: int, frequency: str, local_day: date) -> tuple[str, date, int]:
    """(period, the local day, the local minute) of the person's tip in the period holding
    ``local_day``: daily, a minute of that day's window; weekly, a day of that week too."""
    span = TIP_WINDOW[1] - TIP_WINDOW[0]
    if frequency == "daily":
        period = f"d{local_day.isoformat()}"
        return period, local_day, TIP_WINDOW[0] + _draw(user_id, period) % span
    monday = local_day - timedelta(days=local_day.weekday())
    period = f"w{monday.isoformat()}"
    drawn = _draw(user_id, period)
    return period, monday + timedelta(days=drawn % 7), TIP_WINDOW[0] + (drawn // 7) % span


def weekly_start(local: datetime) -> datetime:
    """This week's Monday 09:00 in the zone of ``local``."""
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, WEEKLY_AT, tzinfo=local.tzinfo)


@dataclass
class Due:
    alert: str
    user_id: int
    period: str
    msgid: str
    params: dict = field(default_factory=dict)
    skip: bool = False  # record the period without sending (a late weekly summary)
    week: tuple[datetime, datetime] | None = None  # weekly: the week summarised (UTC)


def due_for(person, prefs_: dict, now: datetime) -> list[Due]:
    """The alerts due for one person at ``now`` (before looking at what was already sent)."""
    tz = ZoneInfo(person.timezone or "Asia/Shanghai")
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    quiet = in_quiet(minute, prefs_["quiet_start"], prefs_["quiet_end"])
    out: list[Due] = []
    uid = person.id
    threshold = prefs_["low_balance"]
    if threshold is not None and person.balance < threshold and not quiet:
        out.append(Due("low_balance", uid, local.date().isoformat(), "alert.low_balance",
                       {"amount": int(person.balance), "threshold_amount": int(threshold),
                        "button": ["alert.button.topup", outbox.action("home.topup")]}))
    at = weekly_start(local)
    if local >= at and person.created_at < at:
        late = now - at > WEEKLY_LATE
        if late or not quiet:
            start = at.astimezone(now.tzinfo) - timedelta(days=7)
            out.append(Due("weekly", uid, at.date().isoformat(), "alert.weekly", skip=late,
                           week=(start, at.astimezone(now.tzinfo))))
    if prefs_["tips"] != "off" and not quiet:
        period, day, slot = tip_slot(uid, prefs_["tips"], local.date())
        at_slot = datetime.combine(day, time(slot // 60, slot % 60), tzinfo=tz)
        # from its minute on (a round that came late, or a restart, still sends it that day or
        # week, outside quiet hours); not for a wallet opened after it
        if local >= at_slot > person.created_at:
            out.append(Due("tip", uid, period, "alert.tip"))
    days = prefs_["pin_age_days"]
    if days is not None and person.pin_hash is not None and not quiet:
        set_at = person.pin_set_at or person.created_at
        age = (now - set_at).days
        if age >= days:
            bucket = (age - days) // PIN_AGE_REPEAT_DAYS
            out.append(Due("pin_age", uid, f"{set_at:%Y%m%d%H%M%S}:{bucket}", "alert.pin_age", {"days": age}))
    return out


# --- who is due, and sending ---------------------------------------------------------------
async def _candidates(ctx: Context, now: datetime) -> list[Due]:
    async def body(conn):
        rows = (await conn.execute(
            select(users.c.id, users.c.timezone, users.c.created_at, users.c.pin_set_at, users.c.pin_hash,
                   accounts.c.balance, alert_prefs.c.low_balance, alert_prefs.c.tips, alert_prefs.c.quiet_start,
                   alert_prefs.c.quiet_end, alert_prefs.c.pin_age_days, alert_prefs.c.last_tip)
            .join(accounts, and_(accounts.c.user_id == users.c.id, accounts.c.kind == "wallet"))
            .outerjoin(alert_prefs, alert_prefs.c.user_id == users.c.id)
            .where(users.c.blocked_bot.is_(False)))).all()
        dues: list[Due] = []
        zones = {}
        for r in rows:
            dues.extend(due_for(r, prefs_of(r), now))
            zones[r.id] = r.timezone
        soon = (await conn.execute(
            select(transfers.c.id, transfers.c.recipient_id, transfers.c.sender_id, transfers.c.amount,
                   transfers.c.expires_at)
            .where(and_(TRANSFER_PENDING, transfers.c.recipient_id.is_not(None),
                        transfers.c.arrive_at <= now, transfers.c.expires_at > now,
                        # the 2 h before quiet hours that hold the last 2 h: up to a day earlier
                        transfers.c.expires_at <= now + EXPIRING_BEFORE + timedelta(days=1))))).all()
        arrived = (await conn.execute(
            select(transfers.c.id, transfers.c.recipient_id, transfers.c.sender_id, transfers.c.amount,
                   transfers.c.expires_at)
            .where(and_(TRANSFER_PENDING, transfers.c.recipient_id.is_not(None),
                        transfers.c.arrive_at > transfers.c.created_at, transfers.c.arrive_at <= now,
                        transfers.c.expires_at > now)))).all()
        for t in arrived:
            if t.recipient_id in zones:  # not if they blocked the bot, or have no wallet
                expires = t.expires_at.astimezone(ZoneInfo(zones[t.recipient_id] or "Asia/Shanghai"))
                dues.append(Due("arrived", t.recipient_id, str(t.id), "alert.arrived",
                                {"amount": int(t.amount), "counterparty_id": int(t.sender_id),
                                 "time": f"{expires:%m-%d %H:%M}"}))
        quiet = {r.id: (r.quiet_start, r.quiet_end) if r.tips is not None else
                 (DEFAULTS["quiet_start"], DEFAULTS["quiet_end"]) for r in rows}
        for t in soon:
            if t.recipient_id not in zones:
                continue  # blocked the bot, or no wallet
            local = now.astimezone(ZoneInfo(zones[t.recipient_id] or "Asia/Shanghai"))
            expires = t.expires_at.astimezone(local.tzinfo)
            if not expiring_due(local, expires, *quiet[t.recipient_id]):
                continue
            dues.append(Due("expiring", t.recipient_id, str(t.id), "alert.expiring",
                            {"amount": int(t.amount), "counterparty_id": int(t.sender_id),
                             "time": f"{expires:%H:%M}"}))
        if not dues:
            return []
        done: set[tuple] = set()
        for i in range(0, len(dues), LOOKUP_BATCH):  # bound the statement's parameters
            done.update((await conn.execute(
                select(alerts_sent.c.alert, alerts_sent.c.user_id, alerts_sent.c.period)
                .where(tuple_(alerts_sent.c.alert, alerts_sent.c.user_id, alerts_sent.c.period)
                       .in_([(d.alert, d.user_id, d.period) for d in dues[i:i + LOOKUP_BATCH]])))).all())
        return [d for d in dues if (d.alert, d.user_id, d.period) not in done]
    return await read(ctx, body)


async def _weekly_params(ctx: Context, conn, d: Due) -> dict:
    lines = await bills.lines_between(conn, ctx, d.user_id, *d.week)
    summary = bills.summarize(lines)
    params = {"in_amount": summary["total_in"], "out_amount": summary["total_out"], "count": summary["count"]}
    for direction, sign in (("in", 1), ("out", -1)):
        items = [ln for ln in lines if ln["amount"] * sign > 0]
        big = max(items, key=lambda ln: (abs(ln["amount"]), ln["journal_id"]), default=None)
        params[f"big_{direction}_amount"] = abs(big["amount"]) if big else 0
        params[f"big_{direction}_group_msgid"] = f"bill.group.{big['group']}" if big else "alert.nothing"
    waiting, waiting_sum = (await conn.execute(
        select(func.count(), func.coalesce(func.sum(transfers.c.amount), 0))
        .where(and_(transfers.c.recipient_id == d.user_id, TRANSFER_PENDING)))).one()
    params["waiting"], params["waiting_amount"] = int(waiting), int(waiting_sum)
    # the bill chart of the month the week ended in (the wallet's time zone: bills.month_range)
    params["chart_month"] = (d.week[1] - timedelta(seconds=1)).astimezone(ZoneInfo(ctx.rules.timezone)).strftime("%Y-%m")
    return params


def _rng(ctx: Context):
    return ctx.rng or random.SystemRandom()


async def _send(ctx: Context, d: Due, now: datetime) -> bool:
    """Record the period and queue the notice in one transaction; False if already recorded."""
    async def body(conn):
        res = await conn.execute(insert_ignore(conn, alerts_sent, alert=d.alert, user_id=d.user_id, period=d.period,
                                               sent=not d.skip, created_at=now))
        if res.rowcount != 1:
            return False
        if d.skip:
            log.info("alert=%s user=%s period=%s skipped (late)", d.alert, d.user_id, d.period)
            return True
        params = dict(d.params)
        if d.alert == "weekly":
            params.update(await _weekly_params(ctx, conn, d))
        elif d.alert == "tip":
            last = (await conn.execute(select(alert_prefs.c.last_tip)
                                       .where(alert_prefs.c.user_id == d.user_id))).scalar_one_or_none()
            tip = _rng(ctx).choice([n for n in range(1, TIP_COUNT + 1) if n != last])
            await conn.execute(insert_ignore(conn, alert_prefs, user_id=d.user_id,
                                             **{k: v for k, v in DEFAULTS.items() if k != "last_tip"}))
            await conn.execute(alert_prefs.update().where(alert_prefs.c.user_id == d.user_id).values(last_tip=tip))
            params["tip_msgid"] = tip_msgid(tip)
        await outbox.enqueue(conn, key=internal_key("alert", d.alert, d.user_id, d.period), user_id=d.user_id,
                             msgid=d.msgid, now=now, **params)
        log.info("alert=%s user=%s period=%s queued", d.alert, d.user_id, d.period)
        return True
    return await transaction(ctx, body)


def tip_msgid(n: int) -> str:
    return f"tip.{n:02d}"


def random_tip(ctx: Context, not_this: int | None = None) -> int:
    return _rng(ctx).choice([n for n in range(1, TIP_COUNT + 1) if n != not_this])


async def run_due(ctx: Context) -> list[dict]:
    """One round: every alert due now is recorded (and queued to the outbox) once. Safe to run
    in several processes at once; returns what this round recorded."""
    now = ctx.now()
    done = []
    for d in await _candidates(ctx, now):
        try:
            if await _send(ctx, d, now):
                done.append({"alert": d.alert, "user_id": d.user_id, "period": d.period, "sent": not d.skip})
        except Exception:  # one person's alert does not stop the others; the next round tries again
            log.exception("alert=%s user=%s period=%s failed", d.alert, d.user_id, d.period)
    return done


async def sent(ctx: Context) -> list[dict]:
    """Every recorded alert (tests and the operator)."""
    async def body(conn):
        rows = await conn.execute(select(alerts_sent).order_by(alerts_sent.c.id))
        return [dict(r._mapping) for r in rows]
    return await read(ctx, body)
