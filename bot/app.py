"""The python-telegram-bot Application with every handler added."""
from __future__ import annotations

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.settings import Settings
from bot.wallet import build_wallet, start_wallet, stop_wallet
from jobs import outbox, sweeps
from handlers import start
from handlers.i18n import load_all


def build_application(settings: Settings, base_url: str | None = None, base_file_url: str | None = None,
                      token: str | None = None, sms_inbox_url: str | None = None) -> Application:
    """Build the bot. `base_url`/`base_file_url` point it at a Bot API server other than Telegram
    (the local emulator); `token` overrides the settings' token (the emulator's own token);
    `sms_inbox_url` delivers the sandbox SMS codes to the emulator's phone inbox."""
    load_all()
    secret = token or (settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None)
    if not secret:
        raise ValueError("no bot token: set TELEGRAM_BOT_TOKEN, or run on the local emulator")
    # every request at Telegram's limits (30/s overall, 20/min per group); a 429 is not retried
    # here but handed back, so the outbox reschedules the notice after its retry_after
    builder: ApplicationBuilder = (Application.builder().token(secret)
                                   .rate_limiter(AIORateLimiter(max_retries=0))
                                   .post_init(_post_init).post_shutdown(_post_shutdown))
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["wallet"] = build_wallet(settings, sms_inbox_url=sms_inbox_url)
    start.register(app)
    sweeps.register(app, settings.sweep_interval_seconds)
    outbox.register(app, settings.outbox_interval_seconds)
    return app


async def _post_init(app: Application) -> None:
    await start_wallet(app.bot_data["wallet"])
    await start.set_commands(app)


async def _post_shutdown(app: Application) -> None:
    await stop_wallet(app.bot_data["wallet"])
