"""Composition of the wallet domain for the running bot: engine, rules, PII box, bank, SMS."""
from __future__ import annotations

from wallet.risk import settings as risk_settings
from wallet.bank import SandboxBank
from wallet.bootstrap import bootstrap
from wallet.clock import SystemClock
from wallet.context import Context
from wallet.db import create_engine
from wallet.pii import PiiBox
from wallet.rules import Rules
from wallet.sms import HttpInboxSms, SandboxSms, SmsGateway
from wallet.services import claim_fastpath

from bot.settings import Settings


class E164Sms:
    """Hands numbers to the gateway in E.164 (``+86…``), as an SMS gateway takes them: the local
    messenger's phone inbox is keyed by the number its people were created with (``+8613…``)."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    async def send(self, phone: str, text: str) -> None:
        if len(phone) == 11 and phone.isdigit():
            phone = "+86" + phone
        await self.gateway.send(phone, text)


def build_wallet(settings: Settings, *, sms_inbox_url: str | None = None, clock=None) -> Context:
    """The wallet Context. With ``sms_inbox_url`` (the local messenger) codes are delivered to
    the emulator's phone inbox; otherwise they stay in the in-process sandbox."""
    sms: SmsGateway = E164Sms(HttpInboxSms(sms_inbox_url)) if sms_inbox_url else SandboxSms()
    return Context(
        engine=create_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous),
        rules=Rules(),
        pii=PiiBox(settings.pii_key.get_secret_value()),
        bank=SandboxBank(settings.sandbox_bank_path, secret=settings.pii_key.get_secret_value()),
        sms=sms,
        clock=clock or SystemClock(),
        risk=risk_settings.load() if settings.risk_engine else None,
        admin_ids=tuple(settings.admin_ids),
    )


CLAIM_WARM_CONNECTIONS = 4


async def start_wallet(ctx: Context) -> None:
    await bootstrap(ctx)
    # PostgreSQL: plan the red-packet claim statement on a few pooled connections before the
    # first storm (a new backend's first runs of it cost 15-20 ms; bench/notes/30-claims.md)
    await claim_fastpath.warm(ctx, CLAIM_WARM_CONNECTIONS)


async def stop_wallet(ctx: Context) -> None:
    await ctx.engine.dispose()
