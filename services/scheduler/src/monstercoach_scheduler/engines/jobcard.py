"""The job-card engine's logic: the morning card and the end-of-day close-out.

Its triggers (07:00 card, 23:30 close-out) are declared in
:mod:`monstercoach_schemas.lst.jobcard`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monstercoach_schemas.buttons import jobcard_item_buttons
from monstercoach_schemas.domain import DeliveryKind, Weekday
from monstercoach_schemas.lst.jobcard import CLOSE_OUT, MORNING_CARD
from monstercoach_schemas.messages import (
    Envelope,
    JobCardClosedOut,
    JobCardClosedOutPayload,
    JobCardIssued,
)

from .base import ClientFacts, Compose, FireContext

_WEEKDAYS = tuple(Weekday)


def card_items(client: ClientFacts, weekday: Weekday) -> list[str]:
    """Today's items from the client's targets: few, concrete, each one tap to answer."""
    return [
        f"Hit {client.target_protein_g} g protein",
        f"{client.target_steps:,} steps",
        f"Drink {client.target_water_ml / 1000:g} L water",
        "Training session" if weekday in client.training_days else "10 min mobility",
        "Log every meal",
    ]


def compose_card(ctx: FireContext) -> Sequence[Envelope[Any]]:
    client = ctx.who
    card_id = ctx.uuid("card")
    labels = card_items(client, _WEEKDAYS[ctx.local_date.weekday()])
    item_ids = [ctx.uuid(f"item:{position}") for position in range(len(labels))]
    lines = "\n".join(f"• {label}" for label in labels)
    text = f"Good morning {client.first_name}! 💪 Today's job card:\n{lines}\nTap ✅ as you go."
    buttons = [
        button
        for item_id, label in zip(item_ids, labels, strict=True)
        for button in jobcard_item_buttons(card_id, item_id, label)
    ]
    # The delivery comes first (it is what the trigger emits); the api records the card
    # from the event, which travels on its own stream. The event is validated whole, in
    # one call, like the delivery.
    return [
        ctx.delivery(DeliveryKind.JOBCARD, text, buttons),
        JobCardIssued.model_validate(
            {
                "idempotency_key": ctx.key("card"),
                "trace_id": ctx.trace_id,
                "payload": {
                    "card_id": card_id,
                    "client_id": client.id,
                    "local_date": ctx.local_date,
                    "items": [
                        {"id": item_id, "position": position, "label": labels[position]}
                        for position, item_id in enumerate(item_ids)
                    ],
                    "issued_at": ctx.scheduled_for,
                },
            }
        ),
    ]


def compose_close_out(ctx: FireContext) -> Sequence[Envelope[Any]]:
    client = ctx.who
    text = (
        f"That's a wrap for today, {client.first_name} 🌙 Anything still open on today's card "
        "is now marked missed. Rest well — a fresh card lands in the morning."
    )
    return [
        ctx.delivery(DeliveryKind.JOBCARD_CLOSEOUT, text),
        JobCardClosedOut(
            idempotency_key=ctx.key("close_out"),
            trace_id=ctx.trace_id,
            payload=JobCardClosedOutPayload(
                client_id=client.id, local_date=ctx.local_date, closed_at=ctx.scheduled_for
            ),
        ),
    ]


COMPOSERS: dict[str, Compose] = {
    MORNING_CARD.trigger: compose_card,
    CLOSE_OUT.trigger: compose_close_out,
}
