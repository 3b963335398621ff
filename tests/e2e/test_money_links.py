"""The transfer's and the red packet's deep links and buttons, at their bounds (issue 21, finding 4):
``/start tf_<id>`` with digits no database integer holds is answered like any transfer that is not
the person's (on PostgreSQL it raised DataError: the id went to an int32 column), and presses that
name no button of the feature get the feature's own refusal or the catch-all, never silence."""
from __future__ import annotations

import logging

from tests.e2e.flows import bot, opened  # noqa: F401 (bot: the fixture)
from tests.e2e.test_transfer import crafted


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "handlers.failure" and r.levelno >= logging.ERROR]


async def test_a_transfer_link_with_an_id_out_of_bounds_is_not_theirs(bot, ctx, bob, caplog):
    await opened(ctx, bob)
    for payload in ("tf_2147483648", "tf_999999999999"):
        await bob.send(f"/start {payload}")
        await bob.expect(contains="another person's transfer")
    assert not _failures(caplog)


async def test_presses_that_name_no_transfer_button_are_answered(bot, ctx, alice, caplog):
    await opened(ctx, alice, balance=1_000)
    await alice.send("/wallet")
    await alice.expect(contains="零钱")
    for data in ("tf:take:x1", "tf:acc:1:2:3", "tf:zzz:1", "tf:ok:0:123456"):
        answer = await crafted(bot, alice, data)
        assert answer.show_alert and answer.text, data
    assert not _failures(caplog)
