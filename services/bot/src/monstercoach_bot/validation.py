"""What clients type, checked and converted: plain functions, no Discord.

Every form is validated as a whole: each field that is wrong gets one line saying what
was wrong and what would be right, so a client fixes everything in one go. Values that
pass are the bounded types of ``monstercoach_schemas.types`` (weight in kg with one
decimal, energy 1-10, kcal 0-20,000 …), so nothing invalid can reach the bus.
"""

from __future__ import annotations

import difflib
import math
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar

from monstercoach_schemas.domain import WeightUnit
from monstercoach_schemas.types import NOT_CLIENT_ZONES

T = TypeVar("T")

KG_PER_LB = 0.45359237
WEIGHT_KG = (20.0, 400.0)
SLEEP_HOURS = (0.0, 24.0)
ENERGY = (1, 10)
KCAL = (0, 20_000)
GRAMS = (0, 2_000)
NOTES_MAX = 2_000
DESCRIPTION_MAX = 200
MESSAGE_MAX = 2_000
PHOTO_URL_MAX = 2_000
CHOICES_MAX = 25
"""Discord shows at most 25 autocomplete choices."""


class FormError(ValueError):
    """One or more fields are wrong; ``problems`` has one line per field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems

    def message(self, retry: str) -> str:
        lines = "\n".join(f"• {problem}" for problem in self.problems)
        return f"I couldn't save that:\n{lines}\nNothing was saved — {retry}"


class _Problems:
    """Collects one problem per field while a form is parsed."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def check(self, parse: Callable[[str], T], text: str) -> T | None:
        try:
            return parse(text)
        except ValueError as exc:
            self.problems.append(str(exc))
            return None

    def raise_any(self) -> None:
        if self.problems:
            raise FormError(self.problems)


# --- numbers -------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"^(?P<sign>[-\u2212+]?)\s*(?P<number>\d+(?:[.,]\d+)?|[.,]\d+)\s*(?P<unit>[a-zA-Z/0-9 ]*?)\s*$"
)
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(?=\D|$)")


def _split_number(text: str, label: str, example: str) -> tuple[float, str]:
    """The number and the unit after it (lower case); ``ValueError`` naming the field."""
    cleaned = text.strip()
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "", cleaned.count(","))
    match = _NUMBER.match(cleaned)
    if match is None:
        raise ValueError(f'{label}: I couldn\'t read "{_shown(text)}" as a number — try {example}.')
    number = float(match["number"].replace(",", "."))
    if match["sign"] in ("-", "\u2212"):  # a hyphen or a typographic minus
        number = -number
    return number, match["unit"].strip().lower()


def _shown(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


# --- check-in --------------------------------------------------------------------------------

_KG_UNITS = {"", "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"}
_LB_UNITS = {"lb", "lbs", "pound", "pounds"}


def parse_weight(text: str, unit: WeightUnit = WeightUnit.KG) -> float | None:
    """Body weight in kg (one decimal), from kg or lb; a unit typed after the number wins
    over ``unit``. Empty is ``None`` (not weighed today)."""
    if not text.strip():
        return None
    number, typed = _split_number(text, "Weight", "82.5 or 181 lb")
    if typed in _LB_UNITS:
        unit = WeightUnit.LB
    elif typed in _KG_UNITS and typed:
        unit = WeightUnit.KG
    elif typed:
        raise ValueError(f'Weight: "{_shown(text)}" — use kg or lb, e.g. 82.5 or 181 lb.')
    kg = number * KG_PER_LB if unit is WeightUnit.LB else number
    low, high = WEIGHT_KG
    if not low <= round(kg, 1) <= high:
        if unit is WeightUnit.LB:
            bounds = f"{math.ceil(low / KG_PER_LB)} and {math.floor(high / KG_PER_LB)} lb"
        else:
            bounds = f"{low:g} and {high:g} kg"
        raise ValueError(
            f"Weight: {_format(number)} {unit.value} is out of range; use between {bounds}."
        )
    return round(kg, 1)


def parse_sleep(text: str) -> float | None:
    """Hours slept: ``7.5``, ``7,5``, ``7h``, ``7:30``, ``7h30``. Empty is ``None``."""
    raw = text.strip().lower()
    if not raw:
        return None
    clock = re.fullmatch(r"(\d{1,2})\s*(?::|h)\s*(\d{1,2})\s*(?:m|min)?", raw)
    if clock:
        hours, minutes = int(clock[1]), int(clock[2])
        if minutes >= 60:
            raise ValueError(f'Sleep: "{_shown(text)}" has {minutes} minutes — try 7:30 or 7.5.')
        value = hours + minutes / 60
    else:
        value, unit = _split_number(text, "Sleep", "7.5 (hours)")
        if unit not in {"", "h", "hr", "hrs", "hour", "hours"}:
            raise ValueError(f'Sleep: "{_shown(text)}" — give hours, e.g. 7.5.')
    low, high = SLEEP_HOURS
    if not low <= value <= high:
        raise ValueError(f"Sleep: {_format(value)} hours is out of range; use 0 to 24.")
    return round(value, 1)


def parse_energy(text: str) -> int | None:
    """Self-rated energy, a whole number 1-10 (``7`` or ``7/10``). Empty is ``None``."""
    if not text.strip():
        return None
    value, unit = _split_number(text, "Energy", "a number from 1 to 10")
    low, high = ENERGY
    if unit not in {"", "/10", "/ 10"} or value != int(value) or not low <= value <= high:
        raise ValueError(f'Energy: "{_shown(text)}" — pick a whole number from 1 to 10.')
    return int(value)


def parse_notes(text: str) -> str:
    notes = text.strip()
    if len(notes) > NOTES_MAX:
        raise ValueError(
            f"Notes: that's {len(notes):,} characters; the limit is {NOTES_MAX:,}. "
            "Shorten them, or send the rest as a DM (your coach reads those too)."
        )
    return notes


@dataclass(frozen=True)
class CheckinForm:
    weight_kg: float | None
    sleep_hours: float | None
    energy: int | None
    notes: str


def parse_checkin(weight: str, unit: str, sleep: str, energy: str, notes: str) -> CheckinForm:
    """The whole check-in form, or :class:`FormError` listing every wrong field."""
    problems = _Problems()
    weight_unit = problems.check(_weight_unit, unit) or WeightUnit.KG
    form = CheckinForm(
        weight_kg=problems.check(lambda t: parse_weight(t, weight_unit), weight),
        sleep_hours=problems.check(parse_sleep, sleep),
        energy=problems.check(parse_energy, energy),
        notes=problems.check(parse_notes, notes) or "",
    )
    problems.raise_any()
    if (form.weight_kg, form.sleep_hours, form.energy) == (None, None, None) and not form.notes:
        raise FormError(["The check-in was empty — fill in at least one field."])
    return form


def _weight_unit(text: str) -> WeightUnit:
    try:
        return WeightUnit((text or "kg").strip().lower())
    except ValueError:
        raise ValueError(f'Unit: "{_shown(text)}" — choose kg or lb.') from None


# --- meals ----------------------------------------------------------------------------------


def parse_description(text: str) -> str:
    description = " ".join(text.split())
    if not description:
        raise ValueError("What you ate: tell me in a few words, e.g. chicken, rice and salad.")
    if len(description) > DESCRIPTION_MAX:
        raise ValueError(
            f"What you ate: {len(description):,} characters; keep it under {DESCRIPTION_MAX}."
        )
    return description


def parse_kcal(text: str) -> int | None:
    return _whole(text, "Calories", "kcal", "650", KCAL, {"", "kcal", "cal", "cals", "calories"})


def parse_grams(text: str, label: str) -> int | None:
    return _whole(text, label, "g", "40", GRAMS, {"", "g", "gr", "gram", "grams"})


def _whole(
    text: str, label: str, unit: str, example: str, bounds: tuple[int, int], units: set[str]
) -> int | None:
    if not text.strip():
        return None
    value, typed = _split_number(text, label, f"{example} ({unit})")
    low, high = bounds
    if typed not in units:
        raise ValueError(f'{label}: "{_shown(text)}" — give {unit} as a number, e.g. {example}.')
    if value < 0:
        raise ValueError(f"{label}: can't be negative ({_format(value)} {unit}).")
    if value > high:
        raise ValueError(f"{label}: {_format(value)} {unit} is more than {high:,} — typo?")
    if value != int(value):
        raise ValueError(
            f"{label}: use a whole number ({round(value)} rather than {_format(value)})."
        )
    return max(low, int(value))


@dataclass(frozen=True)
class MealForm:
    description: str
    kcal: int | None
    protein_g: int | None
    carbs_g: int | None
    fat_g: int | None


def parse_meal(description: str, kcal: str, protein: str, carbs: str, fat: str) -> MealForm:
    problems = _Problems()
    form = MealForm(
        description=problems.check(parse_description, description) or "",
        kcal=problems.check(parse_kcal, kcal),
        protein_g=problems.check(lambda t: parse_grams(t, "Protein"), protein),
        carbs_g=problems.check(lambda t: parse_grams(t, "Carbs"), carbs),
        fat_g=problems.check(lambda t: parse_grams(t, "Fat"), fat),
    )
    problems.raise_any()
    return form


IMAGE_TYPES = ("image/",)


def photo_url(url: str, content_type: str | None) -> str:
    """A meal photo's URL, if the attachment is an image Discord hosts over http(s)."""
    if not (content_type or "").startswith(IMAGE_TYPES):
        raise ValueError("Photo: that attachment isn't a photo — attach a JPEG or PNG.")
    if not url.startswith(("https://", "http://")) or len(url) > PHOTO_URL_MAX:
        raise ValueError("Photo: Discord gave me a link I can't keep — try another photo.")
    return url


# --- coach messages ---------------------------------------------------------------------


def parse_message(text: str, room: int = MESSAGE_MAX) -> str:
    """A message for a DM, within ``room`` characters (what is left after any prefix)."""
    message = text.strip()
    if not message:
        raise FormError(["The message is empty."])
    if len(message) > room:
        raise FormError([f"The message is {len(message):,} characters; the limit is {room:,}."])
    return message


# --- time zones ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def client_zones() -> frozenset[str]:
    """Every zone a client may have (what ``TimeZoneName`` accepts)."""
    return frozenset(zoneinfo.available_timezones()) - NOT_CLIENT_ZONES


@lru_cache(maxsize=1)
def _suggestable() -> tuple[str, ...]:
    # Area/City names only (plus UTC): "US/Eastern", "Etc/GMT+5" or "EST5EDT" are valid
    # but only confuse a list people pick from.
    legacy = ("Etc/", "SystemV/", "US/", "Brazil/", "Canada/", "Chile/", "Mexico/")
    names = [z for z in client_zones() if "/" in z and not z.startswith(legacy)]
    return (*sorted(names), "UTC")


@lru_cache(maxsize=1)
def _by_folded_name() -> dict[str, str]:
    return {_fold(zone): zone for zone in client_zones()}


def _fold(text: str) -> str:
    return "_".join(text.strip().lower().replace("_", " ").split())


POPULAR_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)
"""Offered before anything is typed."""


def resolve_time_zone(text: str) -> str:
    """The IANA zone ``text`` names: exact, any case, spaces for underscores, or a city
    name only one zone has ("berlin"). ``ValueError`` suggests the closest names."""
    folded = _fold(text)
    if not folded:
        raise ValueError("Time zone: start typing your city and pick it from the list.")
    by_name = _by_folded_name()
    if folded in by_name:
        return by_name[folded]
    cities = [zone for zone in _suggestable() if _fold(zone.rsplit("/", 1)[-1]) == folded]
    if len(cities) == 1:
        return cities[0]
    close = difflib.get_close_matches(folded, list(by_name), n=3, cutoff=0.6)
    hint = (
        " Did you mean " + " or ".join(by_name[c] for c in close) + "?"
        if close
        else " Start typing your city and pick it from the list, e.g. Europe/Berlin."
    )
    raise ValueError(f'Time zone: I don\'t know "{_shown(text, 60)}".{hint}')


def zone_choices(typed: str, now: datetime | None = None) -> list[tuple[str, str]]:
    """Up to 25 (label, zone) pairs for the autocomplete: the city starts with what was
    typed first, then any part of the name does, then it merely contains it."""
    query = _fold(typed)
    if not query:
        zones: list[str] = list(POPULAR_ZONES)
    else:
        ranked: list[tuple[int, str]] = []
        for zone in _suggestable():
            name = _fold(zone)
            parts = name.split("/")
            if parts[-1].startswith(query) or name.startswith(query):
                ranked.append((0, zone))
            elif any(part.startswith(query) for part in parts):
                ranked.append((1, zone))
            elif query in name:
                ranked.append((2, zone))
        zones = [zone for _, zone in sorted(ranked)][:CHOICES_MAX]
    at = now or datetime.now(UTC)
    return [(f"{zone.replace('_', ' ')} ({utc_offset(zone, at)})", zone) for zone in zones]


def utc_offset(zone: str, at: datetime) -> str:
    offset = at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"
