"""Settings of the running bot, from the environment (prefix WALLET_; the token also as TELEGRAM_BOT_TOKEN)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
# The development PII key: NOT secret. With a real Telegram token the bot refuses to start with it.
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMTIzNDU="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WALLET_", extra="ignore", env_file=".env")

    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'data' / 'wallet.db'}"
    # SQLite durability for money: FULL by default (NORMAL only for benchmarks).
    sqlite_synchronous: str = "FULL"
    # Key for PII at rest (Fernet, urlsafe base64 of 32 bytes). The dev default is NOT secret.
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "WALLET_TELEGRAM_BOT_TOKEN")
    )
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    emulator_host: str = "127.0.0.1"
    emulator_port: int = 8080
    log_level: str = "INFO"
    # the sandbox bank keeps its holders and operations here, so a restart still knows them
    sandbox_bank_path: Path = ROOT / "data" / "sandbox_bank.json"
    # how often the expiry sweeps and the bank reconciliation run (JobQueue)
    sweep_interval_seconds: int = 60
    # how often the outbox of notices is drained (each notice is written with its money event)
    outbox_interval_seconds: float = 1.0
    # Telegram user ids of the admins who handle abnormal-transaction tickets:
    # WALLET_ADMIN_IDS="111,222" (or a JSON list)
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # the risk engine (wallet/risk; thresholds and weights in wallet/risk/settings.toml, or the
    # file WALLET_RISK_SETTINGS names): WALLET_RISK_ENGINE=0 switches it off
    risk_engine: bool = True

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value):
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
        return value
