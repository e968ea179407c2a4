"""Stream messages: every type routable, every message readable back exactly as sent.

A message that does not survive the trip through Redis is a check-in or a reminder
that never reaches the coach or the client, so each type is exercised here.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, get_args
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from monstercoach_schemas.domain import (
    ClientStatus,
    DeliveryKind,
    DeliveryStatus,
    Evidence,
    FlagCode,
    FlagSeverity,
    FlagSource,
    Goal,
    JobCardItemStatus,
)
from monstercoach_schemas.messages import (
    MESSAGE_TYPES,
    STREAM_OF,
    Button,
    CheckinAnswered,
    CheckinAnsweredPayload,
    ClientOnboarded,
    ClientOnboardedPayload,
    ClientStatusChanged,
    ClientStatusChangedPayload,
    DeliveryOutcome,
    DeliveryOutcomePayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    DmReceived,
    DmReceivedPayload,
    Envelope,
    FireMissed,
    FireMissedPayload,
    FireRef,
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
    Message,
    ScanRequested,
    ScanRequestedPayload,
    WorkoutLogged,
    WorkoutLoggedPayload,
    parse_message,
)
from monstercoach_schemas.streams import CONSUMERS, Stream
from monstercoach_schemas.types import uuid7

CLIENT = UUID("0190f5c3-7a1e-7b2c-9d4e-5f6a7b8c9d0e")
SNOWFLAKE = "123456789012345678"
IST = timezone(timedelta(hours=5, minutes=30))
AT = datetime(2026, 11, 26, 7, 30, tzinfo=IST)


def example_messages() -> list[Envelope[Any]]:
    """One fully filled message per type: every optional field set, so a field that
    does not survive serialization shows up."""
    card = uuid7()
    return [
        ClientOnboarded(
            idempotency_key="onboard-1",
            payload=ClientOnboardedPayload(
                client_id=CLIENT,
                discord_user_id=SNOWFLAKE,
                display_name="Ana",
                time_zone="Asia/Kolkata",
                goal=Goal.RECOMP,
                onboarded_at=AT,
            ),
        ),
        CheckinAnswered(
            idempotency_key="checkin-1",
            payload=CheckinAnsweredPayload(
                client_id=CLIENT,
                local_date=date(2026, 11, 26),
                weight_kg=72.4,
                sleep_hours=6.5,
                energy=7,
                notes="knee a bit sore",
                answered_at=AT,
            ),
        ),
        MealLogged(
            idempotency_key="meal-1",
            payload=MealLoggedPayload(
                client_id=CLIENT,
                description="oats, whey, banana",
                kcal=650,
                protein_g=45,
                carbs_g=90,
                fat_g=12,
                photo_url="https://cdn.discordapp.com/attachments/1/2/oats.jpg",
                logged_at=AT,
            ),
        ),
        WorkoutLogged(
            idempotency_key="workout-1",
            payload=WorkoutLoggedPayload(
                client_id=CLIENT, description="lower body A", duration_min=55, logged_at=AT
            ),
        ),
        JobCardIssued(
            idempotency_key="card-1",
            payload=JobCardIssuedPayload(
                card_id=card,
                client_id=CLIENT,
                local_date=date(2026, 11, 26),
                items=[
                    JobCardIssuedItem(id=uuid7(), position=0, label="10k steps"),
                    JobCardIssuedItem(id=uuid7(), position=1, label="150 g protein"),
                ],
                issued_at=AT,
            ),
        ),
        JobCardItemMarked(
            idempotency_key="mark-1",
            payload=JobCardItemMarkedPayload(
                client_id=CLIENT,
                card_id=card,
                item_id=uuid7(),
                status=JobCardItemStatus.DONE,
                marked_at=AT,
            ),
        ),
        ClientStatusChanged(
            idempotency_key="status-1",
            payload=ClientStatusChangedPayload(
                client_id=CLIENT,
                status=ClientStatus.PAUSED,
                changed_by_discord_id=SNOWFLAKE,
                changed_at=AT,
            ),
        ),
        JobCardClosedOut(
            idempotency_key="closeout-1",
            payload=JobCardClosedOutPayload(
                client_id=CLIENT, local_date=date(2026, 11, 26), closed_at=AT
            ),
        ),
        DmReceived(
            idempotency_key="dm-1",
            payload=DmReceivedPayload(
                client_id=CLIENT,
                discord_message_id="1234567890123456789",
                text="can I swap squats for leg press?",
                received_at=AT,
            ),
        ),
        DeliveryOutcome(
            idempotency_key="outcome-1",
            payload=DeliveryOutcomePayload(
                delivery_id=uuid7(),
                client_id=CLIENT,
                recipient_discord_id="123456789012345678",
                kind=DeliveryKind.CHECKIN_PROMPT,
                fire=FireRef(
                    engine="checkin", trigger="morning_prompt", local_date=date(2026, 11, 26)
                ),
                status=DeliveryStatus.FAILED,
                attempts=3,
                error="50007: cannot send messages to this user",
                discord_message_id="1234567890123456789",
                rendered_text="Good morning Ana, here is your card",
                at=AT,
            ),
        ),
        FireMissed(
            idempotency_key="missed-1",
            payload=FireMissedPayload(
                engine="checkin",
                trigger="morning_prompt",
                client_id=CLIENT,
                local_date=date(2026, 11, 26),
                scheduled_for=AT,
                reason="scheduler down past the grace window",
            ),
        ),
        FlagRaised(
            idempotency_key="flag-1",
            payload=FlagRaisedPayload(
                flag_id=uuid7(),
                client_id=CLIENT,
                iso_week="2026-W48",
                code=FlagCode.PROTEIN_SHORT,
                severity=FlagSeverity.MEDIUM,
                source=FlagSource.RULES,
                evidence=[
                    Evidence(label="avg protein", value=96.5, target=150, refs=["meal:1"]),
                    Evidence(label="logged days", value="4/7"),
                ],
                rationale="protein averaged 96 g against 150 g",
                suggested_action="suggest a shake after training",
                raised_at=AT,
            ),
        ),
        DeliveryRequested(
            idempotency_key="delivery-1",
            payload=DeliveryRequestedPayload(
                delivery_id=uuid7(),
                client_id=CLIENT,
                recipient_discord_id=SNOWFLAKE,
                kind=DeliveryKind.CHECKIN_PROMPT,
                text="Morning! How did you sleep?",
                buttons=[Button(custom_id="checkin:open", label="Check in", style="primary")],
                not_after=AT + timedelta(hours=4),
            ),
        ),
        ScanRequested(
            idempotency_key="scan-1",
            payload=ScanRequestedPayload(
                iso_week="2026-W48", client_id=CLIENT, requested_by="coach:ana"
            ),
        ),
    ]


EXAMPLES = {message.type: message for message in example_messages()}


def as_dict(message: Envelope[Any]) -> dict[str, Any]:
    """The message as it sits in Redis, decoded, ready to be tampered with."""
    decoded: dict[str, Any] = json.loads(message.model_dump_json())
    return decoded


# --- registry -------------------------------------------------------------------------------


def test_every_message_type_has_a_stream_and_every_stream_entry_a_type() -> None:
    assert set(MESSAGE_TYPES) == set(STREAM_OF)


def test_message_types_are_exactly_the_members_of_the_message_union() -> None:
    union, _discriminator = get_args(Message)
    assert set(get_args(union)) == set(MESSAGE_TYPES.values())


def test_each_type_is_registered_under_its_own_literal() -> None:
    for name, cls in MESSAGE_TYPES.items():
        assert cls.model_fields["type"].default == name


def test_every_stream_that_carries_messages_has_a_consumer_group() -> None:
    # A message on a stream nobody reads is a DM that is never sent.
    assert set(STREAM_OF.values()) <= set(CONSUMERS)
    assert set(CONSUMERS) == set(Stream)
    assert all(CONSUMERS.values())


def test_the_examples_cover_every_message_type() -> None:
    assert set(EXAMPLES) == set(MESSAGE_TYPES)


# --- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MESSAGE_TYPES))
def test_message_round_trips_through_json_to_an_equal_message_of_its_class(name: str) -> None:
    sent = EXAMPLES[name]
    received = parse_message(sent.model_dump_json())
    assert type(received) is MESSAGE_TYPES[name]
    assert received == sent
    assert received.model_dump_json() == sent.model_dump_json()


def test_parse_message_accepts_bytes_as_read_from_redis() -> None:
    sent = EXAMPLES["scan.requested"]
    assert parse_message(sent.model_dump_json().encode()) == sent


checkin_payloads = st.builds(
    CheckinAnsweredPayload,
    client_id=st.uuids(),
    local_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    weight_kg=st.none() | st.floats(min_value=20, max_value=400),
    sleep_hours=st.none() | st.floats(min_value=0, max_value=24),
    energy=st.none() | st.integers(min_value=1, max_value=10),
    # Leading/trailing whitespace is stripped on validation, so generate none of it.
    notes=st.text(max_size=300).map(str.strip),
    answered_at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.timezones(),
    ),
)


@given(payload=checkin_payloads, key=st.text(min_size=1, max_size=200))
def test_any_valid_checkin_round_trips(payload: CheckinAnsweredPayload, key: str) -> None:
    sent = CheckinAnswered(idempotency_key=key, payload=payload)
    received = parse_message(sent.model_dump_json())
    assert isinstance(received, CheckinAnswered)
    assert received.payload.weight_kg == payload.weight_kg
    assert received.payload.notes == payload.notes
    assert received.payload.answered_at.astimezone(UTC) == payload.answered_at.astimezone(UTC)
    assert received.idempotency_key == key


# --- refused messages -----------------------------------------------------------------------


def test_unknown_type_is_refused() -> None:
    data = as_dict(EXAMPLES["scan.requested"])
    data["type"] = "scan.exploded"
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        parse_message(json.dumps(data))


def test_missing_type_is_refused() -> None:
    data = as_dict(EXAMPLES["scan.requested"])
    del data["type"]
    with pytest.raises(ValidationError):
        parse_message(json.dumps(data))


PAIRS = [(a, b) for a in sorted(MESSAGE_TYPES) for b in sorted(MESSAGE_TYPES) if a != b]


@pytest.mark.parametrize(("label", "payload_of"), PAIRS)
def test_a_payload_under_another_types_label_is_refused(label: str, payload_of: str) -> None:
    data = as_dict(EXAMPLES[payload_of])
    data["type"] = label
    with pytest.raises(ValidationError):
        parse_message(json.dumps(data))


@pytest.mark.parametrize("name", sorted(MESSAGE_TYPES))
def test_extra_envelope_field_is_refused(name: str) -> None:
    data = as_dict(EXAMPLES[name])
    data["priority"] = "high"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        parse_message(json.dumps(data))


@pytest.mark.parametrize("name", sorted(MESSAGE_TYPES))
def test_extra_payload_field_is_refused(name: str) -> None:
    data = as_dict(EXAMPLES[name])
    data["payload"]["surprise"] = 1
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        parse_message(json.dumps(data))


def test_extra_field_in_a_nested_payload_part_is_refused() -> None:
    data = as_dict(EXAMPLES["delivery.requested"])
    data["payload"]["buttons"][0]["emoji"] = "💪"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        parse_message(json.dumps(data))


def test_out_of_bounds_payload_value_is_refused() -> None:
    data = as_dict(EXAMPLES["checkin.answered"])
    data["payload"]["energy"] = 11
    with pytest.raises(ValidationError, match="less than or equal to 10"):
        parse_message(json.dumps(data))


def test_messages_are_frozen() -> None:
    message = EXAMPLES["scan.requested"]
    with pytest.raises(ValidationError, match="frozen"):
        message.idempotency_key = "other"  # type: ignore[misc]


# --- the envelope ---------------------------------------------------------------------------


def test_new_envelope_is_stamped_with_an_aware_utc_time_and_a_uuid7() -> None:
    message = ScanRequested(
        idempotency_key="k", payload=ScanRequestedPayload(iso_week="2026-W48", requested_by="me")
    )
    assert message.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - message.created_at) < timedelta(minutes=1)
    assert message.id.version == 7
    assert message.version == 1
    assert as_dict(message)["created_at"].endswith("+00:00")


def test_envelope_with_naive_created_at_is_refused() -> None:
    data = as_dict(EXAMPLES["scan.requested"])
    data["created_at"] = "2026-11-26T07:30:00"
    with pytest.raises(ValidationError, match="timestamp has no UTC offset"):
        parse_message(json.dumps(data))


def test_envelope_keeps_the_senders_offset() -> None:
    data = as_dict(EXAMPLES["scan.requested"])
    data["created_at"] = "2026-11-26T07:30:00+05:30"
    message = parse_message(json.dumps(data))
    assert message.created_at == AT
    assert as_dict(message)["created_at"] == "2026-11-26T07:30:00+05:30"


@pytest.mark.parametrize(
    ("field", "value"), [("idempotency_key", ""), ("version", 0), ("trace_id", "x" * 65)]
)
def test_envelope_field_bounds(field: str, value: object) -> None:
    data = as_dict(EXAMPLES["scan.requested"])
    data[field] = value
    with pytest.raises(ValidationError):
        parse_message(json.dumps(data))


def test_idempotency_key_is_required() -> None:
    data = as_dict(EXAMPLES["scan.requested"])
    del data["idempotency_key"]
    with pytest.raises(ValidationError, match="idempotency_key"):
        parse_message(json.dumps(data))
