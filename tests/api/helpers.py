"""Helpers shared by the api tests: run the app, poll for state, build events."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI

from monstercoach_api.ingest.consumers import API_STREAMS
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import (
    DeliveryKind,
    DeliveryStatus,
    FlagCode,
    FlagSeverity,
    FlagSource,
    Goal,
    JobCardItemStatus,
)
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    ClientOnboarded,
    ClientOnboardedPayload,
    DeliveryOutcome,
    DeliveryOutcomePayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    DmReceived,
    DmReceivedPayload,
    FireMissed,
    FireMissedPayload,
    FlagRaised,
    FlagRaisedPayload,
    JobCardClosedOut,
    JobCardClosedOutPayload,
    JobCardIssued,
    JobCardIssuedItem,
    JobCardIssuedPayload,
    JobCardItemMarked,
    JobCardItemMarkedPayload,
    MealLogged,
    MealLoggedPayload,
    WorkoutLogged,
    WorkoutLoggedPayload,
)
from monstercoach_schemas.streams import Group
from monstercoach_schemas.types import uuid7

LOOPBACK_PEER = ("127.0.0.1", 50123)
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def running_app(
    app: FastAPI, peer: tuple[str, int] = LOOPBACK_PEER
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and a client that talks to it as ``peer``."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=peer, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            yield client


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check`` (the state lives in Redis/PostgreSQL: there is no event to await)."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def drained(bus: StreamBus) -> bool:
    """Every entry on the api's streams was read and acknowledged by the api's group."""
    for stream in API_STREAMS:
        key = bus.key(stream)
        if not await bus.redis.exists(key):
            continue  # nothing was ever published there
        groups = {g["name"].decode(): g for g in await bus.redis.xinfo_groups(key)}
        api = groups.get(Group.API.value)
        if api is None or api["pending"] or api["lag"]:
            return False
    return True


# --- events ---------------------------------------------------------------------------------


def onboarded(discord_id: str, time_zone: str = "UTC", at: datetime = T0) -> ClientOnboarded:
    return ClientOnboarded(
        idempotency_key=f"onboarded:{discord_id}:{at.isoformat()}",
        payload=ClientOnboardedPayload(
            client_id=uuid7(),
            discord_user_id=discord_id,
            display_name=f"Client {discord_id[-4:]}",
            time_zone=time_zone,
            goal=Goal.FAT_LOSS,
            onboarded_at=at,
        ),
    )


def checkin(
    client_id: uuid.UUID,
    day: date,
    weight: float | None = 80.5,
    at: datetime = T0,
    notes: str = "",
) -> CheckinAnswered:
    return CheckinAnswered(
        idempotency_key=f"checkin:{uuid.uuid4()}",
        payload=CheckinAnsweredPayload(
            client_id=client_id,
            local_date=day,
            weight_kg=weight,
            sleep_hours=7.5,
            energy=7,
            notes=notes,
            answered_at=at,
        ),
    )


def meal(client_id: uuid.UUID, at: datetime = T0) -> MealLogged:
    return MealLogged(
        idempotency_key=f"meal:{uuid.uuid4()}",
        payload=MealLoggedPayload(
            client_id=client_id,
            description="chicken and rice",
            kcal=650,
            protein_g=45,
            photo_url="https://cdn.example.com/meal.jpg",
            logged_at=at,
        ),
    )


def workout(client_id: uuid.UUID, at: datetime = T0) -> WorkoutLogged:
    return WorkoutLogged(
        idempotency_key=f"workout:{uuid.uuid4()}",
        payload=WorkoutLoggedPayload(
            client_id=client_id, description="5k run", duration_min=28, logged_at=at
        ),
    )


def card(
    client_id: uuid.UUID, day: date, labels: tuple[str, ...] = ("walk", "water", "protein")
) -> JobCardIssued:
    card_id = uuid.uuid4()
    return JobCardIssued(
        idempotency_key=f"jobcard:{card_id}",
        payload=JobCardIssuedPayload(
            card_id=card_id,
            client_id=client_id,
            local_date=day,
            items=[
                JobCardIssuedItem(id=uuid.uuid4(), position=i, label=label)
                for i, label in enumerate(labels)
            ],
            issued_at=T0,
        ),
    )


def mark(
    issued: JobCardIssued,
    position: int,
    status: JobCardItemStatus,
    at: datetime = T0,
) -> JobCardItemMarked:
    return JobCardItemMarked(
        idempotency_key=f"mark:{uuid.uuid4()}",
        payload=JobCardItemMarkedPayload(
            client_id=issued.payload.client_id,
            card_id=issued.payload.card_id,
            item_id=issued.payload.items[position].id,
            status=status,
            marked_at=at,
        ),
    )


def close_out(client_id: uuid.UUID, day: date, at: datetime) -> JobCardClosedOut:
    return JobCardClosedOut(
        idempotency_key=f"closeout:{client_id}:{day}",
        payload=JobCardClosedOutPayload(client_id=client_id, local_date=day, closed_at=at),
    )


def dm(client_id: uuid.UUID, discord_message_id: str, at: datetime = T0) -> DmReceived:
    return DmReceived(
        idempotency_key=f"dm:{discord_message_id}",
        payload=DmReceivedPayload(
            client_id=client_id,
            discord_message_id=discord_message_id,
            text="Knee hurts a bit after squats",
            received_at=at,
        ),
    )


def requested(
    delivery_id: uuid.UUID, client_id: uuid.UUID | None, at: datetime = T0
) -> DeliveryRequested:
    return DeliveryRequested(
        idempotency_key=f"requested:{delivery_id}",
        created_at=at,
        payload=DeliveryRequestedPayload(
            delivery_id=delivery_id,
            client_id=client_id,
            recipient_discord_id="300000000000000001",
            kind=DeliveryKind.NUDGE,
            text="Hey, how is the week going?",
        ),
    )


def outcome(
    delivery_id: uuid.UUID,
    client_id: uuid.UUID | None,
    status: DeliveryStatus,
    attempts: int = 1,
    at: datetime = T0,
    error: str | None = None,
) -> DeliveryOutcome:
    sent = status in (DeliveryStatus.SENT, DeliveryStatus.DRY_RUN)
    return DeliveryOutcome(
        idempotency_key=f"outcome:{delivery_id}:{attempts}:{status}",
        payload=DeliveryOutcomePayload(
            delivery_id=delivery_id,
            client_id=client_id,
            recipient_discord_id="300000000000000001",
            kind=DeliveryKind.NUDGE,
            status=status,
            attempts=attempts,
            error=error,
            discord_message_id="400000000000000001" if sent else None,
            rendered_text="Hey Sam, how is the week going?" if sent else None,
            at=at,
        ),
    )


def fire_missed(client_id: uuid.UUID, day: date, at: datetime) -> FireMissed:
    return FireMissed(
        idempotency_key=f"missed:checkin:{client_id}:{day}",
        payload=FireMissedPayload(
            engine="checkin",
            trigger="morning_prompt",
            client_id=client_id,
            local_date=day,
            scheduled_for=at - timedelta(hours=5),
            reason="no answer by 12:00",
        ),
    )


def flag(
    client_id: uuid.UUID,
    severity: FlagSeverity = FlagSeverity.MEDIUM,
    at: datetime = T0,
    evidence_value: float = 0.4,
) -> FlagRaised:
    return FlagRaised(
        idempotency_key=f"flag:{uuid.uuid4()}",
        payload=FlagRaisedPayload(
            flag_id=uuid.uuid4(),
            client_id=client_id,
            iso_week="2026-W48",
            code=FlagCode.LOW_CHECKIN_RATE,
            severity=severity,
            source=FlagSource.RULES,
            evidence=[{"label": "check-in rate", "value": evidence_value, "target": 0.8}],
            rationale="Checked in 2 of 7 days.",
            raised_at=at,
        ),
    )


def invalid_fields(response: httpx.Response) -> list[str]:
    """The fields a 422 in the error shape names, in order (fails on anything else)."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return [detail["field"] for detail in error["details"]]
