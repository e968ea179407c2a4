"""The messages the bot publishes for what clients and coaches do. Plain builders.

Idempotency keys come from Discord's own ids (the interaction, the DM): Discord delivers
an interaction to every connected gateway session, so during a rolling deploy two bots
may both handle one click; both publish the same key and the api applies it once. For
the same reason a relayed DM's delivery id is derived from the DM and the coach, so the
bot's delivery records send it once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from uuid import UUID

from monstercoach_schemas.buttons import JobCardItemClick
from monstercoach_schemas.domain import ClientStatus, DeliveryKind, Goal, JobCardItemStatus
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    ClientOnboarded,
    ClientOnboardedPayload,
    ClientStatusChanged,
    ClientStatusChangedPayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    DmReceived,
    DmReceivedPayload,
    JobCardItemMarked,
    JobCardItemMarkedPayload,
    MealLogged,
)

from .records import ClientRecord
from .validation import MESSAGE_MAX, CheckinForm, MealForm

DELIVERY_NAMESPACE = uuid.UUID("5b0f8a0e-3c1e-4d3a-9a43-6d6f6e737472")
"""Namespace of the bot's derived delivery ids (UUIDv5)."""

NUDGE_PREFIX = "💬 From your coach: "


def onboarded(
    interaction_id: int,
    client_id: UUID,
    discord_user_id: str,
    display_name: str,
    time_zone: str,
    goal: Goal,
    at: datetime,
) -> ClientOnboarded:
    return ClientOnboarded(
        idempotency_key=f"client.onboarded:{interaction_id}",
        payload=ClientOnboardedPayload(
            client_id=client_id,
            discord_user_id=discord_user_id,
            display_name=display_name[:80],
            time_zone=time_zone,
            goal=goal,
            onboarded_at=at,
        ),
    )


def checkin_answered(
    interaction_id: int, client_id: UUID, local_date: date, form: CheckinForm, at: datetime
) -> CheckinAnswered:
    return CheckinAnswered(
        idempotency_key=f"checkin.answered:{interaction_id}",
        payload=CheckinAnsweredPayload(
            client_id=client_id,
            local_date=local_date,
            weight_kg=form.weight_kg,
            sleep_hours=form.sleep_hours,
            energy=form.energy,
            notes=form.notes,
            answered_at=at,
        ),
    )


def meal_logged(
    interaction_id: int, client_id: UUID, form: MealForm, photo_url: str | None, at: datetime
) -> MealLogged:
    return MealLogged.model_validate(
        {
            "idempotency_key": f"meal.logged:{interaction_id}",
            "payload": {
                "client_id": client_id,
                "description": form.description,
                "kcal": form.kcal,
                "protein_g": form.protein_g,
                "carbs_g": form.carbs_g,
                "fat_g": form.fat_g,
                "photo_url": photo_url,
                "logged_at": at,
            },
        }
    )


def item_marked(
    interaction_id: int, client_id: UUID, click: JobCardItemClick, at: datetime
) -> JobCardItemMarked:
    status = JobCardItemStatus.DONE if click.answer == "done" else JobCardItemStatus.SKIPPED
    return JobCardItemMarked(
        idempotency_key=f"jobcard.item_marked:{interaction_id}",
        payload=JobCardItemMarkedPayload(
            client_id=client_id,
            card_id=click.card_id,
            item_id=click.item_id,
            status=status,
            marked_at=at,
        ),
    )


def dm_received(message_id: int, client_id: UUID, text: str, at: datetime) -> DmReceived:
    return DmReceived(
        idempotency_key=f"dm.received:{message_id}",
        payload=DmReceivedPayload(
            client_id=client_id,
            discord_message_id=str(message_id),
            text=text,
            received_at=at,
        ),
    )


def relay_text(client_name: str, text: str) -> str:
    """What a coach reads: who wrote, what they wrote, how to answer (within 2,000)."""
    head = f"📨 **{client_name}** wrote:\n"
    tail = f"\n— reply with `/nudge client:{client_name}`"
    room = MESSAGE_MAX - len(head) - len(tail)
    body = text if len(text) <= room else text[: room - 1] + "…"
    return f"{head}{body}{tail}"


def coach_relay(
    message_id: int, client: ClientRecord, coach_discord_id: str, text: str
) -> DeliveryRequested:
    delivery_id = uuid.uuid5(DELIVERY_NAMESPACE, f"coach_relay:{message_id}:{coach_discord_id}")
    return DeliveryRequested(
        idempotency_key=f"delivery:{delivery_id}",
        payload=DeliveryRequestedPayload(
            delivery_id=delivery_id,
            client_id=client.id,
            recipient_discord_id=coach_discord_id,
            kind=DeliveryKind.COACH_RELAY,
            text=relay_text(client.display_name, text),
        ),
    )


def nudge(
    interaction_id: int, client_id: UUID | None, discord_user_id: str, text: str
) -> DeliveryRequested:
    """The coach's message to a client, as a DM the delivery runner sends."""
    delivery_id = uuid.uuid5(DELIVERY_NAMESPACE, f"nudge:{interaction_id}")
    return DeliveryRequested(
        idempotency_key=f"delivery:{delivery_id}",
        payload=DeliveryRequestedPayload(
            delivery_id=delivery_id,
            client_id=client_id,
            recipient_discord_id=discord_user_id,
            kind=DeliveryKind.NUDGE,
            text=f"{NUDGE_PREFIX}{text}",
        ),
    )


def status_changed(
    interaction_id: int, client_id: UUID, status: ClientStatus, coach_id: str, at: datetime
) -> ClientStatusChanged:
    """A coach's ``/client pause|archive``, for the api to apply (and audit)."""
    return ClientStatusChanged(
        idempotency_key=f"client-status:{interaction_id}",
        payload=ClientStatusChangedPayload(
            client_id=client_id, status=status, changed_by_discord_id=coach_id, changed_at=at
        ),
    )
