"""The python-telegram-bot Application with every handler added.

To add a chat flow: write ``handlers/<feature>.py`` with ``register(app)`` and add it to FLOWS
below (order matters only for handlers that could match the same update: earlier wins).
"""
from __future__ import annotations

import logging

from telegram.ext import Application, ApplicationBuilder

from bot.persistence import DatabasePersistence, context_types
from bot.rate_limit import WalletRateLimiter
from bot.settings import DEV_PII_KEY, Settings
from bot.updates import PerPersonUpdateProcessor
from bot.wallet import build_wallet, start_wallet, stop_wallet
from handlers.cards import menu as cards
from handlers.home import callbacks as home_buttons
from handlers.home import screen as home
from handlers.inline import query as inline
from handlers.onboarding import flow as onboarding
from handlers.shop import pay
from handlers.shop import receive
from handlers.red_packet import hongbao as red_packet
from handlers.red_packet import card as red_packet_card
from handlers.red_packet import confirm as red_packet_confirm
from handlers.security import menu as security
from handlers.shop import menu as shop
from handlers.start import help as start
from handlers.topup_withdraw import topup
from handlers.transfer import flow as transfer
from handlers.transfer import card as transfer_card
from handlers.transfer import card_press as transfer_card_press
from handlers.transfer import inline as transfer_inline
from handlers.topup_withdraw import withdraw
from handlers.bills import listing as bills
from handlers.tickets import callbacks as ticket_buttons
from handlers.tickets import report as tickets
from handlers.tickets import admin as tickets_admin
from handlers.tickets import admin_freeze as tickets_admin_freeze
from handlers.risk import callbacks as risk_buttons
from handlers.risk import holds as risk_admin
from handlers.settings import menu as settings_flow
from handlers import fallback
from handlers.start import blocked
from handlers.alerts import settings as settings_alerts
from handlers.alerts import tip
from chat.i18n import load_all
from handlers.ui import common, failure, keypad
from jobs import alerts, outbox, shop_summary, sweeps
from jobs import ticket_notices

log = logging.getLogger("bot.app")

# Each flow module's register(app), in order. Flows add their line here.
FLOWS = [
    tickets_admin.register_reply,  # an admin's reply to a report: their next text, whatever else waits
    red_packet_confirm.register,  # /start hb_<nonce>: a red packet's PIN (and shortfall choices) in private
    red_packet.register,   # /hongbao in groups, rp:* cards
    transfer_inline.register,  # /start tfi_<nonce>: an inline transfer card's confirm and PIN
    transfer_card_press.register,  # tf:acc|ret|rev|take:<id> card buttons, /start tf_<id> (group -1)
    inline.register,       # the inline query and chosen result: inline transfers and red packets
    pay.register,          # /start pay_<code>: pay a shop or a receive code (before onboarding)
    onboarding.register,   # /start for a newcomer: open a wallet
    home.register,         # /start and /wallet once open; home:<feature> buttons
    start.register,        # /help
    topup.register,        # /topup, home:topup
    withdraw.register,     # /withdraw, home:withdraw
    transfer.register,     # /transfer (private, group reply), home:transfer, transfer cards
    cards.register,        # /cards /bind, home:cards
    settings_flow.register,  # /settings, home:settings
    settings_alerts.register,  # alr:* alert settings (from /settings)
    tip.register,          # /tip: a security tip now
    blocked.register,      # my_chat_member: the person blocked / unblocked the bot
    security.register,     # /security /freeze /unfreeze /pin /forgotpin /tips, home:security
    shop.register,         # /shop, home:pay, shop:* screens, collection codes
    receive.register,      # /receive: the personal receive code
    bills.register,        # /bills, home:bills, bill:* list/detail/summary/export
    tickets.register,      # /report /tickets, ticket:* (a bill's "I don't recognise this"): reports
    tickets_admin_freeze.register,  # tka:freeze/freezeok/freezeno: an admin freezes the counterparty
    tickets_admin.register,  # tka:* admin buttons on reports (resolve, evidence, show; the rest refused)
    risk_admin.register,   # /risk, risk:* (admins): held payments released or returned, recent freezes
]

MAX_CONCURRENT_UPDATES = 64


class UnsafeSettings(RuntimeError):
    """The settings are not fit for real people's data."""


def check_real_world(settings: Settings) -> None:
    """With a real Telegram token, refuse the development PII key."""
    if settings.telegram_bot_token is not None and settings.pii_key.get_secret_value() == DEV_PII_KEY:
        raise UnsafeSettings(
            "refusing to start: TELEGRAM_BOT_TOKEN is set but WALLET_PII_KEY is the development default, "
            "which is not secret. Make a key of your own with\n"
            "  python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'\n"
            "and set WALLET_PII_KEY to it (keep it safe: phone and ID numbers cannot be read without it).")


def build_application(settings: Settings, base_url: str | None = None, base_file_url: str | None = None,
                      token: str | None = None, sms_inbox_url: str | None = None) -> Application:
    """Build the bot. `base_url`/`base_file_url` point it at a Bot API server other than Telegram
    (the local emulator); `token` overrides the settings' token (the emulator's own token);
    `sms_inbox_url` delivers the sandbox SMS codes to the emulator's phone inbox."""
    load_all()
    if token is None:
        check_real_world(settings)
    secret = token or (settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None)
    if not secret:
        raise ValueError("no bot token: set TELEGRAM_BOT_TOKEN, or run on the local emulator")
    wallet = build_wallet(settings, sms_inbox_url=sms_inbox_url)
    persistence = DatabasePersistence(wallet, live_bot_data={"settings": settings, "wallet": wallet})
    # every request at Telegram's limits (30/s overall, 20/min per group); a 429 is not retried
    # here but handed back, so the outbox reschedules the notice after its retry_after; a callback
    # query answered before (a re-delivered update) is not an error (bot/rate_limit.py)
    builder: ApplicationBuilder = (Application.builder().token(secret)
                                   .rate_limiter(WalletRateLimiter(max_retries=0))
                                   .persistence(persistence).context_types(context_types())
                                   .concurrent_updates(PerPersonUpdateProcessor(MAX_CONCURRENT_UPDATES))
                                   .post_init(_post_init).post_shutdown(_post_shutdown))
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["wallet"] = wallet
    failure.register(app)    # the error handler; every update's record of the operations it asks for
    fallback.register_gate(app)  # presses whose data breaks the grammar (or an id's bounds) stop here
    for register in FLOWS:
        register(app)
    # catch-alls, after every flow: home:<feature> presses no flow took, /cancel outside a flow
    home.register_last(app)
    keypad.register(app)   # presses on PIN keypads no flow waits for
    common.register(app)
    fallback.register(app)  # last: whatever no flow took still gets an answer
    sweeps.register(app, settings.sweep_interval_seconds)
    sweeps.after("transfers", transfer_card.on_refunded)   # a refunded transfer's card says so
    sweeps.after("red_packets", red_packet_card.on_expired)  # an expired packet's card says so
    outbox.register(app, settings.outbox_interval_seconds)
    outbox.actions(home_buttons.OUTBOX_ACTIONS)    # the notices' buttons (an alert's "Top up")
    outbox.actions(ticket_buttons.OUTBOX_ACTIONS)  # a report's notices: View, the admins' card
    outbox.actions(risk_buttons.OUTBOX_ACTIONS)    # a held payment's notice to the admins: Release, Return
    shop_summary.register(app, settings.sweep_interval_seconds)
    ticket_notices.register(app, settings.outbox_interval_seconds)
    alerts.register(app, settings.sweep_interval_seconds)
    return app


async def _post_init(app: Application) -> None:
    await start_wallet(app.bot_data["wallet"])
    await start.set_commands(app)
    log.warning("SANDBOX: the bank and the SMS gateway are simulated (sandbox test cards, codes in the "
                "local phone inbox); no real money moves and no real bank is asked.")


async def _post_shutdown(app: Application) -> None:
    await stop_wallet(app.bot_data["wallet"])
