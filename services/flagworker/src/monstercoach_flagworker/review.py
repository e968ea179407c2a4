"""The seam between the rules and a language model: the :class:`Reviewer`.

A reviewer reads each client's week (metrics, the rules' flags and, if it asks for
them, the client's own words) and returns the flags to raise: the rule flags with a
rationale and a suggested action written for the coach, plus flags the rules cannot
see (an injury in a DM, a self-report that contradicts the logs) with source ``dspy``.

:class:`RulesOnly` labels every rule flag so the coach knows no model looked at it;
:class:`~.dspy_review.DspyReviewer` (chosen by :func:`build_reviewer` when ``DSPY_LM``
is set) owns its concurrency, timeouts and retry-then-fallback per client. Whatever a
reviewer returns, :func:`keep_rule_flags` makes sure no rule flag is ever dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol
from uuid import UUID

import asyncpg

from .metrics import WeekMetrics
from .rules import DraftFlag
from .settings import ReviewSettings

RULES_ONLY_NOTE = "rules-only: no LM configured"


@dataclass(frozen=True)
class Said:
    """Something the client wrote, with the row it came from."""

    ref: str
    local_date: date
    text: str


@dataclass(frozen=True)
class ClientWords:
    checkin_notes: tuple[Said, ...] = ()
    direct_messages: tuple[Said, ...] = ()
    logged_workouts: tuple[Said, ...] = ()
    """Not words (``text`` is empty) and never shown to a model: the week's workout rows,
    which a recon flag cites against "trained 4x". Loaded here because only a reviewer
    needs them."""


@dataclass(frozen=True)
class ClientWeek:
    """Everything a reviewer gets about one client's week."""

    iso_week: str
    metrics: WeekMetrics
    rule_flags: tuple[DraftFlag, ...]
    words: ClientWords | None
    """``None`` unless the reviewer reads words (loading them costs a query)."""


class Reviewer(Protocol):
    @property
    def description(self) -> str:
        """How the flags were made, for the coach digest (e.g. the model's name)."""
        ...

    @property
    def reads_client_words(self) -> bool: ...

    async def review(self, weeks: Sequence[ClientWeek]) -> list[list[DraftFlag]]:
        """Per week, in order, the flags to raise for that client."""
        ...


class RulesOnly:
    """No language model configured: the rule flags, each labelled as such."""

    description = RULES_ONLY_NOTE
    reads_client_words = False

    async def review(self, weeks: Sequence[ClientWeek]) -> list[list[DraftFlag]]:
        return [[_labelled(flag) for flag in week.rule_flags] for week in weeks]


def _labelled(flag: DraftFlag) -> DraftFlag:
    return replace(flag, rationale=f"[{RULES_ONLY_NOTE}] {flag.rationale}")


def build_reviewer(settings: ReviewSettings | None = None) -> Reviewer:
    """The reviewer the worker and the CLI use: the DSPy program (with its compiled
    state) when ``DSPY_LM`` is set, else rules-only."""
    settings = settings or ReviewSettings()
    if not settings.lm:
        return RulesOnly()
    # Imported here: DSPy and LiteLLM take a second or two to import, which a rules-only
    # worker (or a plain `monstercoach scan`) need not pay.
    from .dspy_review import DspyReviewer

    return DspyReviewer.from_settings(settings)


def keep_rule_flags(
    rule_flags: Sequence[DraftFlag], reviewed: Sequence[DraftFlag]
) -> list[DraftFlag]:
    """The reviewed flags, one per code, plus any rule flag the reviewer left out.

    The rules are always on: a reviewer may reword a rule flag but never drop it.
    """
    kept: dict[str, DraftFlag] = {}
    for flag in [*reviewed, *rule_flags]:
        kept.setdefault(flag.code, flag)
    return list(kept.values())


WORDS_SQL = """
SELECT k.client_id, 'checkin' AS kind, k.id::text AS ref, k.local_date, k.notes AS text
FROM checkins AS k
WHERE k.client_id = ANY($1::uuid[]) AND k.local_date BETWEEN $2::date AND $3::date
  AND k.notes <> ''
UNION ALL
SELECT d.client_id, 'dm', d.id::text, (d.received_at AT TIME ZONE c.time_zone)::date, d.text
FROM direct_messages AS d
JOIN clients AS c ON c.id = d.client_id
WHERE d.client_id = ANY($1::uuid[])
  AND (d.received_at AT TIME ZONE c.time_zone)::date BETWEEN $2::date AND $3::date
UNION ALL
SELECT w.client_id, 'workout', w.id::text, w.local_date, ''
FROM workout_logs AS w
WHERE w.client_id = ANY($1::uuid[]) AND w.local_date BETWEEN $2::date AND $3::date
ORDER BY 1, 4, 3
"""


async def load_client_words(
    conn: asyncpg.Connection | asyncpg.Pool, client_ids: Sequence[UUID], monday: date
) -> dict[UUID, ClientWords]:
    """Check-in notes and DMs of the week (client-local dates), and the workout rows a
    recon flag may cite, for every client given."""
    rows = await conn.fetch(WORDS_SQL, list(client_ids), monday, monday + timedelta(days=6))
    found: dict[str, dict[UUID, list[Said]]] = {"checkin": {}, "dm": {}, "workout": {}}
    for row in rows:
        found[row["kind"]].setdefault(row["client_id"], []).append(
            Said(row["ref"], row["local_date"], row["text"])
        )
    return {
        client_id: ClientWords(
            *(tuple(found[kind].get(client_id, ())) for kind in ("checkin", "dm", "workout"))
        )
        for client_id in client_ids
    }
