"""Everything that travels over the Redis streams: one envelope, typed payloads.

Each message type is a subclass of :class:`Envelope` that fixes ``type`` to a literal
``<domain>.<event>`` name and its payload model, so :data:`Message` is a discriminated
union on ``type`` and one ``TypeAdapter`` validates any message from its JSON.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AnyHttpUrl, Field, TypeAdapter

from .domain import (
    ClientStatus,
    DeliveryKind,
    DeliveryStatus,
    Evidence,
    FlagCode,
    FlagSeverity,
    FlagSource,
    Goal,
    JobCardItemStatus,
    Model,
)
from .streams import Stream
from .types import (
    DiscordId,
    DisplayName,
    Energy,
    Grams,
    IsoWeek,
    Kcal,
    MessageText,
    Notes,
    ShortText,
    SleepHours,
    Timestamp,
    TimeZoneName,
    WeightKg,
    uuid7,
)

P = TypeVar("P", bound=Model)


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(Model, Generic[P]):
    """The wire wrapper every stream message shares."""

    id: UUID = Field(default_factory=uuid7, description="UUIDv7, unique per message")
    type: str
    version: Annotated[int, Field(ge=1)] = 1
    created_at: Timestamp = Field(default_factory=_now)
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="same key = same effect; handlers apply a key at most once"
    )
    trace_id: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default_factory=lambda: uuid7().hex
    )
    payload: P


# --- events: what happened, reported to the api (the system of record) ----------------


class ClientOnboardedPayload(Model):
    client_id: UUID = Field(
        description="the id the bot picked at /start (a UUIDv7); a Discord user who onboards "
        "again keeps the id they were first given"
    )
    discord_user_id: DiscordId
    display_name: DisplayName
    time_zone: TimeZoneName
    goal: Goal
    onboarded_at: Timestamp


class ClientStatusChangedPayload(Model):
    """A coach paused, archived or re-activated a client from Discord (``/client``)."""

    client_id: UUID
    status: Literal[ClientStatus.ACTIVE, ClientStatus.PAUSED, ClientStatus.ARCHIVED]
    changed_by_discord_id: DiscordId
    changed_at: Timestamp
    reason: ShortText | None = None


class CheckinAnsweredPayload(Model):
    client_id: UUID
    local_date: date
    weight_kg: WeightKg | None = None
    sleep_hours: SleepHours | None = None
    energy: Energy | None = None
    notes: Notes = ""
    answered_at: Timestamp


class MealLoggedPayload(Model):
    client_id: UUID
    description: ShortText
    kcal: Kcal | None = None
    protein_g: Grams | None = None
    carbs_g: Grams | None = None
    fat_g: Grams | None = None
    photo_url: AnyHttpUrl | None = None
    logged_at: Timestamp


class WorkoutLoggedPayload(Model):
    client_id: UUID
    description: ShortText
    duration_min: Annotated[int, Field(ge=1, le=600)] | None = None
    logged_at: Timestamp


class JobCardIssuedItem(Model):
    id: UUID
    position: Annotated[int, Field(ge=0, le=50)]
    label: Annotated[str, Field(min_length=1, max_length=120)]


class JobCardIssuedPayload(Model):
    card_id: UUID
    client_id: UUID
    local_date: date
    items: Annotated[list[JobCardIssuedItem], Field(min_length=1, max_length=25)]
    issued_at: Timestamp


class JobCardItemMarkedPayload(Model):
    client_id: UUID
    card_id: UUID
    item_id: UUID
    status: Literal[JobCardItemStatus.DONE, JobCardItemStatus.SKIPPED, JobCardItemStatus.MISSED]
    marked_at: Timestamp


class DmReceivedPayload(Model):
    client_id: UUID
    discord_message_id: DiscordId
    text: MessageText
    received_at: Timestamp


class FireRef(Model):
    """The scheduler fire a delivery was sent for, so its outcome can close that fire."""

    engine: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    trigger: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
    local_date: date


class DeliveryOutcomePayload(Model):
    """What became of one delivery; it carries enough to record the delivery on its own,
    because it may be persisted before the request it answers (they travel on different
    streams)."""

    delivery_id: UUID
    client_id: UUID | None = None
    recipient_discord_id: DiscordId
    kind: DeliveryKind
    fire: FireRef | None = None
    status: DeliveryStatus
    attempts: Annotated[int, Field(ge=0, le=100)]
    error: Annotated[str, Field(max_length=2000)] | None = None
    discord_message_id: DiscordId | None = None
    rendered_text: Annotated[str, Field(max_length=4000)] | None = None
    at: Timestamp


class FireMissedPayload(Model):
    engine: str
    trigger: str
    client_id: UUID
    local_date: date
    scheduled_for: Timestamp
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class JobCardClosedOutPayload(Model):
    """The day is over for this card: every item still pending becomes missed."""

    client_id: UUID
    local_date: date
    closed_at: Timestamp


class FlagRaisedPayload(Model):
    flag_id: UUID
    client_id: UUID
    iso_week: IsoWeek
    code: FlagCode
    severity: FlagSeverity
    source: FlagSource
    evidence: Annotated[list[Evidence], Field(max_length=20)] = []
    rationale: Notes = ""
    suggested_action: Notes = ""
    raised_at: Timestamp


# --- deliveries: something to send to a Discord user -----------------------------------


class Button(Model):
    custom_id: Annotated[str, Field(min_length=1, max_length=100)]
    label: Annotated[str, Field(min_length=1, max_length=80)]
    style: Literal["primary", "secondary", "success", "danger"] = "secondary"


class DeliveryRequestedPayload(Model):
    delivery_id: UUID
    client_id: UUID | None = None
    recipient_discord_id: DiscordId
    kind: DeliveryKind
    text: MessageText
    buttons: Annotated[list[Button], Field(max_length=25)] = []
    fire: FireRef | None = Field(
        default=None, description="set when a scheduler fire asked for this delivery"
    )
    not_after: Timestamp | None = Field(
        default=None, description="past this instant the delivery is pointless: record missed"
    )


# --- scans: work for the flag worker ---------------------------------------------------


class ScanRequestedPayload(Model):
    iso_week: IsoWeek
    client_id: UUID | None = Field(default=None, description="one client, or all when empty")
    requested_by: Annotated[str, Field(min_length=1, max_length=100)]


# --- the message types -------------------------------------------------------------------


class ClientOnboarded(Envelope[ClientOnboardedPayload]):
    type: Literal["client.onboarded"] = "client.onboarded"


class ClientStatusChanged(Envelope[ClientStatusChangedPayload]):
    type: Literal["client.status_changed"] = "client.status_changed"


class CheckinAnswered(Envelope[CheckinAnsweredPayload]):
    type: Literal["checkin.answered"] = "checkin.answered"


class MealLogged(Envelope[MealLoggedPayload]):
    type: Literal["meal.logged"] = "meal.logged"


class WorkoutLogged(Envelope[WorkoutLoggedPayload]):
    type: Literal["workout.logged"] = "workout.logged"


class JobCardIssued(Envelope[JobCardIssuedPayload]):
    type: Literal["jobcard.issued"] = "jobcard.issued"


class JobCardItemMarked(Envelope[JobCardItemMarkedPayload]):
    type: Literal["jobcard.item_marked"] = "jobcard.item_marked"


class JobCardClosedOut(Envelope[JobCardClosedOutPayload]):
    type: Literal["jobcard.closed_out"] = "jobcard.closed_out"


class DmReceived(Envelope[DmReceivedPayload]):
    type: Literal["dm.received"] = "dm.received"


class DeliveryOutcome(Envelope[DeliveryOutcomePayload]):
    type: Literal["delivery.outcome"] = "delivery.outcome"


class FireMissed(Envelope[FireMissedPayload]):
    type: Literal["fire.missed"] = "fire.missed"


class FlagRaised(Envelope[FlagRaisedPayload]):
    type: Literal["flag.raised"] = "flag.raised"


class DeliveryRequested(Envelope[DeliveryRequestedPayload]):
    type: Literal["delivery.requested"] = "delivery.requested"


class ScanRequested(Envelope[ScanRequestedPayload]):
    type: Literal["scan.requested"] = "scan.requested"


Message = Annotated[
    ClientOnboarded
    | ClientStatusChanged
    | CheckinAnswered
    | MealLogged
    | WorkoutLogged
    | JobCardIssued
    | JobCardItemMarked
    | JobCardClosedOut
    | DmReceived
    | DeliveryOutcome
    | FireMissed
    | FlagRaised
    | DeliveryRequested
    | ScanRequested,
    Field(discriminator="type"),
]
"""Any stream message, discriminated by its ``type``."""

MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)

MESSAGE_TYPES: dict[str, type[Envelope[Any]]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        ClientOnboarded,
        ClientStatusChanged,
        CheckinAnswered,
        MealLogged,
        WorkoutLogged,
        JobCardIssued,
        JobCardItemMarked,
        JobCardClosedOut,
        DmReceived,
        DeliveryOutcome,
        FireMissed,
        FlagRaised,
        DeliveryRequested,
        ScanRequested,
    )
}

STREAM_OF: dict[str, Stream] = {
    "client.onboarded": Stream.EVENTS,
    "client.status_changed": Stream.EVENTS,
    "checkin.answered": Stream.EVENTS,
    "meal.logged": Stream.EVENTS,
    "workout.logged": Stream.EVENTS,
    "jobcard.issued": Stream.EVENTS,
    "jobcard.item_marked": Stream.EVENTS,
    "jobcard.closed_out": Stream.EVENTS,
    "dm.received": Stream.EVENTS,
    "delivery.outcome": Stream.EVENTS,
    "fire.missed": Stream.EVENTS,
    "flag.raised": Stream.EVENTS,
    "delivery.requested": Stream.DELIVERIES,
    "scan.requested": Stream.SCANS,
}
"""The one stream each message type travels on."""


def parse_message(data: bytes | str) -> Message:
    """Validate one message from its JSON; raises ``pydantic.ValidationError``."""
    return MESSAGE_ADAPTER.validate_json(data)
