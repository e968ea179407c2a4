"""``POST /clients/{id}/messages``: queue a DM from the coach to a client."""

from __future__ import annotations

from uuid import UUID

from monstercoach_schemas.domain import NOT_REACHABLE, DeliveryKind, DeliveryStatus
from monstercoach_schemas.messages import DeliveryRequested, DeliveryRequestedPayload
from monstercoach_schemas.types import uuid7

from ..audit.repository import record
from ..auth.dependencies import CoachDep
from ..bus import BusDep, publish
from ..clients.repository import profile_row
from ..db import ConnectionDep
from ..errors import ApiError, error_responses
from ..ingest.repository import record_requested
from ..routing import coach_router
from ..timeline.schemas import DeliveryEntry
from .schemas import MessageRequest

router = coach_router("messages")


@router.post(
    "/clients/{client_id}/messages", status_code=202, responses=error_responses(404, 409, 422)
)
async def client_message_send(
    client_id: UUID, body: MessageRequest, conn: ConnectionDep, bus: BusDep, coach: CoachDep
) -> DeliveryEntry:
    """Queue a nudge DM for the bot to send; it shows in deliveries at once as queued,
    then with its outcome. Refused (409) for a paused or archived client. Audited."""
    client = await profile_row(conn, client_id)
    if client["status"] in NOT_REACHABLE:
        raise ApiError(
            409,
            "client_not_active",
            f"{client['display_name']} is {client['status']}: activate them before "
            "sending a message.",
        )
    delivery_id = uuid7()
    message = DeliveryRequested(
        idempotency_key=f"nudge:{delivery_id}",
        payload=DeliveryRequestedPayload(
            delivery_id=delivery_id,
            client_id=client_id,
            recipient_discord_id=client["discord_user_id"],
            kind=DeliveryKind.NUDGE,
            text=body.text,
        ),
    )
    # Recorded here, in the request's transaction, so the coach sees it at once; the
    # api's own consumer of `deliveries` upserts the same row again, harmlessly.
    await record_requested(conn, [message])
    await record(
        conn,
        coach.discord_user_id,
        "client.message",
        str(client_id),
        {"delivery_id": str(delivery_id), "text": body.text},
    )
    # Published last, before the commit: if Redis refuses, nothing is recorded; if the
    # commit then fails, the consumer still records the delivery from the stream.
    await publish(bus, message)
    return DeliveryEntry(
        id=delivery_id,
        at=message.created_at,
        delivery_kind=DeliveryKind.NUDGE,
        status=DeliveryStatus.QUEUED,
        text=message.payload.text,
        attempts=0,
        last_error=None,
        sent_at=None,
    )
