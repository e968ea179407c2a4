"""Response models of the chart endpoint."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from ..compliance.schemas import DayCompliance


class WeightPoint(BaseModel):
    local_date: date
    weight_kg: float = Field(description="the day's weigh-in (mean if several)")
    moving_average_7d: float = Field(
        description="mean of the weigh-ins of this day and the 6 before it"
    )


class NutritionPoint(BaseModel):
    local_date: date
    meals: int = Field(ge=0, description="meals logged that day")
    kcal: int | None = Field(description="sum over the meals that gave kcal; null if none did")
    protein_g: int | None
    target_kcal: int
    target_protein_g: int


class ClientCharts(BaseModel):
    client_id: UUID
    today: date = Field(description="the client's local today")
    weight: list[WeightPoint] = Field(
        description="days with a weigh-in among the last `days` days up to today"
    )
    adherence: list[DayCompliance] = Field(
        description="each of the last `days` complete days (today is still open)"
    )
    nutrition: list[NutritionPoint] = Field(description="each of the last `days` days up to today")
