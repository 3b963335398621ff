"""The wallet bot as a process of its own, long-polling the emulator named by the environment, until
it is killed (tests/e2e/test_outbox_kill.py kills it with SIGKILL). Settings come from WALLET_*;
WALLET_TEST_EMULATOR_URL / _BOT_BASE_URL / _FILE_BASE_URL / _TOKEN name the emulator."""
from __future__ import annotations

import asyncio
import os


async def main() -> None:
    from bot.app import build_application
    from bot.settings import Settings

    env = os.environ
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
