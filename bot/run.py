"""`wallet-bot run`: the bot on the local messenger (no token), on Telegram (token), or behind a webhook.

- No TELEGRAM_BOT_TOKEN: start the emulator on WALLET_EMULATOR_HOST:WALLET_EMULATOR_PORT, seed
  Alice, Bob, Carol and a group into its (empty, in-memory) world, long-poll it with
  python-telegram-bot and print the web chat's address. With WALLET_WEBHOOK_URL (e.g.
  http://127.0.0.1:8443/hook, and WALLET_WEBHOOK_LISTEN / WALLET_WEBHOOK_PORT to match) the bot
  serves a webhook instead and the emulator delivers to it, as Telegram would.
- A token: long-poll Telegram.
- A token and WALLET_WEBHOOK_URL: serve a webhook with a secret token (WALLET_WEBHOOK_SECRET, or a
  random one), listening on WALLET_WEBHOOK_LISTEN (0.0.0.0) : WALLET_WEBHOOK_PORT (8443).
Ctrl-C (or SIGTERM) stops everything cleanly.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from urllib.parse import urlparse

from bot.app import UnsafeSettings, build_application, check_real_world
from bot.logging import setup_logging
from bot.settings import Settings

log = logging.getLogger("bot.run")


def migrate(settings: Settings) -> None:
    try:
        from wallet.migrate import upgrade_head
    except ImportError:
        log.info("no wallet.migrate yet: skipping database migrations")
        return
    upgrade_head(settings.database_url)


def run(settings: Settings) -> int:
    setup_logging(settings.log_level)
    if settings.telegram_bot_token is None:
        try:
            asyncio.run(run_local(settings))
        except KeyboardInterrupt:
            pass
        return 0
    try:
        check_real_world(settings)
    except UnsafeSettings as exc:
        log.error("%s", exc)
        return 2
    migrate(settings)
    app = build_application(settings)
    if settings.webhook_url:
        app.run_webhook(**webhook_arguments(settings))
    else:
        app.run_polling(allowed_updates=None)
    return 0


def webhook_arguments(settings: Settings) -> dict:
    """How the bot serves its webhook: WALLET_WEBHOOK_URL, a secret token (WALLET_WEBHOOK_SECRET, or a
    random one each run), listening on WALLET_WEBHOOK_LISTEN:WALLET_WEBHOOK_PORT. Pending updates are
    kept (never dropped), so a restart loses none."""
    assert settings.webhook_url
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    return {"listen": settings.webhook_listen, "port": settings.webhook_port,
            "url_path": urlparse(settings.webhook_url).path.lstrip("/"), "webhook_url": settings.webhook_url,
            "secret_token": secret, "allowed_updates": None, "drop_pending_updates": False}


async def start_receiving(app, settings: Settings, *, poll_timeout: int = 10) -> None:
    """Start taking updates on a built, started Application: a webhook with WALLET_WEBHOOK_URL,
    else long polling."""
    if settings.webhook_url:
        await app.updater.start_webhook(**webhook_arguments(settings))
    else:
        await app.updater.start_polling(timeout=poll_timeout, allowed_updates=None)


async def run_local(settings: Settings, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> None:
    """Emulator + bot in one event loop until `stop` is set (or SIGINT/SIGTERM)."""
    from emulator import start_emulator
    from emulator.seed import seed_demo

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    await asyncio.to_thread(migrate, settings)  # Alembic runs its own event loop
    runner = await start_emulator(settings.emulator_host, settings.emulator_port)
    try:
        seed_demo(runner.world)
        app = build_application(settings, base_url=runner.bot_base_url, base_file_url=runner.file_base_url,
                                token=runner.token, sms_inbox_url=f"{runner.url}/control/sms")
        async with app:
            if app.post_init is not None:
                await app.post_init(app)  # run_polling would call it; here we drive the app ourselves
            await app.start()
            await start_receiving(app, settings)
            how = f" (webhook {settings.webhook_url})" if settings.webhook_url else ""
            print(f"\n  Wallet bot is running on the local messenger{how}.\n"
                  f"  Open the web chat: {runner.url}/\n  Press Ctrl-C to stop.\n", flush=True)
            if ready is not None:
                ready.set()
            await stop.wait()
            log.info("stopping")
            await app.updater.stop()
            await app.stop()
        await app.post_shutdown(app)  # run_polling would call it after shutdown
    finally:
        await runner.cleanup()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
