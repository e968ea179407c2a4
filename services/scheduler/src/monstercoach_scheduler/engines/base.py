"""What an engine's logic sees when one of its triggers fires, and what it returns.

The triggers themselves (when, what, deadline, missed policy) are declared in the shared
LST (:mod:`monstercoach_schemas.lst`), which the api reads too; this module is the
scheduler's side: the facts about one fire and the function type that turns them into
messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID, uuid5

from monstercoach_schemas.domain import DeliveryKind, Goal, Weekday
from monstercoach_schemas.messages import (
    Button,
    DeliveryRequested,
    DeliveryRequestedPayload,
    Envelope,
    FireRef,
)

FIRE_NAMESPACE = UUID("6f1c0e1e-3a5b-4c57-9a8e-5d0f8f6f4a21")
"""Namespace of the ids a fire derives (delivery, card, item): the same fire always
derives the same ids, so a fire enqueued twice (after a crash) is deduplicated downstream."""


@dataclass(frozen=True)
class ClientFacts:
    """What an engine may know about the client a fire is for (read by the tick's query)."""

    id: UUID
    discord_user_id: str
    display_name: str
    time_zone: str
    goal: Goal
    target_kcal: int
    target_protein_g: int
    target_steps: int
    target_water_ml: int
    training_days: tuple[Weekday, ...]

    @property
    def first_name(self) -> str:
        return self.display_name.split()[0]


@dataclass(frozen=True)
class FireContext:
    """One fire: which trigger, for whom (``None`` for a coach-level trigger), which day."""

    engine: str
    trigger: str
    client: ClientFacts | None
    local_date: date
    scheduled_for: datetime
    deadline_at: datetime | None

    @property
    def who(self) -> ClientFacts:
        """The client of a client-level fire (a coach-level trigger has none)."""
        if self.client is None:
            raise ValueError(f"{self.engine}.{self.trigger} is coach-level: it has no client")
        return self.client

    @cached_property
    def _key_root(self) -> str:
        owner = "coach" if self.client is None else str(self.client.id)
        return f"{self.engine}:{self.trigger}:{owner}:{self.local_date.isoformat()}"

    def key(self, what: str) -> str:
        """A stable idempotency key for the ``what`` this fire produces."""
        return f"{self._key_root}:{what}"

    @cached_property
    def trace_id(self) -> str:
        """One trace per fire: every message the fire produces carries it."""
        return self.uuid("trace").hex

    def uuid(self, what: str) -> UUID:
        return uuid5(FIRE_NAMESPACE, self.key(what))

    @property
    def fire_ref(self) -> FireRef:
        return FireRef(engine=self.engine, trigger=self.trigger, local_date=self.local_date)

    def delivery(
        self, kind: DeliveryKind, text: str, buttons: Sequence[Button] = ()
    ) -> DeliveryRequested:
        """A DM to this fire's client that stops being worth sending at the deadline."""
        client = self.who
        return DeliveryRequested(
            idempotency_key=self.key("delivery"),
            trace_id=self.trace_id,
            payload=DeliveryRequestedPayload(
                delivery_id=self.uuid("delivery"),
                client_id=client.id,
                recipient_discord_id=client.discord_user_id,
                kind=kind,
                text=text,
                buttons=list(buttons),
                fire=self.fire_ref,
                not_after=self.deadline_at,
            ),
        )


Compose = Callable[[FireContext], Sequence[Envelope[Any]]]
"""An engine's logic for one fire: the messages to put on the bus, first the one the
trigger ``emits``. Pure (no I/O, no clock) so it is tested without a database."""
