"""Webhook delivery, as Telegram's Bot API server does it (telegram-bot-api's WebhookActor).

While a webhook is set, every pending update is POSTed as JSON to its URL, with the header
`X-Telegram-Bot-Api-Secret-Token` when a secret was given. A 2xx answer confirms the update (an
answer that is a Bot API call, `{"method": "sendMessage", ...}`, is executed, as Telegram does);
anything else, a refused connection or a timeout is an error: `getWebhookInfo` shows it as
`last_error_date` / `last_error_message`, and the update is sent again — at once after the first
failure, then after 2, 4, 8 … seconds, at most `World.webhook_max_retry_delay` (60 s), or after the
`Retry-After` the webhook answered. One update is in flight per queue (a chat's messages, a chat's
membership changes, one user's callback queries, one user's inline queries …), so a chat's updates
arrive in order; at most `max_connections` are in flight in all.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import time
from typing import Any

import aiohttp

from emulator.world import World

log = logging.getLogger("emulator.webhook")

REQUEST_TIMEOUT = 30.0


class WebhookSender:
    def __init__(self, world: World) -> None:
        self.world = world
        self.tasks: dict[int, asyncio.Task] = {}
        self.retry: dict[int, tuple[int, float, float]] = {}  # update_id -> (failures, delay, due)
        self.session: aiohttp.ClientSession | None = None

    async def run(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        try:
            while not self.world.closing:
                await self.world.wait_change(self._dispatch())
        finally:
            for task in list(self.tasks.values()):
                task.cancel()
            for task in list(self.tasks.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.session.close()

    def _dispatch(self) -> float:
        """Start what may be sent now; returns how long to sleep at most before looking again."""
        world, hook = self.world, self.world.webhook
        known = {u["update_id"] for u in world.updates}
        for uid in [u for u in self.retry if u not in known]:
            del self.retry[uid]  # confirmed, dropped or reset meanwhile
        if hook is None:
            return 1.0
        world.filter_allowed()
        now = time.monotonic()
        sleep = 1.0
        blocked: set[tuple] = set()
        for update in list(world.updates):
            uid = update["update_id"]
            queue = world.update_queues.get(uid, ("update", uid))
            if queue in blocked:
                continue
            blocked.add(queue)  # whatever happens to this one, the rest of its queue waits
            if uid in self.tasks:
                continue
            due = self.retry.get(uid, (0, 0.0, 0.0))[2]
            if due > now:
                sleep = min(sleep, due - now)
                continue
            if len(self.tasks) >= hook["max_connections"]:
                break
            self.tasks[uid] = asyncio.create_task(self._deliver(dict(hook), update))
            world.webhook_in_flight.add(uid)
        return max(0.01, sleep)

    async def _deliver(self, hook: dict, update: dict) -> None:
        uid = update["update_id"]
        headers = {"Content-Type": "application/json"}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        error, retry_after, reply = None, 0, None
        try:
            assert self.session is not None
            async with self.session.post(hook["url"], data=json.dumps(update), headers=headers) as res:
                body = await res.read()
                if 200 <= res.status <= 299:
                    reply = _reply_call(res.headers.get("Content-Type", ""), body)
                else:
                    error = f"Wrong response from the webhook: {res.status} {res.reason}"
                    retry_after = _int(res.headers.get("Retry-After"))
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientConnectorError as exc:
            refused = getattr(exc, "os_error", None) and exc.os_error.errno == errno.ECONNREFUSED
            error = "Connection refused" if refused else f"Failed to connect: {exc.os_error or exc}"
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"Webhook connection closed: {exc}"
        finally:
            self.tasks.pop(uid, None)
            self.world.webhook_in_flight.discard(uid)
        if error is None:
            self.retry.pop(uid, None)
            self.world.webhook_delivered += 1
            self.world.confirm(uid)
            if reply is not None:
                await self._execute(reply)
            return
        failures, delay, _ = self.retry.get(uid, (0, 1.0, 0.0))
        if retry_after:
            wait = float(retry_after)
        elif failures == 0:
            wait = 0.0  # the first failure is retried at once, then 2, 4, 8 ... seconds
        else:
            delay = min(self.world.webhook_max_retry_delay, delay * 2)
            wait = delay
        self.retry[uid] = (failures + 1, delay, time.monotonic() + wait)
        if self.world.webhook is not None and self.world.webhook["url"] == hook["url"]:
            self.world.webhook_error = (int(time.time()), error)
        log.info("webhook delivery of update %s failed (%s); next try in %.1f s", uid, error, wait)
        self.world._changed()

    async def _execute(self, call: dict[str, Any]) -> None:
        """A Bot API call given as the webhook's answer (its result goes nowhere, as on Telegram)."""
        from emulator.botapi import METHODS, Params
        from emulator.world import ApiError

        fn = METHODS.get(str(call.get("method", "")).lower())
        if fn is None:
            return
        try:
            await fn(self.world, Params({k: v for k, v in call.items() if k != "method"}))
        except ApiError as err:
            log.info("the webhook's answer %s failed: %s", call.get("method"), err.description)


def _reply_call(content_type: str, body: bytes) -> dict | None:
    if "json" not in content_type or not body:
        return None
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("method"), str):
        return None
    name = data["method"].lower()
    if name in ("deletewebhook", "setwebhook", "close", "logout") or name.startswith("get"):
        return None
    return data


def _int(value: str | None) -> int:
    try:
        return max(0, min(3600, int(value or 0)))
    except ValueError:
        return 0
