"""The LST and its planning rules (shared with the scheduler), read by the api.

The LST and the next-fire rules come from :mod:`monstercoach_schemas.lst` — the same
pure modules the scheduler runs (no I/O, no clock) — rather than being read back from
the scheduler's ``next_fires`` table, because:

* an override is validated by the very function the scheduler will run it through
  (``plan.effective_when``), so the api can never accept a schedule the scheduler refuses;
* a client's next fires are computed as the scheduler would, from the override just
  saved: ``next_fires`` only catches up at the scheduler's next tick, holds nothing for a
  paused client, and only ever the one next fire of each trigger.

``next_fires`` is still what the roster-wide "coming up" list reads: it is the plan the
scheduler will act on, and one indexed range over it beats computing every client's fires.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from fastapi.exceptions import RequestValidationError

from monstercoach_schemas.domain import ClientStatus, Weekday
from monstercoach_schemas.lst.base import (
    ClientLocalTime,
    CoachLocalTime,
    Engine,
    OnEvent,
    Trigger,
    When,
)
from monstercoach_schemas.lst.plan import (
    Override as PlanOverride,
)
from monstercoach_schemas.lst.plan import (
    client_triggers,
    deadline_at,
    effective_when,
    next_client_fire,
    weekdays_of,
)
from monstercoach_schemas.lst.registry import all_engines, all_triggers
from monstercoach_schemas.lst.render import render_deadline, render_when
from monstercoach_schemas.lst.timing import InvalidScheduleError

from ..errors import ApiError
from .schemas import (
    Clock,
    Lst,
    LstEngine,
    LstTrigger,
    NextFire,
    Override,
    OverrideRequest,
    ScheduleEntry,
)

# --- the LST ----------------------------------------------------------------------------------


def _timing(when: When) -> tuple[Clock, time | None, list[Weekday], str | None]:
    """(clock, time, weekdays, event type) of a trigger's ``when``."""
    if isinstance(when, OnEvent):
        return Clock.EVENT, None, [], when.message_type
    clock = Clock.COACH_LOCAL if isinstance(when, CoachLocalTime) else Clock.CLIENT_LOCAL
    return clock, when.at, list(when.weekdays), None


def _lst_trigger(trigger: Trigger) -> LstTrigger:
    when, deadline = trigger.when, trigger.deadline
    clock, at, weekdays, on_event = _timing(when)
    return LstTrigger(
        engine=trigger.engine,
        trigger=trigger.trigger,
        clock=clock,
        at=at,
        weekdays=weekdays,
        on_event=on_event,
        when=render_when(when),
        emits=trigger.emits.message_type,
        delivery_kind=trigger.emits.kind,
        deadline=render_deadline(deadline, when),
        deadline_at=deadline if isinstance(deadline, time) else None,
        deadline_minutes=(
            int(deadline.total_seconds()) // 60 if isinstance(deadline, timedelta) else None
        ),
        missed_policy=trigger.missed_policy.value,
        missed_policy_meaning=trigger.missed_policy.meaning,
        answered_by=trigger.answered_by,
        description=trigger.description,
    )


def _lst_engine(engine: Engine) -> LstEngine:
    return LstEngine(
        id=engine.id,
        description=engine.description,
        triggers=[_lst_trigger(t) for t in engine.triggers],
    )


def lst() -> Lst:
    return Lst(engines=[_lst_engine(engine) for engine in all_engines()])


# --- one client's triggers ----------------------------------------------------------------


def client_trigger(engine: str, trigger: str) -> Trigger:
    """The client-local trigger ``engine.trigger`` of the LST: 404 if the LST has no such
    trigger, 422 if it has one that is not per client (it cannot be overridden)."""
    for candidate in all_triggers():
        if (candidate.engine, candidate.trigger) != (engine, trigger):
            continue
        if not isinstance(candidate.when, ClientLocalTime):
            raise ApiError(
                422,
                "not_a_client_trigger",
                f"{engine}.{trigger} does not fire on each client's clock, so it has no "
                "per-client schedule.",
            )
        return candidate
    raise ApiError(
        404, "unknown_trigger", f"The LST has no trigger {engine}.{trigger} (see GET /lst)."
    )


def stored_override(row: asyncpg.Record) -> PlanOverride:
    return PlanOverride(row["enabled"], row["local_time"], weekdays_of(row["weekdays"]))


def requested_override(request: OverrideRequest) -> PlanOverride:
    return PlanOverride(request.enabled, request.local_time, weekdays_of(request.weekdays))


def check_override(trigger: Trigger, request: OverrideRequest) -> None:
    """422 (with the field) for an override the scheduler would refuse to run, such as a
    time at or past the trigger's answer deadline."""
    try:
        effective_when(trigger, requested_override(request))
    except InvalidScheduleError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "local_time"),
                    "msg": f"{exc}: pick a time before the deadline",
                    "type": "after_deadline",
                }
            ]
        ) from exc


def override_of(row: asyncpg.Record | None) -> Override | None:
    if row is None:
        return None
    return Override(
        enabled=row["enabled"],
        local_time=row["local_time"],
        weekdays=row["weekdays"],
        updated_at=row["updated_at"],
    )


def _next_fire(
    trigger: Trigger, zone_name: str, override: PlanOverride | None, at: datetime
) -> NextFire | None:
    fire = next_client_fire(trigger, zone_name, override, at)
    if fire is None:
        return None
    zone = ZoneInfo(zone_name)
    deadline = deadline_at(trigger, fire, zone_name)
    return NextFire(
        at=fire.at,
        local=fire.at.astimezone(zone),
        local_date=fire.local_date,
        deadline_at=deadline,
        deadline_local=None if deadline is None else deadline.astimezone(zone),
    )


def entry(
    trigger: Trigger,
    zone_name: str,
    status: ClientStatus,
    row: asyncpg.Record | None,
    at: datetime,
) -> ScheduleEntry:
    """The client's schedule for ``trigger`` given their override ``row`` (or none)."""
    assert isinstance(trigger.when, ClientLocalTime)
    default = trigger.when
    override = None if row is None else stored_override(row)
    problem, upcoming = None, None
    when: ClientLocalTime | None = default
    try:
        when = effective_when(trigger, override)
        if status is ClientStatus.ACTIVE:
            upcoming = _next_fire(trigger, zone_name, override, at)
    except InvalidScheduleError as exc:
        problem = str(exc)
    return ScheduleEntry(
        engine=trigger.engine,
        trigger=trigger.trigger,
        description=trigger.description,
        default_time=default.at,
        default_weekdays=list(default.weekdays),
        override=override_of(row),
        enabled=when is not None,
        local_time=None if when is None else when.at,
        weekdays=list((when or default).weekdays),
        next_fire=upcoming,
        problem=problem,
    )


def entries(
    zone_name: str,
    status: ClientStatus,
    rows: dict[tuple[str, str], asyncpg.Record],
    at: datetime,
) -> list[ScheduleEntry]:
    return [
        entry(trigger, zone_name, status, rows.get((trigger.engine, trigger.trigger)), at)
        for trigger in client_triggers()
    ]
