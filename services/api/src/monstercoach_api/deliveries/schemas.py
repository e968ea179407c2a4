"""Response models of the deliveries and missed-fires lists."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ..paging import Page
from ..timeline.schemas import DeliveryEntry, MissedEntry


class DeliveryView(DeliveryEntry):
    client_id: UUID | None = Field(description="null for a DM to the coach (digest)")
    client_display_name: str | None
    recipient_discord_id: str
    discord_message_id: str | None


class DeliveryPage(Page[DeliveryView]):
    pass


class MissedView(MissedEntry):
    client_id: UUID
    client_display_name: str


class MissedPage(Page[MissedView]):
    pass
