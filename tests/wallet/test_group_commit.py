"""The group-commit engine alone (wallet.group_commit): no database, a ``run`` that records its
batches. Requests come from concurrent tasks (asyncio.gather), as they do from the bot."""
from __future__ import annotations

import asyncio

import pytest

from wallet.group_commit import RUN, GroupCommit, of_this_loop, take_batch


class Recorder:
    """A ``run`` that records each batch and answers ``x * 10`` for each request ``x``; it gives
    the loop ``pause`` turns while "in the database", so requests queue behind it."""

    def __init__(self, pause: int = 1, fail=lambda batch: False):
        self.batches: list[list] = []
        self.pause, self.fail = pause, fail
        self.inside = self.most_inside = 0

    async def __call__(self, batch: list) -> list:
        self.batches.append(list(batch))
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            for _ in range(self.pause):
                await asyncio.sleep(0)
            if self.fail(batch):
                raise RuntimeError("the batch failed as a whole")
            return [x * 10 for x in batch]
        finally:
            self.inside -= 1


async def test_concurrent_requests_share_batches_and_each_gets_its_own_answer():
    run = Recorder()
    engine = GroupCommit(run, failed=None, limit=64)
    answers = await asyncio.gather(*(engine.submit(x) for x in range(1, 11)))
    assert answers == [x * 10 for x in range(1, 11)]
    # the first request started a drain, which took everything queued by its first turn
    assert run.batches == [list(range(1, 11))]
    assert engine.running == 0 and not engine.queue and not engine.tasks
    # a lone request never waits for a timer; one that comes while a batch is in the database
    # goes in the next batch, with all the others that came meanwhile
    run.pause = 2
    first = asyncio.ensure_future(engine.submit(100))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # 100 is in the database
    assert await asyncio.gather(first, *(engine.submit(x) for x in (4, 5, 6))) == [1000, 40, 50, 60]
    assert run.batches[1:] == [[100], [4, 5, 6]]


async def test_limit_bounds_a_batch_and_order_is_kept():
    run = Recorder()
    engine = GroupCommit(run, failed=None, limit=3)
    answers = await asyncio.gather(*(engine.submit(x) for x in range(1, 9)))
    assert answers == [x * 10 for x in range(1, 9)]
    assert run.batches == [[1, 2, 3], [4, 5, 6], [7, 8]]


async def test_marks_keep_conflicting_requests_apart_and_in_order():
    """Requests are (payer, n): no two of one payer in a batch; a held-back request keeps its
    place before the later ones of its payer, and other payers' requests are not held back."""
    run = Recorder()
    engine = GroupCommit(lambda batch: run([n for _, n in batch]), failed=None, limit=64,
                         marks=lambda r: [("payer", r[0])])
    requests = [("a", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5), ("b", 6)]
    answers = await asyncio.gather(*(engine.submit(r) for r in requests))
    assert answers == [10, 20, 30, 40, 50, 60]
    assert run.batches == [[1, 3, 5], [2, 6], [4]]
    for batch in run.batches:
        payers = [p for p, n in requests if n in batch]
        assert len(payers) == len(set(payers))


def test_take_batch_leaves_the_rest_in_order():
    queue = [({"k": k, "p": p}, i) for i, (k, p) in enumerate([(1, "a"), (2, "a"), (1, "b"), (3, "c"), (4, "d")])]
    batch, rest = take_batch(queue, lambda r: [("k", r["k"]), ("p", r["p"])], limit=2)
    assert [i for _, i in batch] == [0, 3] and [i for _, i in rest] == [1, 2, 4]


async def test_a_lone_request_gets_the_lone_answer_without_running():
    run = Recorder()
    engine = GroupCommit(run, failed="failed", limit=64, lone=lambda r: ("alone", r))
    assert await engine.submit(7) == ("alone", 7)
    assert run.batches == []
    assert await asyncio.gather(engine.submit(1), engine.submit(2)) == [10, 20]  # not alone: a batch
    assert run.batches == [[1, 2]]


async def test_lone_may_ask_to_run_a_batch_of_one_all_the_same():
    run = Recorder()
    engine = GroupCommit(run, failed=None, limit=64, lone=lambda r: RUN)
    assert await engine.submit(4) == 40
    assert run.batches == [[4]]


async def test_a_batch_that_fails_as_a_whole_answers_failed_to_each_and_the_next_runs():
    run = Recorder(fail=lambda batch: 3 in batch)
    engine = GroupCommit(run, failed="again", limit=64)
    first = asyncio.ensure_future(engine.submit(1))
    await asyncio.sleep(0)  # 1 is in the database; 2, 3, 4 queue behind it
    rest = asyncio.gather(*(engine.submit(x) for x in (2, 3, 4)))
    assert await first == 10
    assert await rest == ["again", "again", "again"]
    assert await engine.submit(5) == 50  # the engine goes on
    assert run.batches == [[1], [2, 3, 4], [5]]


async def test_a_run_answering_the_wrong_number_counts_as_a_failed_batch():
    async def short(batch):
        return batch[:-1]
    engine = GroupCommit(short, failed="again", limit=64, lone=lambda r: RUN)
    assert await engine.submit(1) == "again"


async def test_in_flight_bounds_the_batches_running_at_once():
    run = Recorder(pause=5)
    engine = GroupCommit(run, failed=None, limit=2, in_flight=2)
    answers = await asyncio.gather(*(engine.submit(x) for x in range(1, 13)))
    assert answers == [x * 10 for x in range(1, 13)]
    assert run.most_inside == 2  # two at once, never more
    assert run.batches == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
    assert engine.running == 0 and not engine.tasks

    one = Recorder(pause=5)
    engine = GroupCommit(one, failed=None, limit=2, in_flight=1)
    await asyncio.gather(*(engine.submit(x) for x in range(1, 13)))
    assert one.most_inside == 1 and len(one.batches) == 6


async def test_turn_lets_the_callers_just_answered_join_the_next_batch():
    """With a turn of the loop after each batch, the callers just answered queue their next
    request in time for the next batch, together with the one already waiting (9); without it
    the waiting one goes alone."""
    for turn, expected in ((True, [[0, 1], [9, 2, 3]]), (False, [[0, 1], [9], [2, 3]])):
        run = Recorder(pause=1)
        engine = GroupCommit(run, failed=None, limit=64, turn=turn)

        async def caller(x):
            await engine.submit(x)
            await engine.submit(x + 2)

        async def late():
            await asyncio.sleep(0)  # comes while [0, 1] is in the database
            await engine.submit(9)
        await asyncio.gather(caller(0), caller(1), late())
        assert run.batches == expected, (turn, run.batches)


async def test_a_cancelled_drain_leaves_no_waiter_hanging():
    started = asyncio.Event()

    async def stuck(batch):
        started.set()
        await asyncio.Event().wait()  # never answers: the database hangs, the loop closes
    engine = GroupCommit(stuck, failed=None, limit=1)
    held = [asyncio.ensure_future(engine.submit(x)) for x in (1, 2, 3)]
    await started.wait()
    (drain,) = engine.tasks
    drain.cancel()
    with pytest.raises(asyncio.CancelledError):
        await drain
    for waiter in held:  # the one in the batch and the two still queued
        with pytest.raises(RuntimeError, match="interrupted"):
            await asyncio.wait_for(waiter, 1)
    assert engine.running == 0 and not engine.queue and not engine.tasks


async def test_a_cancelled_waiter_does_not_stop_the_others():
    run = Recorder(pause=3)
    engine = GroupCommit(run, failed=None, limit=64)
    first = asyncio.ensure_future(engine.submit(1))
    await asyncio.sleep(0)
    gone = asyncio.ensure_future(engine.submit(2))
    kept = asyncio.ensure_future(engine.submit(3))
    await asyncio.sleep(0)
    gone.cancel()
    assert await first == 10 and await kept == 30
    assert gone.cancelled()


async def test_of_this_loop_keeps_an_engine_to_the_loop_that_made_it():
    made = []

    def make():
        made.append(GroupCommit(Recorder(), failed=None, limit=1))
        return made[-1]
    engine = of_this_loop(None, make)
    assert of_this_loop(engine, make) is engine and len(made) == 1

    other: list = []

    def in_another_loop():
        async def go():
            other.append(of_this_loop(engine, make))
        asyncio.run(go())
    await asyncio.get_running_loop().run_in_executor(None, in_another_loop)
    assert other[0] is not engine and len(made) == 2
