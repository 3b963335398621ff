"""The risk engine's thresholds and weights, read from one TOML file (``settings.toml`` beside
this module, or the file named by ``WALLET_RISK_SETTINGS``). Frozen pydantic models: a change of
the file needs no code, and nothing changes them at run time. Unknown keys are refused, so a
misspelt setting fails at start instead of silently keeping its default."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_PATH = Path(__file__).with_name("settings.toml")
ENV_VAR = "WALLET_RISK_SETTINGS"
# the operations the engine watches (money going out of a person's wallet)
KINDS = ("transfer", "red_packet", "pay", "withdraw")

NonNeg = Annotated[int, Field(ge=0)]
Fen = NonNeg  # an amount in fen
Weight = Annotated[int, Field(ge=0)]
Seconds = Annotated[int, Field(gt=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _known(kinds: tuple[str, ...]) -> None:
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown operation kinds {sorted(unknown)}; known: {list(KINDS)}")


class _Kinds(_Frozen):
    """A rule that watches only some kinds of operation."""
    kinds: tuple[str, ...]

    @model_validator(mode="after")
    def _known_kinds(self):
        _known(self.kinds)
        return self


class Thresholds(_Frozen):
    ask: int = Field(gt=0)
    hold: int = Field(gt=0)
    freeze: int = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        if not self.ask <= self.hold <= self.freeze:
            raise ValueError("thresholds must satisfy ask <= hold <= freeze")
        return self


class Tiered(_Frozen):
    """Fires past ``over``; past ``severe_over`` with ``severe_weight`` instead."""
    over: NonNeg
    weight: Weight
    severe_over: NonNeg
    severe_weight: Weight

    @model_validator(mode="after")
    def _ordered(self):
        if self.severe_over < self.over or self.severe_weight < self.weight:
            raise ValueError("severe_over and severe_weight must not be below over and weight")
        return self


class Velocity(_Frozen):
    window_seconds: Seconds
    count: Tiered
    amount: Tiered


class Pattern(_Frozen):
    days: int = Field(gt=0)
    min_history: int = Field(ge=1)
    min_amount: Fen
    factor_percent: int = Field(ge=100)
    weight: Weight


class NewRecipient(_Kinds):
    min_amount: Fen
    weight: Weight


class FreshCredentials(_Kinds):
    window_seconds: Seconds
    weight: Weight


class PinGuessing(_Frozen):
    min_wrong: int = Field(ge=1)
    window_seconds: Seconds
    min_amount: Fen
    weight: Weight


class RedPacketFarming(_Frozen):
    window_seconds: Seconds
    new_wallet_seconds: Seconds
    min_claims: int = Field(ge=1)
    share_percent: int = Field(ge=0, le=100)
    weight: Weight


class Collection(_Kinds):
    new_wallet_seconds: Seconds
    window_seconds: Seconds
    min_payers: int = Field(ge=2)
    weight: Weight


class PrefsSettings(_Frozen):
    night_start_minute: int = Field(ge=0, lt=1440)
    night_end_minute: int = Field(ge=0, lt=1440)
    new_recipient_kinds: tuple[str, ...]
    new_recipient_delay_seconds: Seconds
    no_pin_window_seconds: Seconds

    @model_validator(mode="after")
    def _known_kinds(self):
        _known(self.new_recipient_kinds)
        return self


class RiskSettings(_Frozen):
    thresholds: Thresholds
    velocity: Velocity
    pattern: Pattern
    new_recipient: NewRecipient
    fresh_credentials: FreshCredentials
    pin_guessing: PinGuessing
    red_packet_farming: RedPacketFarming
    collection: Collection
    prefs: PrefsSettings


def load(path: str | os.PathLike | None = None) -> RiskSettings:
    """The settings from ``path``, else from ``$WALLET_RISK_SETTINGS``, else the shipped file."""
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)
    with chosen.open("rb") as f:
        return RiskSettings.model_validate(tomllib.load(f))
