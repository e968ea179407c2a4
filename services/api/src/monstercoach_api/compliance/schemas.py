"""Response models of the derived per-client figures."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field, computed_field


class Compliance(BaseModel):
    due: int = Field(ge=0, description="tasks due: job-card items and asked-for check-ins")
    done: int = Field(ge=0, description="of those, items done and check-ins answered")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        """done / due, or null when nothing was due."""
        return round(self.done / self.due, 3) if self.due else None


class ClientCompliance(BaseModel):
    """Over each client's last complete local days (today, still open, is left out)."""

    client_id: UUID
    last_7_days: Compliance
    last_28_days: Compliance


class JobCardProgress(BaseModel):
    """A client's job card for their own today; all zero when they have none."""

    client_id: UUID
    local_date: date
    card_id: UUID | None
    total: int
    done: int
    skipped: int
    missed: int
    pending: int


class DayCompliance(Compliance):
    """One client-local day: its tasks due and done."""

    local_date: date
