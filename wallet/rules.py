"""Product rules (DESIGN §3). Every number is a setting: WALLET_<NAME> in the environment."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Rules(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WALLET_", extra="ignore", frozen=True)

    # payment PIN
    pin_length: int = 6
    pin_max_tries: int = 5
    pin_lock_seconds: int = 3 * 3600
    bcrypt_cost: int = 12
    # a PIN check still "in flight" after this long is taken for one that died (a crash between
    # reserving its try and settling it): its try counts as wrong
    pin_check_stale_seconds: int = 60

    # SMS codes
    sms_code_ttl_seconds: int = 300
    sms_code_max_tries: int = 5
    sms_resend_seconds: int = 60

    # the largest amount any single operation may move (fen): ¥100,000,000.00
    max_amount: int = 100_000_000_00

    # transfers
    transfer_expiry_seconds: int = 24 * 3600
    transfer_delay_choices_seconds: tuple[int, ...] = (2 * 3600, 24 * 3600)
    # a transfer's note (转账说明), in characters; longer is refused
    transfer_note_max: int = 100

    # red packets (amounts in fen)
    red_packet_max_total: int = 20_000
    red_packet_max_shares: int = 100
    red_packet_min_share: int = 1
    red_packet_expiry_seconds: int = 24 * 3600
    # the greeting (祝福语) on the card, in characters: short like WeChat's; longer is refused
    red_packet_greeting_max: int = 64

    # withdrawal fee
    withdraw_free_quota: int = 100_000  # lifetime, fen
    withdraw_fee_per_mille: int = 1  # 0.1 %
    withdraw_fee_min: int = 10  # ¥0.10

    # real-name tiers: caps in fen; tier 0 = no verified card (cannot pay or receive)
    daily_cap_verified: int = 5_000_000
    yearly_cap_verified: int = 20_000_000_00

    # the wallet's calendar (daily caps, bills by month, interest days)
    timezone: str = "Asia/Shanghai"

    # savings
    savings_annual_rate_bp: int = 180  # basis points, 1.80 %

    # bank operations: how long one may stay unknown before reconciliation must settle it
    bank_reconcile_seconds: int = 15 * 60

    # hot system accounts are split in shards so concurrent postings do not queue on one row
    system_account_shards: int = 8
