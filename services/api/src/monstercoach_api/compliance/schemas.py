"""Response models of the derived per-client figures."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from pydantic import BaseModel, Field, computed_field

THOUSANDTH = Decimal("0.001")


class Compliance(BaseModel):
    due: int = Field(ge=0, description="tasks due: job-card items and asked-for check-ins")
    done: int = Field(ge=0, description="of those, items done and check-ins answered")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        """done / due, or null when nothing was due."""
        if not self.due:
            return None
        # Half up to the thousandth on the exact ratio, as PostgreSQL's round(numeric)
        # writes it in the roster's and chart's JSON (compliance.repository.rate_sql).
        # round() of the float would let its binary representation break the ties:
        # 1/80 went up to 0.013, 1/16 down to 0.062.
        ratio = Decimal(self.done) / Decimal(self.due)
        return float(ratio.quantize(THOUSANDTH, rounding=ROUND_HALF_UP))


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
