"""The bot's own settings (``BOT_`` prefix), beside the kit's ``KitSettings``.

``DISCORD_TOKEN`` and ``COACH_DISCORD_IDS`` are read under their well-known names (the
api reads the same allowlist). Without a token the bot runs in dry-run mode: deliveries
are recorded as ``dry_run`` with their rendered text and nothing is sent, so the whole
system runs locally with no Discord account; the gateway (commands, buttons, DMs) runs
only with a token.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from monstercoach_kit.settings import Environment, KitSettings
from monstercoach_schemas.types import DiscordId

DISCORD_GLOBAL_LIMIT_PER_SECOND = 50
"""Discord's global limit per bot token, every REST call counted."""


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "BOT_DISCORD_TOKEN")
    )
    discord_api_base: str = Field(
        default="https://discord.com/api/v10",
        description="Discord REST base URL; point it at monstercoach-discord-sim to rehearse",
    )
    discord_gateway_url: str = Field(
        default="wss://gateway.discord.gg/",
        description="Discord gateway URL; ws://127.0.0.1:PORT/gateway for the simulator",
    )
    coach_discord_ids: Annotated[frozenset[DiscordId], NoDecode] = Field(
        default=frozenset(),
        validation_alias=AliasChoices("COACH_DISCORD_IDS", "BOT_COACH_DISCORD_IDS"),
        description="comma-separated Discord user ids allowed to use the coach commands; "
        "free-text DMs from clients are relayed to each of them",
    )
    message_content_intent: bool = Field(
        default=False,
        description="ask for the privileged message-content intent; DMs to the bot carry "
        "their text without it, and asking without the portal toggle stops the gateway",
    )
    discord_requests_per_second: Annotated[
        float, Field(gt=0, le=DISCORD_GLOBAL_LIMIT_PER_SECOND)
    ] = Field(
        default=48.0,
        description="the bot's share of Discord's 50/s, shared by every bot instance; "
        "the spare absorbs network jitter that could bunch requests into one second",
    )
    delivery_concurrency: Annotated[int, Field(ge=1, le=64)] = Field(
        default=50,
        description="deliveries in flight at once; each may hold a Redis connection, and "
        "the runtime's redis-py pool refuses a 101st",
    )
    delivery_max_attempts: Annotated[int, Field(ge=1, le=10)] = Field(
        default=3,
        description="send attempts before a transient failure becomes missed; an attempt "
        "that timed out may have created the message, so it is resent past this, within "
        "Discord's nonce window (delivery.resend_window)",
    )
    delivery_backoff_seconds: Annotated[float, Field(ge=0)] = Field(
        default=1.0, description="wait before the second attempt; doubles for each next one"
    )
    delivery_attempt_timeout_seconds: Annotated[float, Field(gt=0)] = Field(
        default=15.0, description="one attempt (open the DM and send) gives up after this"
    )
    delivery_record_days: Annotated[float, Field(gt=0)] = Field(
        default=7.0, description="how long a finished delivery id is remembered"
    )

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # `DISCORD_TOKEN=` as copied from .env.example means "no token": dry-run.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("coach_discord_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    def is_coach(self, discord_user_id: int | str) -> bool:
        return str(discord_user_id) in self.coach_discord_ids

    @property
    def dry_run(self) -> bool:
        return self.discord_token is None


def check_startup(bot: BotSettings, kit: KitSettings) -> None:
    """Refuse to start in a configuration that would silently drop every DM."""
    if bot.dry_run and kit.environment is Environment.PRODUCTION:
        raise SystemExit(
            "DISCORD_TOKEN is not set and MC_ENVIRONMENT=production: the bot would only "
            "dry-run deliveries. Set DISCORD_TOKEN (or MC_ENVIRONMENT=development)."
        )
