"""``/system``: heartbeats, stream lengths, pending and lag, dead letters and replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator

from monstercoach_kit.bus import DeadLetter, StreamBus
from monstercoach_kit.health import read_heartbeats
from monstercoach_schemas.streams import Group, Stream

from ..audit.repository import record
from ..auth.dependencies import CoachDep
from ..bus import BusDep, RuntimeDep, redis_unavailable_as_503
from ..clock import NowDep
from ..db import ConnectionDep
from ..errors import ApiError, error_responses
from ..paging import MAX_LIMIT
from ..routing import coach_router
from .schemas import (
    DeadLetterPage,
    Replayed,
    ServiceBeat,
    SystemStatus,
)

router = coach_router("system", "/system")

SERVICES = tuple(group.value for group in Group)
"""Every service runs one consumer group named after it, and beats under that name."""

ENTRY_ID = r"^[0-9]{1,20}-[0-9]{1,20}$"
"""A Redis stream entry id, e.g. ``1764144000000-0``."""


def _within_64_bits(value: str | None) -> str | None:
    # 20 digits can still exceed what Redis accepts, and XRANGE would then fail (a 500).
    if value is not None and any(int(part) >= 2**64 for part in value.split("-")):
        raise ValueError("a stream entry id is two 64-bit numbers, like 1764144000000-0")
    return value


EntryId = Annotated[str, Path(pattern=ENTRY_ID), AfterValidator(_within_64_bits)]


def _beat(service: str, beat: dict[str, Any] | None, now: datetime) -> ServiceBeat:
    if beat is None:
        return ServiceBeat(service=service, alive=False, instance=None, at=None, age_seconds=None)
    at = datetime.fromisoformat(beat["at"])
    return ServiceBeat(
        service=service,
        alive=True,
        instance=beat.get("instance"),
        at=at,
        age_seconds=round(max(0.0, (now - at).total_seconds()), 1),
    )


@router.get("/status")
async def system_status(runtime: RuntimeDep, now: NowDep) -> SystemStatus:
    """Each service's heartbeat, each stream's length and its groups' pending and lag,
    and how many dead letters wait."""
    bus = runtime.bus
    with redis_unavailable_as_503():
        beats = await read_heartbeats(runtime.redis, runtime.settings.key_prefix)
        streams = await bus.status([stream.value for stream in Stream])
        dead = await bus.dead_letter_count()
    return SystemStatus(
        services=[_beat(name, beats.get(name), now) for name in sorted({*SERVICES, *beats})],
        streams=streams,
        dead_letters=dead,
    )


@router.get("/dead-letters", responses=error_responses(422))
async def dead_letters_list(
    bus: BusDep,
    after: Annotated[
        str | None,
        Query(pattern=ENTRY_ID, description="a `next_after`"),
        AfterValidator(_within_64_bits),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> DeadLetterPage:
    """Messages that failed validation or exhausted their deliveries, with the error."""
    with redis_unavailable_as_503():
        # "(" makes the range exclusive: the page starts after the last one shown.
        letters = await bus.dead_letters(count=limit + 1, after=f"({after}" if after else "-")
        total = await bus.dead_letter_count()
    page = letters[:limit]
    return DeadLetterPage(
        items=page,
        total=total,
        next_after=page[-1].id if len(letters) > limit else None,
    )


def _not_found(dead_letter_id: str) -> ApiError:
    return ApiError(404, "dead_letter_not_found", f"There is no dead letter {dead_letter_id}.")


async def _dead_letter(bus: StreamBus, dead_letter_id: str) -> DeadLetter:
    letters = await bus.dead_letters(count=1, after=dead_letter_id)
    if not letters or letters[0].id != dead_letter_id:
        raise _not_found(dead_letter_id)
    return letters[0]


@router.post("/dead-letters/{dead_letter_id}/replay", responses=error_responses(404, 422))
async def dead_letter_replay(
    dead_letter_id: EntryId, bus: BusDep, conn: ConnectionDep, coach: CoachDep
) -> Replayed:
    """Put a dead letter back on its stream (same envelope and idempotency key, so an
    effect that already happened is not repeated). Audited."""
    with redis_unavailable_as_503():
        letter = await _dead_letter(bus, dead_letter_id)
        # Recorded first: if the replay fails, the request's transaction drops the record.
        await record(
            conn,
            coach.discord_user_id,
            "dead_letter.replay",
            dead_letter_id,
            {"stream": letter.stream, "type": letter.type},
        )
        try:
            new_id = await bus.replay_dead_letter(dead_letter_id)
        except KeyError as exc:  # replayed by someone else in between
            raise _not_found(dead_letter_id) from exc
    return Replayed(dead_letter_id=dead_letter_id, stream=letter.stream, new_id=new_id)
