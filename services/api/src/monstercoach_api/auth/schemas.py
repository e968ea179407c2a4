"""Request and response models of the auth endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from monstercoach_schemas.types import DiscordId, Timestamp


class CoachSession(BaseModel):
    """Who is logged in, until when. Also the content of the signed session cookie."""

    model_config = ConfigDict(frozen=True)

    discord_user_id: DiscordId
    username: str = Field(max_length=100)
    expires_at: Timestamp


class DevLoginRequest(BaseModel):
    discord_user_id: DiscordId | None = Field(
        default=None, description="a coach's Discord id; the lowest allowlisted one when empty"
    )
