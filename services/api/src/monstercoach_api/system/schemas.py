"""Response models of the system endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from monstercoach_kit.bus import DeadLetter, StreamStatus
from monstercoach_schemas.types import Timestamp


class ServiceBeat(BaseModel):
    service: str
    alive: bool = Field(description="its heartbeat is present (it expires after 3 intervals)")
    instance: str | None = Field(description="host:pid of the process that beat last")
    at: Timestamp | None = Field(description="its last heartbeat")
    age_seconds: float | None


class SystemStatus(BaseModel):
    services: list[ServiceBeat]
    streams: list[StreamStatus] = Field(
        description="each stream's length, and per consumer group: pending (read, not yet "
        "acknowledged) and lag (not yet read; null when Redis cannot tell)"
    )
    dead_letters: int


class DeadLetterPage(BaseModel):
    items: list[DeadLetter] = Field(
        description="oldest first; `data` is the message as it was on its stream (JSON)"
    )
    total: int = Field(description="dead letters now on the stream")
    next_after: str | None = Field(description="pass as `after` for the next page")


class Replayed(BaseModel):
    dead_letter_id: str
    stream: str
    new_id: str = Field(description="its new entry id on its stream")
