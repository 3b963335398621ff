"""The wallet bot as a process of its own, long-polling the emulator named by the environment, until
it is killed (tests/e2e/test_outbox_kill.py kills it with SIGKILL). Settings come from WALLET_*;
WALLET_TEST_EMULATOR_URL / _BOT_BASE_URL / _FILE_BASE_URL / _TOKEN name the emulator.

``WALLET_TEST_KILL_AFTER=<module>:<function>`` (an async function the handlers call through its
module, e.g. ``wallet.services.merchants:pay``): the process kills itself with SIGKILL as soon as
the first call of it has returned, i.e. after its transaction committed and before the handler
that called it says anything (tests/e2e/test_pin_replay_restart.py)."""
from __future__ import annotations

import asyncio
import functools
import importlib
import os
import signal


def kill_after(target: str) -> None:
    """Wrap ``module:function`` so that the process dies (SIGKILL: no cleanup, no persistence flush)
    once a call of it returns."""
    module_name, name = target.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name)

    @functools.wraps(original)
    async def then_die(*args, **kwargs):
        result = await original(*args, **kwargs)
        print(f"killing myself after {target}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, name, then_die)


async def main() -> None:
    from bot.app import build_application
    from bot.settings import Settings

    env = os.environ
    if env.get("WALLET_TEST_KILL_AFTER"):
        kill_after(env["WALLET_TEST_KILL_AFTER"])
    app = build_application(Settings(), base_url=env["WALLET_TEST_BOT_BASE_URL"],
                            base_file_url=env["WALLET_TEST_FILE_BASE_URL"], token=env["WALLET_TEST_TOKEN"],
                            sms_inbox_url=f"{env['WALLET_TEST_EMULATOR_URL']}/control/sms")
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(timeout=5, poll_interval=0)
        print("bot ready", flush=True)
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main())
