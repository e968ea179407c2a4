"""Settings shared by every service, read from the environment (and a local .env).

Well-known names (``DATABASE_URL``, ``REDIS_URL``) are read as they are; the kit's own
tunables carry the ``MC_`` prefix. Each service adds its own ``BaseSettings`` class with
its own prefix beside this one rather than subclassing it, so prefixes never collide.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class KitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MC_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/monstercoach",
        validation_alias=AliasChoices("DATABASE_URL", "MC_DATABASE_URL"),
    )
    database_direct_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_DIRECT_URL", "MC_DATABASE_DIRECT_URL"),
        description="non-pooled URL for session advisory locks and migrations "
        "(Neon: the URL without -pooler); defaults to DATABASE_URL",
    )
    db_statement_cache_size: Annotated[int, Field(ge=0)] = Field(
        default=100,
        description="asyncpg prepared-statement cache; 0 behind PgBouncer transaction pooling",
    )
    db_pool_min_size: Annotated[int, Field(ge=0)] = 1
    db_pool_max_size: Annotated[int, Field(ge=1)] = 10
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "MC_REDIS_URL"),
    )
    key_prefix: str = Field(
        default="mc:", description="namespace for every Redis key and stream this system uses"
    )
    log_level: str = "INFO"
    log_json: bool = True
    metrics_port: Annotated[int, Field(ge=0, le=65535)] = Field(
        default=0, description="Prometheus /metrics port for a worker service; 0 = off"
    )
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 10.0

    @property
    def direct_database_url(self) -> str:
        return self.database_direct_url or self.database_url
