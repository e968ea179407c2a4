"""How a simulated client answers what the system sends them: pure functions.

Given a client, the DM they (would have) received and when, these return what the
client does and when: the messages a real client's clicks and modals would make the bot
publish. No I/O and no clock: :mod:`.simulate` feeds them and publishes the result.

Behaviour continues the demo's story: each demo client keeps the persona the seed gave
them (``monstercoach_cli.seed``), and a day's behaviour comes from the seed's own
``plan_day`` (does the client check in, how many meals, how far off target, does the
training happen). Clients who are not in the demo get a persona drawn from their id.

Every choice comes from a generator seeded by (seed, client, local date, what), so the
same fire always gets the same answer, and every message's idempotency key is derived
from the same things: a simulator that sees a delivery twice, or restarts and sees it
again, never makes a client answer twice.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from monstercoach_schemas.domain import JobCardItemStatus
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    DmReceived,
    DmReceivedPayload,
    Envelope,
    JobCardIssuedPayload,
    JobCardItemMarked,
    JobCardItemMarkedPayload,
    MealLogged,
    WorkoutLogged,
    WorkoutLoggedPayload,
)

from .seed import (
    CHECKIN_DEADLINE,
    CLOSEOUT_AT,
    HISTORY_DAYS,
    LOG_MEALS_ITEM,
    PERSONAS,
    TRAINING_ITEM,
    WORKOUTS,
    ClientContext,
    DayPlan,
    Pattern,
    Persona,
    checkin_row,
    clamp,
    daily_weight_change,
    demo_uuid,
    meal_rows,
    meal_slots,
    plan_day,
    snowflake,
    wall,
)

DEFAULT_SEED = "monstercoach-sim-v1"
DEMO_PERSONAS: dict[UUID, Persona] = {demo_uuid("client", p.key): p for p in PERSONAS}
"""The demo's clients by id (the seed derives their ids from the persona)."""


@dataclass(frozen=True)
class Habits:
    """How quickly and how reliably a pattern of client answers."""

    reply_minutes: float
    """Typical minutes from a DM to the answer (a log-normal's median)."""
    late_p: float
    """Chance a check-in comes only after its answer window closed."""
    reply_to_coach_p: float
    """Chance of answering the coach's message."""
    writes_p: float
    """Chance per day of writing to the coach unprompted."""


SILENT = Habits(60, 0.0, 0.0, 0.0)
HABITS: dict[Pattern, Habits] = {
    Pattern.CONSISTENT: Habits(20, 0.04, 0.8, 0.03),
    Pattern.PATCHY: Habits(75, 0.35, 0.5, 0.03),
    Pattern.SLIPPING: Habits(120, 0.5, 0.3, 0.02),
    Pattern.GONE_QUIET: SILENT,
    Pattern.RECON: Habits(25, 0.05, 0.9, 0.08),
    Pattern.UNDER_EATING: Habits(30, 0.1, 0.8, 0.06),
    Pattern.OVER_EATING: Habits(45, 0.15, 0.6, 0.04),
    Pattern.PAUSED: Habits(60, 0.0, 0.7, 0.05),
    Pattern.BLOCKED: SILENT,  # closed their DMs: never sees a prompt
}
STRANGER_PATTERNS = (Pattern.CONSISTENT, Pattern.PATCHY, Pattern.OVER_EATING,
                     Pattern.UNDER_EATING, Pattern.GONE_QUIET)  # fmt: skip
STRANGER_WEIGHTS = (55, 25, 8, 7, 5)

REPLIES = {
    "keen": ("thanks coach!", "will do 👍", "on it", "got it, thanks", "yep sounds good",
             "legend, thanks", "ok will try that tomorrow"),
    "sheepish": ("sorry, crazy week", "yeah I know, will get back on it", "sorry been slack",
                 "work has been mental, back on it monday", "ugh I know"),
}  # fmt: skip
UNPROMPTED = (
    "can we swap tomorrow's session to thursday?", "knee's a bit sore after lunges",
    "travelling next week, any tips for hotel food?", "is it ok to have a cheat meal saturday?",
    "scale jumped 1kg overnight, should I worry?", "hit a new PR today 🎉",
)  # fmt: skip


@dataclass(frozen=True)
class ClientFacts:
    """What the simulator knows about a client (read from ``clients``)."""

    id: UUID
    display_name: str
    time_zone: str
    status: str
    goal: str
    target_kcal: int
    target_protein_g: int
    target_steps: int
    target_water_ml: int
    training_days: tuple[str, ...]
    weight_kg: float | None = None
    weight_date: date | None = None
    """The latest weight on record and its local date: check-ins continue from it."""

    @property
    def first_name(self) -> str:
        return self.display_name.split()[0] if self.display_name.strip() else "client"


@dataclass(frozen=True)
class Action:
    """Something a client does at ``at`` (simulated time)."""

    at: datetime
    message: Envelope[Any]
    summary: str
    status: str = "answered"


def persona_for(client: ClientFacts) -> Persona:
    """The demo persona (with the client's current targets), else one drawn from the id."""
    demo = DEMO_PERSONAS.get(client.id)
    if demo is None:
        rng = random.Random(f"persona:{client.id}")
        weight = client.weight_kg or 75.0
        demo = Persona(
            key=str(client.id),
            name=client.display_name,
            time_zone=client.time_zone,
            goal=client.goal,
            pattern=rng.choices(STRANGER_PATTERNS, weights=STRANGER_WEIGHTS)[0],
            start_kg=weight,
            goal_kg=weight,
            kcal=client.target_kcal,
            protein_g=client.target_protein_g,
            training_days=client.training_days,
            photo_rate=0.2,
        )
    pattern = demo.pattern
    if pattern is Pattern.PAUSED and client.status == "active":
        pattern = Pattern.CONSISTENT  # back from the break the seed gave them
    # The coach may have changed targets or days since the seed: today's facts win.
    return replace(
        demo,
        pattern=pattern,
        name=client.display_name,
        time_zone=client.time_zone,
        kcal=client.target_kcal,
        protein_g=client.target_protein_g,
        training_days=client.training_days,
        steps=client.target_steps,
        water_ml=client.target_water_ml,
    )


def habits_of(persona: Persona) -> Habits:
    return HABITS.get(persona.pattern, HABITS[Pattern.CONSISTENT])


class Behaviour:
    """The planner: a DM in, a client's actions out. Deterministic for a ``seed``."""

    def __init__(self, seed: str = DEFAULT_SEED):
        self.seed = seed

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join([self.seed, *map(str, parts)]))

    def day_plan(self, client: ClientFacts, persona: Persona, day: date) -> DayPlan:
        """The seed's plan for "today" of the persona's story (after any turn it took)."""
        return plan_day(persona, HISTORY_DAYS, day, self.rng(client.id, day, "plan"))

    def context(self, client: ClientFacts, persona: Persona, day: date, what: str) -> ClientContext:
        return ClientContext(
            persona=persona,
            client_id=client.id,
            discord_id="0",
            zone=ZoneInfo(client.time_zone),
            local_today=day,
            rng=self.rng(client.id, day, what),
        )

    def reply_delay(self, rng: random.Random, habits: Habits) -> timedelta:
        minutes = rng.lognormvariate(math.log(max(habits.reply_minutes, 1.0)), 0.8)
        return timedelta(minutes=clamp(minutes, 1.0, 600.0), seconds=rng.randint(0, 59))

    # --- check-in prompt --------------------------------------------------------------

    def checkin(
        self, client: ClientFacts, day: date, received: datetime
    ) -> tuple[list[Action], str]:
        """The check-in answer (or none) for a prompt received at ``received``; and why."""
        persona = persona_for(client)
        plan = self.day_plan(client, persona, day)
        habits = habits_of(persona)
        if plan.blocked or habits is SILENT:
            return [], f"{persona.pattern.value}: never answers"
        if not plan.checks_in:
            return [], f"{persona.pattern.value}: skips today"
        rng = self.rng(client.id, day, "checkin")
        zone = ZoneInfo(client.time_zone)
        deadline = wall(day, zone, CHECKIN_DEADLINE)
        if rng.random() < habits.late_p:
            at = max(deadline, received) + timedelta(minutes=rng.uniform(10, 180))
        else:
            at = received + self.reply_delay(rng, habits)
            if at >= deadline > received:
                at = received + (deadline - received) * rng.uniform(0.3, 0.95)
        ctx = self.context(client, persona, day, "checkin-values")
        weighs = persona.weighs_daily or day.weekday() == 0
        row = checkin_row(ctx, HISTORY_DAYS, plan, self.weight(client, persona, day, rng))
        payload = CheckinAnsweredPayload(
            client_id=client.id,
            local_date=day,
            weight_kg=float(row.weight_kg) if weighs and row.weight_kg is not None else None,
            sleep_hours=None if row.sleep_hours is None else float(row.sleep_hours),
            energy=row.energy,
            notes=row.notes,
            answered_at=at,
        )
        late = at > deadline
        message = CheckinAnswered(
            idempotency_key=f"sim:checkin.answered:{client.id}:{day}", payload=payload
        )
        said = f": “{payload.notes}”" if payload.notes else ""
        summary = f"{client.first_name} checks in for {day}{' (late)' if late else ''}{said}"
        return [Action(at, message, summary, "late" if late else "answered")], "answers"

    def weight(self, client: ClientFacts, persona: Persona, day: date, rng: random.Random) -> float:
        """Today's scale reading: the last one on record, moved along the persona's trend."""
        base = client.weight_kg if client.weight_kg is not None else persona.start_kg
        days = (day - client.weight_date).days if client.weight_date else 0
        trend = daily_weight_change(persona, HISTORY_DAYS) * max(days, 0)
        return round(clamp(base + trend + rng.gauss(0, 0.25), 20, 400), 1)

    def unprompted_dm(self, client: ClientFacts, day: date, received: datetime) -> list[Action]:
        """Now and then a client writes to the coach on their own."""
        persona = persona_for(client)
        rng = self.rng(client.id, day, "dm")
        if rng.random() >= habits_of(persona).writes_p:
            return []
        texts = tuple(text for _, text in persona.dms) + UNPROMPTED
        at = max(received, wall(day, ZoneInfo(client.time_zone), rng.randint(8 * 60, 21 * 60)))
        return [self._dm(client, rng.choice(texts), at, rng, f"sim:dm.received:{client.id}:{day}")]

    def reply_to_coach(
        self, client: ClientFacts, delivery_id: UUID, received: datetime
    ) -> list[Action]:
        """An answer to the coach's message (a nudge), or silence."""
        persona = persona_for(client)
        habits = habits_of(persona)
        rng = self.rng(delivery_id, "reply")
        if rng.random() >= habits.reply_to_coach_p:
            return []
        keen = persona.pattern in (Pattern.CONSISTENT, Pattern.RECON, Pattern.UNDER_EATING)
        text = rng.choice(REPLIES["keen" if keen else "sheepish"])
        at = received + self.reply_delay(rng, habits)
        return [self._dm(client, text, at, rng, f"sim:dm.received:{delivery_id}")]

    def _dm(
        self, client: ClientFacts, text: str, at: datetime, rng: random.Random, key: str
    ) -> Action:
        message = DmReceived(
            idempotency_key=key,
            payload=DmReceivedPayload(
                client_id=client.id,
                discord_message_id=snowflake(at.astimezone(UTC), rng),
                text=text,
                received_at=at,
            ),
        )
        return Action(at, message, f"{client.first_name} writes to the coach: “{text}”", "dm")

    # --- job card ----------------------------------------------------------------------

    def job_card(
        self, client: ClientFacts, card: JobCardIssuedPayload, received: datetime
    ) -> list[Action]:
        """Done/Skip clicks through the day (and the workout behind "Training session");
        an item left alone is closed out as missed at night by the scheduler."""
        persona = persona_for(client)
        day = card.local_date
        plan = self.day_plan(client, persona, day)
        if plan.blocked or habits_of(persona) is SILENT:
            return []
        rng = self.rng(client.id, day, "jobcard")
        zone = ZoneInfo(client.time_zone)
        close_out = wall(day, zone, CLOSEOUT_AT) - timedelta(minutes=1)

        def when(start: int, end: int) -> datetime:
            at = wall(day, zone, rng.randint(start, end), rng.randint(0, 59))
            if at <= received:
                at = received + timedelta(minutes=rng.uniform(2, 30))
            return min(at, max(close_out, received + timedelta(minutes=1)))

        actions: list[Action] = []
        for item in sorted(card.items, key=lambda i: i.position):
            roll = rng.random()
            mark: tuple[JobCardItemStatus, datetime] | None = None
            if item.label == TRAINING_ITEM:
                if plan.trains:
                    evening = rng.random() < 0.7
                    at = when(17 * 60 + 30, 19 * 60 + 45) if evening else when(6 * 60, 7 * 60 + 30)
                    mark = JobCardItemStatus.DONE, at
                    actions.append(self._workout(client, persona, day, at, rng))
                elif roll < plan.skip_p * 2:
                    mark = JobCardItemStatus.SKIPPED, when(19 * 60, 22 * 60)
            elif item.label == LOG_MEALS_ITEM and plan.meals < 3:
                mark = None  # they did not log every meal, and they know it
            elif roll < plan.done_p:
                mark = JobCardItemStatus.DONE, when(9 * 60, 22 * 60 + 30)
            elif roll < plan.done_p + plan.skip_p:
                mark = JobCardItemStatus.SKIPPED, when(20 * 60, 23 * 60)
            if mark is None:
                continue
            status, at = mark
            message = JobCardItemMarked(
                idempotency_key=f"sim:jobcard.item_marked:{card.card_id}:{item.id}",
                payload=JobCardItemMarkedPayload(
                    client_id=client.id,
                    card_id=card.card_id,
                    item_id=item.id,
                    status=status,
                    marked_at=at,
                ),
            )
            word = "✅" if status is JobCardItemStatus.DONE else "skips"
            actions.append(Action(at, message, f"{client.first_name} {word} “{item.label}”"))
        return actions

    def _workout(
        self, client: ClientFacts, persona: Persona, day: date, at: datetime, rng: random.Random
    ) -> Action:
        sessions = WORKOUTS.get(persona.goal, WORKOUTS["maintenance"])
        description = rng.choice(sessions)
        message = WorkoutLogged(
            idempotency_key=f"sim:workout.logged:{client.id}:{day}",
            payload=WorkoutLoggedPayload(
                client_id=client.id,
                description=description,
                duration_min=rng.randint(35, 90),
                logged_at=at - timedelta(minutes=rng.randint(1, 15)),
            ),
        )
        return Action(
            at - timedelta(minutes=1),
            message,
            f"{client.first_name} logs a workout: {description}",
            "logged",
        )

    # --- meal reminders ----------------------------------------------------------------

    def meals(
        self, client: ClientFacts, day: date, trigger: str, received: datetime
    ) -> list[Action]:
        """After the lunch reminder the day's meals so far, after dinner's the rest."""
        persona = persona_for(client)
        plan = self.day_plan(client, persona, day)
        if plan.blocked or plan.meals == 0 or habits_of(persona) is SILENT:
            return []
        # One generator for the whole day: the lunch and dinner reminders share one menu.
        ctx = self.context(client, persona, day, "meals")
        menu = list(zip(meal_slots(plan.meals), meal_rows(ctx, HISTORY_DAYS, plan), strict=True))
        wanted = ("breakfast", "lunch") if trigger == "lunch_reminder" else ("snack", "dinner")
        rng = self.rng(client.id, day, "meals", trigger)
        at = received
        actions: list[Action] = []
        for slot, row in menu:
            if slot not in wanted:
                continue
            at = at + timedelta(minutes=rng.uniform(3, 40), seconds=rng.randint(0, 59))
            message = MealLogged.model_validate(
                {
                    "idempotency_key": f"sim:meal.logged:{client.id}:{day}:{slot}",
                    "payload": {
                        "client_id": client.id,
                        "description": row.description,
                        "kcal": row.kcal,
                        "protein_g": row.protein_g,
                        "carbs_g": row.carbs_g,
                        "fat_g": row.fat_g,
                        "photo_url": row.photo_url,
                        "logged_at": at,
                    },
                }
            )
            summary = f"{client.first_name} logs {slot}: {row.description} ({row.kcal} kcal)"
            actions.append(Action(at, message, summary, "logged"))
        return actions
