"""Group commit: concurrent requests of one event loop share one batch (one transaction, one
statement, one commit), each with its own answer. The one engine of every path that batches
writes: the SQLite fast path (``sqlite_hop.group``: a batch is one write transaction, each
request in its own savepoint), and the PostgreSQL batch statements of transfers
(``services.transfer_fastpath``) and of red-packet claims (``services.claim_fastpath``).

A path gives ``run(batch) -> answers`` (async; one answer per request, in the batch's order) and
its policies; the engine queues, forms the batches and answers:
- batches form by themselves: ``submit`` starts a drain when fewer than ``in_flight`` are
  running; each drain takes up to ``limit`` queued requests, runs them, answers them, and takes
  the next batch while any request waits. A lone request never waits for a timer;
- ``marks(request)``: what two requests of one batch may not share (a key, a payer, a transfer,
  a packet and person...); a request that shares a mark with an earlier one of the batch waits
  for a later batch, in its order;
- ``lone(request)``: the answer to a request alone in its batch, without running it (e.g. "run
  your single statement"); ``RUN``, or no ``lone`` at all: it runs as a batch of one;
- ``failed``: the answer to each request of a batch whose ``run`` raised (failed as a whole);
- ``turn``: one turn of the event loop after each batch, so the callers just answered may queue
  their next request and share the next batch with those already waiting.
Interrupted (the drain cancelled: the loop is closing), the requests it held and, if no other
drain is left to take them, those still queued, fail with RuntimeError: no waiter hangs.

Nothing here decides anything about money: the batch's own statement or transaction does."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Generic, Hashable, Iterable, TypeVar

log = logging.getLogger("wallet.group_commit")
R = TypeVar("R")  # a request
A = TypeVar("A")  # its answer
Q = TypeVar("Q")
E = TypeVar("E", bound="GroupCommit")

RUN: Any = object()  # what ``lone`` returns to run a lone request as a batch of one all the same


def take_batch(queue: list[tuple[Q, Any]], marks: Callable[[Q], Iterable[Hashable]],
               limit: int) -> tuple[list, list]:
    """(batch, rest): at most ``limit`` queued requests, no two sharing a mark (a key, a payer, a
    transfer, a packet and person...); the others wait for the next batch, in their order."""
    batch, rest, seen = [], [], set()
    for item in queue:
        m = set(marks(item[0]))
        if len(batch) < limit and not (m & seen):
            batch.append(item)
            seen |= m
        else:
            rest.append(item)
    return batch, rest


class GroupCommit(Generic[R, A]):
    """Queues the requests of the event loop that made it and runs them in batches."""

    def __init__(self, run: Callable[[list[R]], Awaitable[list[A]]], *, failed: A, limit: int,
                 marks: Callable[[R], Iterable[Hashable]] | None = None, in_flight: int = 1,
                 lone: Callable[[R], A] | None = None, turn: bool = False, name: str = "group commit"):
        if limit < 1 or in_flight < 1:
            raise ValueError("a batch takes at least one request, and at least one batch runs")
        self.run, self.failed, self.limit, self.marks = run, failed, limit, marks
        self.in_flight, self.lone, self.turn, self.name = in_flight, lone, turn, name
        self.loop = asyncio.get_running_loop()
        self.queue: list[tuple[R, asyncio.Future]] = []
        self.running = 0
        self.tasks: set[asyncio.Task] = set()  # kept: a task without a reference may be collected

    async def submit(self, request: R) -> A:
        """``request``'s answer, once its batch ran."""
        fut = self.loop.create_future()
        self.queue.append((request, fut))
        if self.running < self.in_flight:
            self.running += 1
            task = self.loop.create_task(self._drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await fut

    def _take(self) -> list[tuple[R, asyncio.Future]]:
        if self.marks is None:
            batch, self.queue = self.queue[:self.limit], self.queue[self.limit:]
        else:
            batch, self.queue = take_batch(self.queue, self.marks, self.limit)
        return batch

    async def _answers(self, requests: list[R]) -> list[A]:
        if len(requests) == 1 and self.lone is not None:
            answer = self.lone(requests[0])
            if answer is not RUN:
                return [answer]
        try:
            answers = list(await self.run(requests))
            if len(answers) != len(requests):
                raise RuntimeError(f"{len(answers)} answers to a batch of {len(requests)}")
            return answers
        except Exception:
            log.info("%s: a batch of %d failed as a whole; answered %r each", self.name, len(requests),
                     self.failed, exc_info=True)
            return [self.failed] * len(requests)

    async def _drain(self) -> None:
        try:
            while self.queue:
                batch = self._take()
                answers = None
                try:
                    answers = await self._answers([request for request, _ in batch])
                finally:
                    if answers is None:  # interrupted: do not leave its waiters hanging
                        _interrupt(batch)
                for (_, fut), answer in zip(batch, answers):
                    if not fut.done():
                        fut.set_result(answer)
                if self.turn:
                    await asyncio.sleep(0)
        except BaseException:
            if self.running == 1:  # no other drain is left to take the queued ones
                rest, self.queue = self.queue, []
                _interrupt(rest)
            raise
        finally:
            self.running -= 1


def _interrupt(items: list[tuple[Any, asyncio.Future]]) -> None:
    for _, fut in items:
        if not fut.done():
            fut.set_exception(RuntimeError("group commit interrupted"))


def of_this_loop(engine: E | None, make: Callable[[], E]) -> E:
    """``engine`` if the running event loop made it, else a new one (an engine's futures and
    tasks belong to one loop)."""
    if engine is not None and engine.loop is asyncio.get_running_loop():
        return engine
    return make()
