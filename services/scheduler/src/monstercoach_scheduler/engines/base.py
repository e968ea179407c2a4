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
from hashlib import sha1
from typing import Any
from uuid import UUID

from monstercoach_schemas.domain import DeliveryKind, Goal, Weekday
from monstercoach_schemas.messages import Button, DeliveryRequested, Envelope

FIRE_NAMESPACE = UUID("6f1c0e1e-3a5b-4c57-9a8e-5d0f8f6f4a21")
"""Namespace of the ids a fire derives (delivery, card, item): the same fire always
derives the same ids, so a fire enqueued twice (after a crash) is deduplicated downstream."""

_NAMESPACE_BYTES = FIRE_NAMESPACE.bytes
_VERSION_MASK = ~(0xF000 << 64 | 0xC000 << 48)
_VERSION_5 = 0x5000 << 64 | 0x8000 << 48


def fire_uuid_int(name: str) -> int:
    """``uuid5(FIRE_NAMESPACE, name).int``, computed directly.

    The standard library's ``uuid5`` goes through ``bytes`` and a fully checked
    ``UUID(bytes=..., version=5)``; a job card derives eight ids, so for a tick of
    thousands of fires the shorter path matters. The tests pin it to ``uuid5``.
    """
    digest = int.from_bytes(
        sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()[:16]
    )
    return digest & _VERSION_MASK | _VERSION_5


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
        return f"{fire_uuid_int(self.key('trace')):032x}"  # the uuid5's hex

    def uuid(self, what: str) -> UUID:
        """A stable id for the ``what`` this fire produces (``uuid5`` of its key)."""
        return UUID(int=fire_uuid_int(self.key(what)))

    def delivery(
        self, kind: DeliveryKind, text: str, buttons: Sequence[Button] = ()
    ) -> DeliveryRequested:
        """A DM to this fire's client that stops being worth sending at the deadline."""
        client = self.who
        # One validation of the whole message (pydantic-core builds the nested models)
        # instead of one per model: the same checks, about a quarter cheaper.
        return DeliveryRequested.model_validate(
            {
                "idempotency_key": self.key("delivery"),
                "trace_id": self.trace_id,
                "payload": {
                    "delivery_id": self.uuid("delivery"),
                    "client_id": client.id,
                    "recipient_discord_id": client.discord_user_id,
                    "kind": kind,
                    "text": text,
                    "buttons": buttons,
                    "fire": {
                        "engine": self.engine,
                        "trigger": self.trigger,
                        "local_date": self.local_date,
                    },
                    "not_after": self.deadline_at,
                },
            }
        )


Compose = Callable[[FireContext], Sequence[Envelope[Any]]]
"""An engine's logic for one fire: the messages to put on the bus, first the one the
trigger ``emits``. Pure (no I/O, no clock) so it is tested without a database."""
