"""The api's own settings, beside the kit's :class:`KitSettings` (``MC_`` prefix).

Discord's OAuth names are read as they are (``DISCORD_CLIENT_ID``…, the names Discord's
own docs use); the api's tunables carry the ``API_`` prefix. What is unsafe outside a
developer's machine is refused at start-up by :func:`check_settings`, with every
problem named, rather than discovered by the first coach who logs in.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from limits import RateLimitItem, parse
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from monstercoach_kit.settings import Environment, KitSettings
from monstercoach_schemas.types import DiscordId

# Values people paste from examples; a session secret that matches one is no secret.
_PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "test", "xxx"})
MIN_SECRET_LENGTH = 32


def _alias(name: str) -> AliasChoices:
    return AliasChoices(name, f"API_{name}")


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="API_", env_file=".env", extra="ignore")

    coach_discord_ids: Annotated[frozenset[DiscordId], NoDecode] = Field(
        default=frozenset(),
        validation_alias=_alias("COACH_DISCORD_IDS"),
        description="comma-separated Discord user ids allowed into Battle Station",
    )
    discord_client_id: str | None = Field(
        default=None, validation_alias=_alias("DISCORD_CLIENT_ID")
    )
    discord_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_alias("DISCORD_CLIENT_SECRET")
    )
    discord_oauth_base_url: str = Field(
        default="https://discord.com",
        validation_alias=_alias("DISCORD_OAUTH_BASE_URL"),
        description="Discord's web origin; tests point it at a local fake",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the api's public origin; Discord redirects to <public_url>/auth/callback",
    )
    web_url: str = Field(
        default="http://127.0.0.1:5173/",
        description="where the browser goes after login and logout (Battle Station)",
    )
    session_secret: SecretStr | None = Field(
        default=None, description="signs session cookies; random per process when unset in dev"
    )
    session_ttl: timedelta = Field(default=timedelta(hours=12), gt=timedelta(0))
    cookie_secure: bool = Field(
        default=True, description="Secure cookies; false only for local http development"
    )
    dev_login: bool = Field(
        default=False, description="enable POST /auth/dev-login (loopback only, never production)"
    )
    trust_proxy: bool = Field(
        default=False,
        description="take the client IP from Fly-Client-IP (only behind Fly's proxy)",
    )
    rate_limit: str = Field(default="100/minute", description="per client IP, `limits` notation")
    ingest: bool = Field(
        default=True,
        description="run the event consumers in this process; off for an HTTP-only machine "
        "(e.g. one Fly auto-stops) while another api process ingests",
    )

    @field_validator("discord_client_id", "discord_client_secret", "session_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `.env.example` copied as is leaves these empty: an empty signing key would let
        # anyone forge a session, so empty must mean "not set", never "the empty string".
        return None if value == "" else value

    @field_validator("coach_discord_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("discord_oauth_base_url", "public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("rate_limit")
    @classmethod
    def _parsable_limit(cls, value: str) -> str:
        parse(value)  # raises ValueError with the library's own message
        return value

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/auth/callback"

    @property
    def rate_limit_item(self) -> RateLimitItem:
        return parse(self.rate_limit)

    def session_key(self) -> str:
        """The cookie-signing key (called once per app); outside production an unset one
        is random per process, so sessions end at a restart, fine on a developer's machine."""
        if self.session_secret is None:
            return secrets.token_urlsafe(MIN_SECRET_LENGTH)
        return self.session_secret.get_secret_value()


class SettingsError(RuntimeError):
    """The settings are unsafe or incomplete for the environment: refuse to start."""


def check_settings(api: ApiSettings, kit: KitSettings) -> None:
    """Raise :class:`SettingsError` naming every problem, if there is any."""
    problems = []
    if kit.environment == Environment.PRODUCTION:
        secret = api.session_secret.get_secret_value() if api.session_secret else ""
        if secret.lower() in _PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            problems.append(
                f"API_SESSION_SECRET must be a random value of at least {MIN_SECRET_LENGTH} "
                "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`)"
            )
        if not api.cookie_secure:
            problems.append("API_COOKIE_SECURE=false is for local http development only")
        if api.dev_login:
            problems.append("API_DEV_LOGIN must be off in production")
        if not (api.discord_client_id and api.discord_client_secret):
            problems.append("DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET are required")
        if not api.coach_discord_ids:
            problems.append("COACH_DISCORD_IDS is empty: no coach could log in")
    if problems:
        raise SettingsError(
            f"refusing to start the api in {kit.environment.value}: " + "; ".join(problems)
        )
