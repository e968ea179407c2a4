"""``monstercoach seed-demo``: a demo coach, 25 clients and four weeks of history.

The rows are built by plain functions (``build_demo``) from a fixed seed and an instant,
then written in one transaction. Building is pure so tests can inspect every row without
a database; writing is set-based (``COPY``) so the whole demo costs a few round trips.

Every client follows a persona (consistent, slipping, gone quiet, the "hit my macros"
recon case…) so Battle Station, the scheduler and the flag worker have something real
to show and detect. History ends yesterday in each client's own time zone.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from monstercoach_kit.db import create_pool
from monstercoach_kit.log import redact_text
from monstercoach_kit.settings import KitSettings

console = Console()
err_console = Console(stderr=True)

# Fixed inputs: the same instant always yields the same rows, and ids only depend on the
# persona and how many days ago a row is, so a reseed on another day keeps them stable.
DEMO_NAMESPACE = uuid.UUID("6f1b9a52-6d7e-4c1a-9d0e-2f4c8a3b5e71")
DEMO_SEED = "monstercoach-demo-v1"
HISTORY_DAYS = 28
# The system ran in dry-run mode (no Discord token yet) for the first days of the demo.
DRY_RUN_DAYS = 2
BLOCKED_ERROR = "50007 cannot send messages to this user"
# Serialises concurrent seeders: the second one waits, then sees the demo coach.
ADVISORY_LOCK_KEY = 0x4D43_5345_4544  # "MCSEED"
CONNECT_TIMEOUT_SECONDS = 10.0
DISCORD_EPOCH_MS = 1_420_070_400_000


def demo_uuid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(str(part) for part in parts))


DEMO_COACH_ID = demo_uuid("coach")


# --- rows, one NamedTuple per table; field names are the column names ----------------


class CoachRow(NamedTuple):
    id: uuid.UUID
    discord_user_id: str
    display_name: str
    time_zone: str
    created_at: datetime


class ClientRow(NamedTuple):
    id: uuid.UUID
    coach_id: uuid.UUID
    discord_user_id: str
    display_name: str
    time_zone: str
    status: str
    goal: str
    goal_weight_kg: Decimal | None
    target_kcal: int
    target_protein_g: int
    target_carbs_g: int
    target_fat_g: int
    target_steps: int
    target_water_ml: int
    training_days: list[str]
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None


class CheckinRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    local_date: date
    weight_kg: Decimal | None
    sleep_hours: Decimal | None
    energy: int | None
    notes: str
    answered_at: datetime


class MealRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    local_date: date
    description: str
    kcal: int | None
    protein_g: int | None
    carbs_g: int | None
    fat_g: int | None
    photo_url: str | None
    logged_at: datetime


class WorkoutRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    local_date: date
    description: str
    duration_min: int | None
    logged_at: datetime


class WeightRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    local_date: date
    weight_kg: Decimal
    measured_at: datetime


class JobCardRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    local_date: date
    issued_at: datetime


class JobCardItemRow(NamedTuple):
    id: uuid.UUID
    card_id: uuid.UUID
    position: int
    label: str
    status: str
    updated_at: datetime | None


class DeliveryRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID | None
    recipient_discord_id: str
    kind: str
    text: str
    status: str
    attempts: int
    last_error: str | None
    discord_message_id: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class TriggerFireRow(NamedTuple):
    engine: str
    trigger: str
    client_id: uuid.UUID
    local_date: date
    scheduled_for: datetime
    fired_at: datetime | None
    enqueued_at: datetime | None
    deadline_at: datetime | None
    status: str
    reason: str | None
    reported_at: datetime | None  # a past miss was reported long ago: nothing is owed


class FlagRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    iso_week: str
    code: str
    severity: str
    source: str
    evidence: list[dict[str, Any]]
    rationale: str
    suggested_action: str
    status: str
    status_note: str | None
    created_at: datetime
    updated_at: datetime


class DirectMessageRow(NamedTuple):
    id: uuid.UUID
    client_id: uuid.UUID
    discord_message_id: str
    text: str
    received_at: datetime


@dataclass
class DemoData:
    """Every demo row, per table. Field order is a valid insert order for the FKs."""

    coaches: list[CoachRow] = field(default_factory=list)
    clients: list[ClientRow] = field(default_factory=list)
    checkins: list[CheckinRow] = field(default_factory=list)
    meal_logs: list[MealRow] = field(default_factory=list)
    workout_logs: list[WorkoutRow] = field(default_factory=list)
    weight_entries: list[WeightRow] = field(default_factory=list)
    job_cards: list[JobCardRow] = field(default_factory=list)
    job_card_items: list[JobCardItemRow] = field(default_factory=list)
    deliveries: list[DeliveryRow] = field(default_factory=list)
    trigger_fires: list[TriggerFireRow] = field(default_factory=list)
    direct_messages: list[DirectMessageRow] = field(default_factory=list)
    flags: list[FlagRow] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[Any]]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables()}

    def extend(self, other: DemoData) -> None:
        for name, rows in other.tables():
            getattr(self, name).extend(rows)


TABLE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(DemoData))


# --- personas ------------------------------------------------------------------------


class Pattern(StrEnum):
    CONSISTENT = "consistent"
    PATCHY = "patchy"
    SLIPPING = "slipping"  # fine, then from turn_day: no check-ins, cards missed
    GONE_QUIET = "gone_quiet"  # from turn_day: nothing at all
    RECON = "recon"  # says "hit my macros" while logging far-off meals
    UNDER_EATING = "under_eating"
    OVER_EATING = "over_eating"
    PAUSED = "paused"  # coach paused the client on turn_day: the scheduler stops
    BLOCKED = "blocked"  # closed DMs on turn_day: every delivery fails with 50007


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    time_zone: str
    goal: str
    pattern: Pattern
    start_kg: float
    goal_kg: float
    kcal: int
    protein_g: int
    training_days: tuple[str, ...]
    turn_day: int = HISTORY_DAYS  # day index where the pattern's change starts
    steps: int = 8000
    water_ml: int = 2500
    weighs_daily: bool = True  # else only on Mondays
    photo_rate: float = 0.0
    sleep_mean: float = 7.2
    energy_mean: float = 7.0
    dms: tuple[tuple[int, str], ...] = ()  # (day index, text) free-text DMs to the coach

    @property
    def status(self) -> str:
        return "paused" if self.pattern is Pattern.PAUSED else "active"

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


MWF = ("mon", "wed", "fri")

PERSONAS: tuple[Persona, ...] = (
    Persona("aroha", "Aroha Ngata", "Pacific/Auckland", "fat_loss", Pattern.CONSISTENT,
            82.0, 74.0, 1900, 140, ("mon", "wed", "fri", "sat"), steps=9000, photo_rate=0.3),
    Persona("tavita", "Tavita Faleolo", "Pacific/Kiritimati", "muscle_gain", Pattern.CONSISTENT,
            71.5, 76.0, 2900, 160, ("mon", "tue", "thu", "fri"), water_ml=3000,
            weighs_daily=False),
    Persona("sina", "Sina Tuilagi", "Pacific/Pago_Pago", "fat_loss", Pattern.SLIPPING,
            96.0, 85.0, 2000, 150, MWF, turn_day=21, photo_rate=0.1),
    Persona("priya", "Priya Raman", "Asia/Kolkata", "fat_loss", Pattern.RECON,
            74.0, 65.0, 1700, 120, ("tue", "thu", "sat"), steps=10000, photo_rate=0.5,
            dms=((22, "macros were spot on this week, can we drop cals a bit more?"),)),
    Persona("bishal", "Bishal Gurung", "Asia/Kathmandu", "performance", Pattern.CONSISTENT,
            63.0, 63.0, 2800, 130, ("mon", "tue", "wed", "fri", "sat"), steps=12000,
            water_ml=3500, weighs_daily=False, energy_mean=7.8),
    Persona("mia", "Mia Kowalski", "Australia/Adelaide", "fat_loss", Pattern.OVER_EATING,
            78.0, 70.0, 1800, 130, MWF, photo_rate=0.6),
    Persona("liam", "Liam O'Driscoll", "America/St_Johns", "fat_loss", Pattern.GONE_QUIET,
            104.0, 92.0, 2300, 170, MWF, turn_day=18, steps=7000, water_ml=3000,
            dms=((15, "rough week at work, bear with me"),)),
    Persona("jonas", "Jonas Becker", "Europe/Berlin", "recomp", Pattern.CONSISTENT,
            84.0, 82.0, 2500, 175, ("mon", "tue", "thu", "fri"), steps=10000, water_ml=3000,
            photo_rate=0.2),
    Persona("marcus", "Marcus Reed", "America/New_York", "fat_loss", Pattern.SLIPPING,
            98.5, 88.0, 2200, 170, MWF, turn_day=21, water_ml=3000),
    Persona("sofia", "Sofia Alvarez", "America/Los_Angeles", "fat_loss", Pattern.UNDER_EATING,
            68.0, 62.0, 1700, 120, ("tue", "thu", "sat"), steps=9000, photo_rate=0.4,
            sleep_mean=6.4, energy_mean=5.0,
            dms=((12, "is it normal to be this hungry all the time?"),)),
    Persona("haruto", "Haruto Sato", "Asia/Tokyo", "muscle_gain", Pattern.CONSISTENT,
            66.0, 70.0, 2800, 150, ("mon", "tue", "thu", "fri"), weighs_daily=False,
            photo_rate=0.2),
    Persona("oliver", "Oliver Hughes", "Europe/London", "maintenance", Pattern.PAUSED,
            88.0, 88.0, 2600, 160, MWF, turn_day=16, water_ml=3000, weighs_daily=False,
            dms=((15, "tweaked my lower back deadlifting, think I need a week or two off"),)),
    Persona("keanu", "Keanu Kahale", "Pacific/Honolulu", "recomp", Pattern.PATCHY,
            90.0, 87.0, 2500, 180, MWF, water_ml=3000, photo_rate=0.3),
    Persona("sam", "Sam Baker", "Etc/GMT+12", "fat_loss", Pattern.CONSISTENT,
            88.0, 80.0, 2100, 160, ("mon", "wed", "fri", "sun")),
    Persona("ana", "Ana Souza", "America/Sao_Paulo", "fat_loss", Pattern.CONSISTENT,
            72.0, 66.0, 1750, 125, ("mon", "tue", "thu", "sat"), photo_rate=0.5),
    Persona("fatima", "Fatima Al-Sayed", "Asia/Dubai", "muscle_gain", Pattern.BLOCKED,
            58.0, 61.0, 2300, 120, ("sun", "tue", "thu"), turn_day=10),
    Persona("wei", "Wei Chen", "Asia/Shanghai", "performance", Pattern.CONSISTENT,
            70.0, 70.0, 3000, 140, ("mon", "tue", "wed", "fri", "sat"), steps=14000,
            water_ml=3500, energy_mean=7.6),
    Persona("chioma", "Chioma Okafor", "Africa/Lagos", "recomp", Pattern.PATCHY,
            76.0, 72.0, 2100, 140, ("tue", "thu", "sat"), photo_rate=0.2),
    Persona("lars", "Lars Nilsson", "Europe/Stockholm", "muscle_gain", Pattern.OVER_EATING,
            79.0, 84.0, 3100, 180, ("mon", "tue", "thu", "fri"), water_ml=3500),
    Persona("ines", "Inês Medeiros", "Atlantic/Azores", "fat_loss", Pattern.PAUSED,
            69.0, 63.0, 1800, 125, MWF, turn_day=20,
            dms=((19, "off to Lisbon for 10 days, ok to pause me until I'm back?"),)),
    Persona("diego", "Diego Ramírez", "America/Mexico_City", "fat_loss", Pattern.SLIPPING,
            92.0, 84.0, 2200, 165, MWF, turn_day=22, photo_rate=0.3),
    Persona("amelia", "Amelia Scott", "America/Chicago", "fat_loss", Pattern.CONSISTENT,
            81.0, 72.0, 1850, 135, ("mon", "wed", "fri", "sat"), steps=10000),
    Persona("shirin", "Shirin Rahimi", "Asia/Tehran", "maintenance", Pattern.CONSISTENT,
            61.0, 61.0, 2000, 110, ("sat", "mon", "wed"), weighs_daily=False),
    Persona("kiri", "Kiri Tane", "Pacific/Chatham", "performance", Pattern.PATCHY,
            74.0, 74.0, 2700, 140, ("mon", "wed", "thu", "sat"), steps=12000, water_ml=3000),
    Persona("hannah", "Hannah Wright", "America/Denver", "muscle_gain", Pattern.CONSISTENT,
            60.0, 63.0, 2300, 125, ("mon", "tue", "thu", "fri"), photo_rate=0.2),
)  # fmt: skip

COACH_NAME = "Coach Dana (demo)"
COACH_TIME_ZONE = "Europe/London"

# Weekly weight change by goal (kg/week), before a persona's pattern bends it.
GOAL_TREND = {
    "fat_loss": -0.5,
    "muscle_gain": 0.25,
    "recomp": -0.1,
    "maintenance": 0.0,
    "performance": 0.0,
}
# Added to the goal's trend: what the eating pattern does to the scale.
PATTERN_TREND = {
    Pattern.RECON: 0.6,  # eats well over target: a fat-loss client creeps up instead
    Pattern.UNDER_EATING: -0.4,  # drops faster than planned
    Pattern.OVER_EATING: 0.5,  # fat loss stalls; a bulk turns into a fast gain
}

# --- text pools (typos on purpose: clients type on phones) ---------------------------

NOTES_GOOD = (
    "Feeling good, legs a bit sore", "solid day", "Slept great, ready to go",
    "busy at work but stuck to the plan", "felt strong in the gym today",
    "good energy today", "meal prep sunday paid off", "bit stressed w/ work but ok",
    "feelin good, tired abit", "legs are fried from yesterdays sesh",
    "prety good day overall", "new PR on squats!!", "walked to work, nice out",
)  # fmt: skip
NOTES_LOW = (
    "really tired today", "slept badly, kids up at 3am", "low energy, coffee x3",
    "hungery all evening", "didnt sleep grate, neighbours party", "headache again",
    "knee felt wierd on lunges",
)  # fmt: skip
NOTES_SLIDING = (
    "work is crazy this week", "bit all over the place", "will get back on it next week",
    "missed the gym, long day", "eh",
)  # fmt: skip
NOTES_OVER = (
    "date night, went a bit over", "pizza friday lol", "weekend was rough food-wise",
    "birthday cake at work, oops",
)  # fmt: skip
NOTES_RECON = (
    "hit my macros all week 💪", "macros on point again", "nailed protein today",
    "right on my numbers", "hit my macros all week, easy", "on track with food",
)  # fmt: skip

MEALS = {
    "breakfast": (
        "Oats with whey and blueberries", "3 eggs on sourdough", "Greek yoghurt, granola, banana",
        "Protein smoothie", "Avo toast + 2 poached eggs", "overnight oats w/ peanut butter",
        "Scrambled eggs and toast", "Congee with chicken",
    ),
    "lunch": (
        "Chicken rice bowl", "Tuna salad wrap", "Leftover chilli con carne",
        "Dal, rice and salad", "Sushi bento", "turkey sandwhich and an apple",
        "Poke bowl (salmon)", "Chicken caesar salad",
    ),
    "dinner": (
        "Salmon, potatoes, green beans", "Beef stir fry with rice", "Chicken curry + rice",
        "Spag bol", "Tofu stir fry and noodles", "Steak, sweet potato and broccoli",
        "Turkey chilli", "Prawn pad thai",
    ),
    "snack": (
        "Protein bar", "Apple and peanut butter", "Cottage cheese + berries",
        "Handful of almonds", "Rice cakes w/ honey", "protien shake",
    ),
}  # fmt: skip
MEALS_INDULGENT = {
    "breakfast": ("Pancakes with syrup and bacon", "Masala dosa + chai", "Croissant x2 and latte"),
    "lunch": ("Burger and fries", "Biryani (big plate)", "Pizza, 4 slices"),
    "dinner": ("Butter chicken + 2 garlic naan", "Takeaway ramen + gyoza", "Mac and cheese"),
    "snack": ("choc biscuits x4", "Samosas x2", "Ice cream tub (half)", "Crisps, big bag"),
}  # fmt: skip
MEAL_SHARE = {"breakfast": 0.25, "lunch": 0.33, "dinner": 0.32, "snack": 0.10}
MEAL_WINDOW = {  # local minute-of-day windows
    "breakfast": (7 * 60, 9 * 60 + 30),
    "lunch": (12 * 60, 13 * 60 + 45),
    "snack": (15 * 60 + 30, 16 * 60 + 45),
    "dinner": (18 * 60 + 30, 20 * 60 + 30),
}
WORKOUTS = {
    "fat_loss": ("Full body A: squat, press, row", "Full body B: deadlift, pull-ups, lunges",
                 "Zone 2 bike 40 min", "Circuit + 20 min incline walk"),
    "muscle_gain": ("Push: bench 4x8, OHP, dips", "Pull: rows, pull-ups, curls",
                    "Legs: squat 5x5, RDL, leg press", "Upper: incline DB, chins, laterals"),
    "recomp": ("Upper A: bench, rows", "Lower A: squats, hip thrusts", "Upper B: OHP, pull-ups",
               "Lower B: deadlift, split squats"),
    "maintenance": ("Full body strength", "5k easy run", "Mobility + core", "Swim 30 min"),
    "performance": ("Intervals 6x400m", "Tempo run 8k", "Long run 16k", "Strength: squat, jumps",
                    "Easy 6k + strides"),
}  # fmt: skip
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Local wall-clock times (minute of day) the engines fire at.
# The scheduler's default triggers (docs/LST_Master.md), as local minutes of the day;
# tests/cli/test_seed.py checks they still match the engine declarations.
JOBCARD_AT = 7 * 60
CHECKIN_AT = 7 * 60 + 30
CHECKIN_DEADLINE = 12 * 60
MEAL_REMINDER_AT = 19 * 60
CLOSEOUT_AT = 23 * 60 + 30


# --- small helpers -------------------------------------------------------------------


def wall(day: date, zone: ZoneInfo, minute_of_day: int, second: int = 0) -> datetime:
    """The UTC instant of a local wall-clock time (a DST-gap time resolves forward)."""
    local = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60, second), zone)
    return local.astimezone(UTC)


def snowflake(at: datetime, rng: random.Random) -> str:
    """A Discord-style snowflake for an instant: 18 digits for 2016-2022, 19 after."""
    ms = int(at.timestamp() * 1000) - DISCORD_EPOCH_MS
    return str(ms << 22 | rng.getrandbits(22))


def kg(value: float) -> Decimal:
    return Decimal(f"{value:.1f}")


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def macro_targets(kcal: int, protein_g: int) -> tuple[int, int]:
    """Carbs and fat (g) that fill ``kcal`` after protein: about 27 % from fat."""
    fat = round(kcal * 0.27 / 9)
    carbs = max(0, round((kcal - 4 * protein_g - 9 * fat) / 4))
    return carbs, fat


# --- the day plan: what a persona does on a given day -----------------------------


@dataclass(frozen=True)
class DayPlan:
    scheduled: bool  # the scheduler works for the client (not paused)
    blocked: bool  # DMs to the client fail
    checks_in: bool
    meals: int  # how many meals get logged
    kcal_factor: float  # logged intake vs target
    protein_factor: float
    trains: bool  # on a training day: does the session happen
    done_p: float  # chance a job card item is marked done
    skip_p: float


PAUSED_DAY = DayPlan(False, False, False, 0, 1.0, 1.0, False, 0.0, 0.0)
SILENT_DAY = DayPlan(True, False, False, 0, 1.0, 1.0, False, 0.0, 0.0)


def plan_day(persona: Persona, day_index: int, day: date, rng: random.Random) -> DayPlan:
    """Turn the persona's pattern into concrete behaviour for one day."""
    pattern, turned = persona.pattern, day_index >= persona.turn_day
    # Base: a good client who still misses the odd day.
    logs = rng.random() < 0.95
    plan = DayPlan(
        scheduled=True,
        blocked=False,
        checks_in=rng.random() < 0.93,
        meals=(4 if rng.random() < 0.4 else 3) if logs else 0,
        kcal_factor=rng.gauss(1.0, 0.07),
        protein_factor=rng.gauss(0.97, 0.08),
        trains=rng.random() < 0.92,
        done_p=0.85,
        skip_p=0.08,
    )
    if pattern is Pattern.PATCHY:
        return replace(
            plan,
            checks_in=rng.random() < 0.6,
            meals=rng.choice((2, 3)) if rng.random() < 0.7 else 0,
            kcal_factor=rng.gauss(1.05, 0.12),
            trains=rng.random() < 0.65,
            done_p=0.55,
            skip_p=0.15,
        )
    if pattern is Pattern.SLIPPING:
        return slipping_day(plan, turned, day_index >= persona.turn_day - 7, rng)
    if pattern is Pattern.GONE_QUIET:
        return SILENT_DAY if turned else replace(plan, done_p=0.7, skip_p=0.1)
    if pattern is Pattern.RECON:
        return replace(
            plan,
            checks_in=rng.random() < 0.96,
            meals=rng.choice((3, 4)),
            kcal_factor=rng.gauss(1.45, 0.1),
            protein_factor=rng.gauss(0.6, 0.08),
            done_p=0.8,
            skip_p=0.05,
        )
    if pattern is Pattern.UNDER_EATING:
        return replace(
            plan,
            kcal_factor=rng.gauss(0.62, 0.06),
            protein_factor=rng.gauss(0.7, 0.08),
            done_p=0.75,
            skip_p=0.1,
        )
    if pattern is Pattern.OVER_EATING:
        weekend = day.weekday() >= 5
        return replace(
            plan,
            checks_in=rng.random() < 0.85,
            kcal_factor=rng.gauss(1.6 if weekend else 1.2, 0.1),
            protein_factor=rng.gauss(0.9, 0.08),
            trains=rng.random() < 0.75,
            done_p=0.65,
            skip_p=0.1,
        )
    if pattern is Pattern.PAUSED and turned:
        return PAUSED_DAY
    if pattern is Pattern.BLOCKED and turned:
        # No DM reaches her; she still uses the slash commands now and then.
        return replace(
            plan,
            blocked=True,
            checks_in=rng.random() < 0.25,
            meals=rng.choice((2, 3)) if rng.random() < 0.3 else 0,
            trains=rng.random() < 0.5,
            done_p=0.0,
            skip_p=0.0,
        )
    return plan


def slipping_day(plan: DayPlan, turned: bool, wobbling: bool, rng: random.Random) -> DayPlan:
    """Good weeks, a wobbly week, then (from the turn) check-ins stop and cards go missed."""
    if turned:
        return replace(
            plan,
            checks_in=False,
            meals=rng.choice((1, 2)) if rng.random() < 0.35 else 0,
            kcal_factor=rng.gauss(1.2, 0.1),
            trains=rng.random() < 0.15,
            done_p=0.08,
            skip_p=0.05,
        )
    if wobbling:
        return replace(
            plan, checks_in=rng.random() < 0.7, trains=rng.random() < 0.6, done_p=0.6, skip_p=0.1
        )
    return replace(plan, checks_in=rng.random() < 0.9, trains=rng.random() < 0.85, done_p=0.8)


def daily_weight_change(persona: Persona, day_index: int) -> float:
    if persona.pattern is Pattern.SLIPPING and day_index >= persona.turn_day:
        return 0.08  # stopped tracking, regaining
    weekly = GOAL_TREND[persona.goal] + PATTERN_TREND.get(persona.pattern, 0.0)
    return weekly / 7


# --- one client's history --------------------------------------------------------


@dataclass(frozen=True)
class ClientContext:
    """What every per-day builder needs to know about the client."""

    persona: Persona
    client_id: uuid.UUID
    discord_id: str
    zone: ZoneInfo
    local_today: date
    rng: random.Random

    def day(self, day_index: int) -> date:
        return self.local_today - timedelta(days=HISTORY_DAYS - day_index)


def build_demo(now: datetime, on_client: Callable[[str], None] | None = None) -> DemoData:
    """All demo rows, history ending yesterday in each client's time zone.

    ``now`` must be timezone-aware; ``on_client`` is called after each client (progress).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    coach_rng = random.Random(f"{DEMO_SEED}:coach")
    coach = CoachRow(
        DEMO_COACH_ID,
        user_snowflake(coach_rng),
        COACH_NAME,
        COACH_TIME_ZONE,
        now - timedelta(days=120),
    )
    data = DemoData(coaches=[coach])
    for persona in PERSONAS:
        data.extend(build_client(persona, coach, now))
        if on_client is not None:
            on_client(persona.name)
    data.deliveries.extend(build_coach_digests(coach, now, len(PERSONAS), coach_rng))
    return data


def user_snowflake(rng: random.Random) -> str:
    """An 18-digit Discord user id: the snowflake of an account made in 2017-2021."""
    created = datetime(2017, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(5 * 365 * 86400))
    return snowflake(created, rng)


def build_client(persona: Persona, coach: CoachRow, now: datetime) -> DemoData:
    # One generator per persona: adding or editing a persona leaves the others unchanged.
    rng = random.Random(f"{DEMO_SEED}:{persona.key}")
    zone = ZoneInfo(persona.time_zone)
    ctx = ClientContext(
        persona=persona,
        client_id=demo_uuid("client", persona.key),
        discord_id=user_snowflake(rng),
        zone=zone,
        local_today=now.astimezone(zone).date(),
        rng=rng,
    )
    data = DemoData()
    weight = persona.start_kg
    for day_index in range(HISTORY_DAYS):
        day = ctx.day(day_index)
        plan = plan_day(persona, day_index, day, rng)
        weight += daily_weight_change(persona, day_index)
        # Day-to-day scale noise (water, salt) on top of the trend.
        build_day(ctx, day_index, plan, round(weight + rng.gauss(0, 0.35), 1), data)
    data.direct_messages.extend(build_direct_messages(ctx))
    data.flags.extend(build_flags(ctx, data, now))
    data.clients.append(client_row(ctx, coach, now, data))
    return data


def client_row(ctx: ClientContext, coach: CoachRow, now: datetime, data: DemoData) -> ClientRow:
    persona = ctx.persona
    onboarded_days_ago = HISTORY_DAYS + ctx.rng.randint(3, 60)
    created = now - timedelta(days=onboarded_days_ago, hours=ctx.rng.randint(0, 23))
    updated = created + timedelta(days=1)  # targets set the day after onboarding
    if persona.pattern is Pattern.PAUSED:
        updated = wall(ctx.day(persona.turn_day), ctx.zone, 9 * 60)  # the coach paused them
    carbs, fat = macro_targets(persona.kcal, persona.protein_g)
    return ClientRow(
        id=ctx.client_id,
        coach_id=coach.id,
        discord_user_id=ctx.discord_id,
        display_name=persona.name,
        time_zone=persona.time_zone,
        status=persona.status,
        goal=persona.goal,
        goal_weight_kg=kg(persona.goal_kg),
        target_kcal=persona.kcal,
        target_protein_g=persona.protein_g,
        target_carbs_g=carbs,
        target_fat_g=fat,
        target_steps=persona.steps,
        target_water_ml=persona.water_ml,
        training_days=list(persona.training_days),
        created_at=created,
        updated_at=updated,
        last_activity_at=last_activity(data),
    )


def last_activity(data: DemoData) -> datetime | None:
    """The latest thing the client did themselves (not what the system sent them)."""
    moments: list[datetime] = [row.answered_at for row in data.checkins]
    moments += [row.logged_at for row in data.meal_logs]
    moments += [row.logged_at for row in data.workout_logs]
    moments += [row.received_at for row in data.direct_messages]
    moments += [
        row.updated_at
        for row in data.job_card_items
        if row.status in ("done", "skipped") and row.updated_at is not None
    ]
    return max(moments, default=None)


def build_day(
    ctx: ClientContext, day_index: int, plan: DayPlan, weight: float, data: DemoData
) -> None:
    day = ctx.day(day_index)
    weighs = ctx.persona.weighs_daily or day.weekday() == 0
    checkin = None
    if plan.checks_in:
        if weighs:
            data.weight_entries.append(weight_row(ctx, day_index, weight))
        checkin = checkin_row(ctx, day_index, plan, weight if weighs else None)
        data.checkins.append(checkin)
    meals = meal_rows(ctx, day_index, plan)
    data.meal_logs.extend(meals)
    workout = None
    if is_training_day(ctx.persona, day) and plan.trains:
        workout = workout_row(ctx, day_index)
        data.workout_logs.append(workout)
    if not plan.scheduled:
        return  # paused: the scheduler issues nothing and fires nothing
    card, items = job_card_rows(ctx, day_index, plan, workout, len(meals))
    data.job_cards.append(card)
    data.job_card_items.extend(items)
    fires, deliveries = schedule_rows(ctx, day_index, plan, checkin is not None, items)
    data.trigger_fires.extend(fires)
    data.deliveries.extend(deliveries)
    nudge = nudge_row(ctx, day_index, plan)
    if nudge is not None:
        data.deliveries.append(nudge)


def is_training_day(persona: Persona, day: date) -> bool:
    return WEEKDAYS[day.weekday()] in persona.training_days


def weight_row(ctx: ClientContext, day_index: int, weight: float) -> WeightRow:
    day = ctx.day(day_index)
    # Weighed first thing, before the check-in that reports it.
    at = wall(day, ctx.zone, ctx.rng.randint(6 * 60 + 15, 7 * 60 + 25), ctx.rng.randint(0, 59))
    row_id = demo_uuid("weight", ctx.persona.key, HISTORY_DAYS - day_index)
    return WeightRow(row_id, ctx.client_id, day, kg(weight), at)


def checkin_row(
    ctx: ClientContext, day_index: int, plan: DayPlan, weight: float | None
) -> CheckinRow:
    rng, persona, day = ctx.rng, ctx.persona, ctx.day(day_index)
    # Inside the prompt's answer window, so the ledger can call the fire answered.
    at = wall(day, ctx.zone, rng.randint(CHECKIN_AT + 5, CHECKIN_DEADLINE - 1), rng.randint(0, 59))
    sleep = round(clamp(rng.gauss(persona.sleep_mean, 0.8), 3, 11) * 2) / 2
    energy = round(clamp(rng.gauss(persona.energy_mean, 1.2), 1, 10))
    return CheckinRow(
        id=demo_uuid("checkin", persona.key, HISTORY_DAYS - day_index),
        client_id=ctx.client_id,
        local_date=day,
        weight_kg=None if weight is None else kg(weight),
        # Sleep is optional in the modal and some skip it.
        sleep_hours=None if rng.random() < 0.05 else Decimal(str(sleep)),
        energy=energy,
        notes=checkin_note(ctx, plan, energy, day_index),
        answered_at=at,
    )


def checkin_note(ctx: ClientContext, plan: DayPlan, energy: int, day_index: int) -> str:
    rng, persona = ctx.rng, ctx.persona
    if persona.pattern is Pattern.RECON and rng.random() < 0.7:
        return rng.choice(NOTES_RECON)
    if persona.pattern is Pattern.OVER_EATING and plan.kcal_factor > 1.4:
        return rng.choice(NOTES_OVER)
    if persona.pattern is Pattern.SLIPPING and day_index >= persona.turn_day - 7:
        return rng.choice(NOTES_SLIDING)
    if rng.random() < 0.3:
        return ""  # plenty of check-ins come with no note at all
    return rng.choice(NOTES_LOW if energy <= 5 else NOTES_GOOD)


def meal_slots(count: int) -> tuple[str, ...]:
    slots: tuple[str, ...] = ("breakfast", "lunch", "snack", "dinner")
    if count < 4:
        slots = ("breakfast", "lunch", "dinner")[3 - count :]
    return slots


def meal_rows(ctx: ClientContext, day_index: int, plan: DayPlan) -> list[MealRow]:
    persona, rng, day = ctx.persona, ctx.rng, ctx.day(day_index)
    slots = meal_slots(plan.meals)
    # Three or four meals stand for the whole day; one or two are an under-logged day.
    scale = 1 / sum(MEAL_SHARE[slot] for slot in slots) if len(slots) >= 3 else 1.0
    names = MEALS_INDULGENT if plan.kcal_factor > 1.25 else MEALS
    rows: list[MealRow] = []
    for n, slot in enumerate(slots):
        share = MEAL_SHARE[slot] * scale
        kcal = round(persona.kcal * plan.kcal_factor * share * rng.gauss(1, 0.1))
        protein = round(persona.protein_g * plan.protein_factor * share * rng.gauss(1, 0.12))
        fat = round(kcal * clamp(rng.gauss(0.3, 0.05), 0.1, 0.5) / 9)
        carbs = max(0, round((kcal - 4 * protein - 9 * fat) / 4))
        meal_id = demo_uuid("meal", persona.key, HISTORY_DAYS - day_index, n)
        photo = None
        if rng.random() < persona.photo_rate:
            photo = f"https://cdn.example.com/meals/{meal_id.hex[:16]}.jpg"
        start, end = MEAL_WINDOW[slot]
        # Patchy loggers often type just the calories.
        macros = persona.pattern is not Pattern.PATCHY or rng.random() < 0.7
        rows.append(
            MealRow(
                id=meal_id,
                client_id=ctx.client_id,
                local_date=day,
                description=rng.choice(names[slot]),
                kcal=kcal,
                protein_g=protein if macros else None,
                carbs_g=carbs if macros else None,
                fat_g=fat if macros else None,
                photo_url=photo,
                logged_at=wall(day, ctx.zone, rng.randint(start, end), rng.randint(0, 59)),
            )
        )
    return rows


def workout_row(ctx: ClientContext, day_index: int) -> WorkoutRow:
    rng, day = ctx.rng, ctx.day(day_index)
    if rng.random() < 0.7:
        minute = rng.randint(17 * 60 + 30, 19 * 60 + 45)  # after work
    else:
        minute = rng.randint(6 * 60, 7 * 60)  # before work
    return WorkoutRow(
        id=demo_uuid("workout", ctx.persona.key, HISTORY_DAYS - day_index),
        client_id=ctx.client_id,
        local_date=day,
        description=rng.choice(WORKOUTS[ctx.persona.goal]),
        duration_min=rng.randint(35, 90),
        logged_at=wall(day, ctx.zone, minute, rng.randint(0, 59)),
    )


def job_card_labels(ctx: ClientContext, training: bool) -> list[str]:
    persona, rng = ctx.persona, ctx.rng
    labels = [
        f"Hit {persona.protein_g} g protein",
        f"{persona.steps:,} steps",
        f"Drink {persona.water_ml / 1000:g} L water",
    ]
    if training:
        labels.append(TRAINING_ITEM)
    elif rng.random() < 0.6:
        labels.append("10 min mobility")
    if rng.random() < 0.5:
        labels.append(LOG_MEALS_ITEM)
    return labels


TRAINING_ITEM = "Training session"
LOG_MEALS_ITEM = "Log every meal"


def job_card_rows(
    ctx: ClientContext,
    day_index: int,
    plan: DayPlan,
    workout: WorkoutRow | None,
    meals_logged: int,
) -> tuple[JobCardRow, list[JobCardItemRow]]:
    rng, key, day = ctx.rng, ctx.persona.key, ctx.day(day_index)
    days_ago = HISTORY_DAYS - day_index
    card_id = demo_uuid("card", key, days_ago)
    issued = wall(day, ctx.zone, JOBCARD_AT, rng.randint(1, 40))
    closeout = wall(day, ctx.zone, CLOSEOUT_AT)
    items = []
    for position, label in enumerate(job_card_labels(ctx, is_training_day(ctx.persona, day))):
        status = item_status(label, plan, workout, meals_logged, rng)
        if status == "missed":
            marked = closeout  # close-out marks what is still pending
        elif workout is not None and label == TRAINING_ITEM:
            marked = workout.logged_at + timedelta(minutes=rng.randint(1, 30))
        else:
            marked = wall(day, ctx.zone, rng.randint(19 * 60, 22 * 60 + 30), rng.randint(0, 59))
        item_id = demo_uuid("card-item", key, days_ago, position)
        items.append(JobCardItemRow(item_id, card_id, position, label, status, marked))
    return JobCardRow(card_id, ctx.client_id, day, issued), items


def item_status(
    label: str, plan: DayPlan, workout: WorkoutRow | None, meals_logged: int, rng: random.Random
) -> str:
    if plan.blocked or not (plan.done_p or plan.skip_p):
        return "missed"  # the card never reached them, or they never opened it
    if label == TRAINING_ITEM:
        if workout is not None:
            return "done"
        return "skipped" if rng.random() < 0.4 else "missed"
    if label == LOG_MEALS_ITEM and meals_logged < 3:
        return "missed"
    roll = rng.random()
    if roll < plan.done_p:
        return "done"
    return "skipped" if roll < plan.done_p + plan.skip_p else "missed"


@dataclass(frozen=True)
class Trigger:
    """The LST rows the demo history covers (the CLI never imports the scheduler, so the
    ids, times and answer windows are repeated here; a test compares them to the LST)."""

    engine: str
    trigger: str
    at: int  # local minute of day
    deadline: int | None  # local minute the answer window closes; None: nothing expected
    kind: str  # delivery kind


TRIGGERS = (
    Trigger("jobcard", "morning_card", JOBCARD_AT, None, "jobcard"),
    Trigger("checkin", "morning_prompt", CHECKIN_AT, CHECKIN_DEADLINE, "checkin_prompt"),
    Trigger("meals", "dinner_reminder", MEAL_REMINDER_AT, None, "meal_reminder"),
)


def fire_outcome(trigger: Trigger, plan: DayPlan, answered: bool) -> tuple[str, str | None]:
    """Status and reason of a demo fire, as the scheduler would have left it."""
    if plan.blocked:
        return "missed", f"undeliverable: {BLOCKED_ERROR}"
    if trigger.deadline is None:
        return "enqueued", None
    return ("answered", None) if answered else ("missed", "no answer by the deadline")


def delivery_text(ctx: ClientContext, trigger: Trigger, items: Sequence[JobCardItemRow]) -> str:
    name = ctx.persona.first_name
    if trigger.kind == "jobcard":
        lines = "\n".join(f"• {item.label}" for item in items)
        return f"Good morning {name}! Today's job card:\n{lines}"
    if trigger.kind == "checkin_prompt":
        return f"Time to check in, {name}: weight, sleep, energy and a quick note."
    return f"Evening {name}: log anything you ate today that isn't in yet."


def schedule_rows(
    ctx: ClientContext,
    day_index: int,
    plan: DayPlan,
    checked_in: bool,
    items: Sequence[JobCardItemRow],
) -> tuple[list[TriggerFireRow], list[DeliveryRow]]:
    """The scheduler's ledger rows and the DMs it sent for one client-day."""
    rng, day = ctx.rng, ctx.day(day_index)
    fires: list[TriggerFireRow] = []
    deliveries: list[DeliveryRow] = []
    for trigger in TRIGGERS:
        scheduled = wall(day, ctx.zone, trigger.at)
        # Ticks run once a minute: a fire lands within the minute after its time.
        fired = scheduled + timedelta(seconds=rng.uniform(0.5, 45))
        enqueued = fired + timedelta(milliseconds=rng.randint(5, 250))
        status, reason = fire_outcome(trigger, plan, checked_in)
        deadline = None if trigger.deadline is None else wall(day, ctx.zone, trigger.deadline)
        fires.append(
            TriggerFireRow(
                engine=trigger.engine,
                trigger=trigger.trigger,
                client_id=ctx.client_id,
                local_date=day,
                scheduled_for=scheduled,
                fired_at=fired,
                enqueued_at=enqueued,
                deadline_at=deadline,
                status=status,
                reason=reason,
                # A past miss was reported long ago: the scheduler owes nothing for it.
                reported_at=(deadline or enqueued) if status == "missed" else None,
            )
        )
        sent = "missed" if plan.blocked else "sent"
        if day_index < DRY_RUN_DAYS:
            sent = "dry_run"  # before the Discord token was set
        delivery_id = demo_uuid("delivery", ctx.persona.key, HISTORY_DAYS - day_index, trigger.kind)
        text = delivery_text(ctx, trigger, items)
        deliveries.append(delivery_row(ctx, delivery_id, trigger.kind, text, enqueued, sent))
    return fires, deliveries


def delivery_row(
    ctx: ClientContext,
    delivery_id: uuid.UUID,
    kind: str,
    text: str,
    created: datetime,
    status: str,
) -> DeliveryRow:
    rng = ctx.rng
    row = DeliveryRow(
        id=delivery_id,
        client_id=ctx.client_id,
        recipient_discord_id=ctx.discord_id,
        kind=kind,
        text=text,
        status=status,
        attempts=0,
        last_error=None,
        discord_message_id=None,
        created_at=created,
        updated_at=created + timedelta(milliseconds=rng.randint(5, 60)),
        sent_at=None,
    )
    if status == "sent":
        attempts = 2 if rng.random() < 0.04 else 1  # now and then a 429 costs a retry
        sent = created + timedelta(milliseconds=rng.randint(150, 2500) * attempts)
        msg_id = snowflake(sent, rng)
        return row._replace(
            attempts=attempts, discord_message_id=msg_id, updated_at=sent, sent_at=sent
        )
    if status == "missed":
        # 50007 is permanent: one attempt, no retries.
        failed = created + timedelta(milliseconds=rng.randint(150, 900))
        return row._replace(attempts=1, last_error=BLOCKED_ERROR, updated_at=failed)
    return row  # dry_run: logged, never sent


def nudge_row(ctx: ClientContext, day_index: int, plan: DayPlan) -> DeliveryRow | None:
    """The coach nudges slipping, quiet and blocked clients a few days after they turn."""
    persona = ctx.persona
    nudged = (Pattern.SLIPPING, Pattern.GONE_QUIET, Pattern.BLOCKED)
    if persona.pattern not in nudged or day_index != persona.turn_day + 3:
        return None
    text = (
        f"Hey {persona.first_name}, noticed things went quiet the last few days. "
        "All good? Even a one-line check-in helps."
    )
    created = wall(ctx.day(day_index), ctx.zone, 12 * 60 + 10, ctx.rng.randint(0, 59))
    status = "missed" if plan.blocked else "sent"
    delivery_id = demo_uuid("delivery", persona.key, HISTORY_DAYS - day_index, "nudge")
    return delivery_row(ctx, delivery_id, "nudge", text, created, status)


def build_direct_messages(ctx: ClientContext) -> list[DirectMessageRow]:
    rows = []
    for day_index, text in ctx.persona.dms:
        minute = ctx.rng.randint(10 * 60, 21 * 60)
        at = wall(ctx.day(day_index), ctx.zone, minute, ctx.rng.randint(0, 59))
        row_id = demo_uuid("dm", ctx.persona.key, HISTORY_DAYS - day_index)
        rows.append(DirectMessageRow(row_id, ctx.client_id, snowflake(at, ctx.rng), text, at))
    return rows


def build_coach_digests(
    coach: CoachRow, now: datetime, client_count: int, rng: random.Random
) -> list[DeliveryRow]:
    """The weekly digest DM to the coach, Monday mornings in the coach's zone."""
    zone = ZoneInfo(coach.time_zone)
    local_today = now.astimezone(zone).date()
    rows = []
    for days_ago in range(1, HISTORY_DAYS + 1):
        day = local_today - timedelta(days=days_ago)
        if day.weekday() != 0:
            continue
        created = wall(day, zone, 7 * 60, rng.randint(0, 30))
        sent = created + timedelta(milliseconds=rng.randint(200, 1500))
        text = f"Weekly digest for {iso_week(day - timedelta(days=7))}: {client_count} clients."
        rows.append(
            DeliveryRow(
                id=demo_uuid("digest", days_ago),
                client_id=None,
                recipient_discord_id=coach.discord_user_id,
                kind="coach_digest",
                text=text,
                status="sent",
                attempts=1,
                last_error=None,
                discord_message_id=snowflake(sent, rng),
                created_at=created,
                updated_at=sent,
                sent_at=sent,
            )
        )
    return rows


# --- flags: what the weekly scan said about the last two full weeks ------------------


@dataclass(frozen=True)
class WeekFacts:
    """The client's figures for one ISO week (their local dates): the flags' evidence."""

    weeks_back: int
    iso_week: str
    checkins: int
    items_done: int
    items_total: int
    avg_kcal: float
    avg_protein: float
    meal_ids: list[str]
    failed_deliveries: list[str]


def week_facts(ctx: ClientContext, data: DemoData, monday: date, weeks_back: int) -> WeekFacts:
    days = {monday + timedelta(days=n) for n in range(7)}
    start, end = wall(monday, ctx.zone, 0), wall(monday + timedelta(days=7), ctx.zone, 0)
    cards = {card.id for card in data.job_cards if card.local_date in days}
    items = [item for item in data.job_card_items if item.card_id in cards]
    meals = [meal for meal in data.meal_logs if meal.local_date in days]
    logged_days = len({meal.local_date for meal in meals}) or 1
    failed = [
        str(row.id)
        for row in data.deliveries
        if row.status == "missed" and start <= row.created_at < end
    ]
    return WeekFacts(
        weeks_back=weeks_back,
        iso_week=iso_week(monday),
        checkins=sum(1 for row in data.checkins if row.local_date in days),
        items_done=sum(1 for item in items if item.status == "done"),
        items_total=len(items),
        avg_kcal=sum(meal.kcal or 0 for meal in meals) / logged_days,
        avg_protein=sum(meal.protein_g or 0 for meal in meals) / logged_days,
        meal_ids=[str(meal.id) for meal in meals[:10]],
        failed_deliveries=failed[:10],
    )


@dataclass(frozen=True)
class FlagSpec:
    code: str
    severity: str
    source: str
    rationale: str
    action: str
    evidence: list[dict[str, Any]]
    status: str = "open"
    status_note: str | None = None


def flag_specs(persona: Persona, facts: WeekFacts) -> list[FlagSpec]:
    """The flags a persona earns for a week; ``facts`` fills in the evidence."""
    name, last_week = persona.first_name, facts.weeks_back == 1
    checkin_ev = {"label": "check-ins this week", "value": facts.checkins, "target": 7}
    items_ev = {
        "label": "job card items done",
        "value": facts.items_done,
        "target": facts.items_total,
    }
    kcal_ev = {
        "label": "avg kcal logged per day",
        "value": round(facts.avg_kcal),
        "target": persona.kcal,
        "refs": facts.meal_ids,
    }
    protein_ev = {
        "label": "avg protein logged per day (g)",
        "value": round(facts.avg_protein),
        "target": persona.protein_g,
    }
    pattern = persona.pattern
    if pattern is Pattern.SLIPPING and last_week:
        return [
            FlagSpec(
                "LOW_CHECKIN_RATE", "medium", "rules",
                f"{name} checked in on {facts.checkins} of 7 days.",
                "Send a short personal nudge; ask what got in the way.", [checkin_ev],
            ),
            FlagSpec(
                "JOBCARD_SLIPPING", "medium", "rules",
                f"{facts.items_done} of {facts.items_total} job card items done.",
                "Trim the job card to the two items that matter most.", [items_ev],
            ),
        ]  # fmt: skip
    if pattern is Pattern.GONE_QUIET and last_week:
        return [
            FlagSpec(
                "GONE_QUIET", "high", "rules",
                f"No check-in, meal or job card answer from {name} for days.",
                "Reach out directly; consider a call.", [checkin_ev, items_ev],
            )
        ]  # fmt: skip
    if pattern is Pattern.RECON and last_week:
        claim = {"label": "self-report", "value": "hit my macros all week"}
        return [
            FlagSpec(
                "RECON_NUTRITION", "high", "dspy",
                f"{name} reports hitting macros all week, but logged meals average "
                f"{facts.avg_kcal:,.0f} kcal against a {persona.kcal:,} target and "
                f"{facts.avg_protein:.0f} g protein against {persona.protein_g} g.",
                "Go through one typical day's logging together; check portion sizes.",
                [claim, kcal_ev, protein_ev],
            )
        ]  # fmt: skip
    if pattern is Pattern.UNDER_EATING and last_week:
        return [
            FlagSpec(
                "UNDER_EATING", "medium", "rules",
                f"Logged intake averages {facts.avg_kcal:,.0f} kcal, well under target.",
                "Raise intake gradually; ask about hunger and energy.", [kcal_ev],
                status="acknowledged", status_note="talked on a call, adding 200 kcal",
            ),
            FlagSpec(
                "PROTEIN_SHORT", "low", "rules", "Protein short on most logged days.",
                "Suggest a protein-forward breakfast.", [protein_ev],
            ),
        ]  # fmt: skip
    if pattern is Pattern.OVER_EATING:
        if last_week:
            return [
                FlagSpec(
                    "OVER_EATING", "medium", "rules", "Weekend intake well over target.",
                    "Plan the weekend meals ahead together.", [kcal_ev],
                )
            ]  # fmt: skip
        return [
            FlagSpec(
                "OVER_EATING", "low", "rules", "Intake drifting over target.",
                "Keep an eye on it.", [kcal_ev], status="resolved",
                status_note="discussed, plan adjusted",
            )
        ]  # fmt: skip
    if pattern is Pattern.BLOCKED and last_week:
        blocked_ev = {
            "label": "deliveries refused with 50007",
            "value": len(facts.failed_deliveries),
            "refs": facts.failed_deliveries,
        }
        return [
            FlagSpec(
                "DELIVERY_BLOCKED", "high", "system",
                "Discord refuses DMs to this client (50007).",
                "Ask the client to allow DMs from server members.", [blocked_ev],
            )
        ]  # fmt: skip
    return []


def build_flags(ctx: ClientContext, data: DemoData, now: datetime) -> list[FlagRow]:
    """Flags for the last two full ISO weeks (coach's calendar), plus injury mentions."""
    coach_zone = ZoneInfo(COACH_TIME_ZONE)
    coach_today = now.astimezone(coach_zone).date()
    this_monday = coach_today - timedelta(days=coach_today.weekday())
    rows = []
    for weeks_back in (1, 2):
        monday = this_monday - timedelta(weeks=weeks_back)
        facts = week_facts(ctx, data, monday, weeks_back)
        # The weekly scan runs Monday 06:00 coach time; never stamped in the future.
        scanned = wall(monday + timedelta(weeks=1), coach_zone, 6 * 60)
        created = min(scanned, now - timedelta(minutes=5))
        for spec in flag_specs(ctx.persona, facts):
            rows.append(flag_row(ctx, facts.iso_week, spec, created, now))
    rows.extend(injury_flags(ctx, data, now))
    return rows


def flag_row(
    ctx: ClientContext, week: str, spec: FlagSpec, created: datetime, now: datetime
) -> FlagRow:
    # Acknowledged or resolved by the coach a day later.
    updated = created if spec.status == "open" else min(created + timedelta(days=1), now)
    return FlagRow(
        id=demo_uuid("flag", ctx.persona.key, week, spec.code),
        client_id=ctx.client_id,
        iso_week=week,
        code=spec.code,
        severity=spec.severity,
        source=spec.source,
        evidence=spec.evidence,
        rationale=spec.rationale,
        suggested_action=spec.action,
        status=spec.status,
        status_note=spec.status_note,
        created_at=created,
        updated_at=updated,
    )


INJURY_WORDS = ("tweaked", "injur", "pain", "hurt")


def injury_flags(ctx: ClientContext, data: DemoData, now: datetime) -> list[FlagRow]:
    """The DSPy program flags a DM that mentions an injury; the coach has dealt with it."""
    rows = []
    for dm in data.direct_messages:
        if not any(word in dm.text.lower() for word in INJURY_WORDS):
            continue
        spec = FlagSpec(
            "INJURY_MENTIONED", "medium", "dspy",
            f"{ctx.persona.first_name} mentions an injury in a DM.",
            "Pause the aggravating lifts; suggest a physio check.",
            [{"label": "direct message", "value": dm.text, "refs": [str(dm.id)]}],
            status="resolved", status_note="client paused while recovering",
        )  # fmt: skip
        local_day = dm.received_at.astimezone(ctx.zone).date()
        created = min(dm.received_at + timedelta(minutes=3), now)
        rows.append(flag_row(ctx, iso_week(local_day), spec, created, now))
    return rows


# --- database ------------------------------------------------------------------------


class SeedError(Exception):
    """A failure with a message fit for the operator: printed without a traceback."""


@dataclass(frozen=True)
class SeedResult:
    already_present: bool
    counts: dict[str, int]


# Tables with jsonb columns: asyncpg's binary COPY has no encoder for the pool's jsonb
# text codec, so these go through executemany (a handful of rows).
EXECUTEMANY_TABLES = frozenset({"flags"})


async def open_pool(settings: KitSettings) -> Any:
    try:
        return await create_pool(settings, min_size=1, max_size=1, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        where = redact_text(settings.database_url)
        raise SeedError(f"cannot connect to PostgreSQL at {where}: {exc}") from exc


async def check_schema(conn: Any) -> None:
    missing: list[str] = await conn.fetchval(
        "SELECT coalesce(array_agg(name ORDER BY name), '{}') FROM unnest($1::text[]) AS name "
        "WHERE to_regclass(name) IS NULL",
        list(TABLE_NAMES),
    )
    if missing:
        raise SeedError(
            f"the database schema is not migrated (missing tables: {', '.join(missing)}); "
            "run `monstercoach migrate` first"
        )


async def demo_present(conn: Any) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM coaches WHERE id = $1)", DEMO_COACH_ID
    )
    return found


async def delete_demo(conn: Any) -> None:
    coach_discord_id = await conn.fetchval(
        "SELECT discord_user_id FROM coaches WHERE id = $1", DEMO_COACH_ID
    )
    # Client rows cascade to everything about them; the coach digests have no client,
    # so they go by recipient.
    await conn.execute("DELETE FROM clients WHERE coach_id = $1", DEMO_COACH_ID)
    await conn.execute(
        "DELETE FROM deliveries WHERE client_id IS NULL AND kind = 'coach_digest' "
        "AND recipient_discord_id = $1",
        coach_discord_id,
    )
    await conn.execute("DELETE FROM coaches WHERE id = $1", DEMO_COACH_ID)


async def write_demo(conn: Any, data: DemoData) -> None:
    for table, rows in data.tables():
        if not rows:
            continue
        columns = list(rows[0]._fields)
        if table in EXECUTEMANY_TABLES:
            placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            await conn.executemany(sql, rows)
        else:
            await conn.copy_records_to_table(table, records=rows, columns=columns)


async def seed_demo(
    settings: KitSettings,
    *,
    reset: bool,
    now: datetime,
    build: Callable[[datetime], DemoData] = build_demo,
) -> SeedResult:
    """Write the demo in one transaction, or nothing; see the module docstring."""
    pool = await open_pool(settings)
    try:
        async with pool.acquire() as conn:
            await check_schema(conn)
            if not reset and await demo_present(conn):
                return SeedResult(already_present=True, counts={})
            data = build(now)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", ADVISORY_LOCK_KEY)
                # Checked again under the lock: a concurrent seeder may have just won.
                if await demo_present(conn):
                    if not reset:
                        return SeedResult(already_present=True, counts={})
                    await delete_demo(conn)
                await write_demo(conn, data)
            return SeedResult(already_present=False, counts=data.counts())
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise SeedError(f"seeding failed, nothing was written: {exc}") from exc
    finally:
        await pool.close()


# --- the command ---------------------------------------------------------------------


def build_with_progress(now: datetime) -> DemoData:
    columns = (TextColumn("building demo clients"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"))  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("", total=len(PERSONAS))
        return build_demo(
            now, on_client=lambda name: progress.update(task, advance=1, description=name)
        )


def print_summary(counts: dict[str, int]) -> None:
    table = Table("table", title="demo data written")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    table.add_section()
    table.add_row("total", f"{sum(counts.values()):,}")
    console.print(table)


def seed_demo_command(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the demo coach and clients, then seed again.")
    ] = False,
) -> None:
    """Seed a demo coach with 25 clients and four weeks of history (once)."""
    settings = KitSettings()
    try:
        result = asyncio.run(
            seed_demo(settings, reset=reset, now=datetime.now(UTC), build=build_with_progress)
        )
    except SeedError as exc:
        # Escaped: driver messages contain brackets ("[Errno 111]") that rich would eat.
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    if result.already_present:
        console.print(
            "demo data is already present; nothing changed (use --reset to seed it again)"
        )
        return
    print_summary(result.counts)


def register(app: typer.Typer) -> None:
    app.command("seed-demo")(seed_demo_command)
