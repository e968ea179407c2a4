"""The scheduler's own settings (prefix ``SCHEDULER_``), beside the kit's shared ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from monstercoach_schemas.types import TimeZoneName


class SchedulerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", env_file=".env", extra="ignore")

    grace_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = Field(
        default=15,
        description="after downtime, fires at most this late are still sent; older ones are "
        "recorded missed with reason scheduler_down",
    )
    coach_time_zone: TimeZoneName | None = Field(
        default=None,
        description="clock of coach-level triggers (weekly scan); default: the first coach's zone",
    )
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=5000, description="due pairs handled per transaction"
    )
    lock_id: int = Field(
        default=0x4D43_5343,  # "MCSC": one active scheduler per database
        description="PostgreSQL advisory lock key that elects the active scheduler",
    )
    standby_poll_seconds: Annotated[float, Field(gt=0)] = Field(
        default=2.0, description="how often a standby tries to take over"
    )
    resync_lag_seconds: Annotated[int, Field(ge=0)] = Field(
        default=60,
        description="client changes this recent are re-read every tick, so a writer's "
        "transaction that commits late is never missed",
    )
    processed_retention_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=30,
        description="idempotency keys older than this are purged (hourly); keep it longer "
        "than any redelivery, reclaim or dead-letter replay can come after the first try",
    )

    @field_validator("coach_time_zone", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `.env.example` copied as is leaves it empty, meaning "use the default".
        return None if value == "" else value

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)

    @property
    def processed_retention(self) -> timedelta:
        return timedelta(days=self.processed_retention_days)
