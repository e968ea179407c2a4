"""The scan: metrics → rules → reviewer → ``flag.raised`` events → coach digests.

Idempotent by construction: a flag's id and idempotency key derive from (client, week,
code), a digest's from (coach, week). Running a scan again (a redelivered message, a
second click in Battle Station, the CLI) publishes the same keys, and the consumers
downstream apply each key at most once. The scan itself writes nothing to PostgreSQL:
the api persists the flags it is told about.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid5

import asyncpg

from monstercoach_kit.bus import PermanentError, StreamBus
from monstercoach_kit.log import get_logger
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import (
    DeliveryRequested,
    DeliveryRequestedPayload,
    FlagRaised,
    FlagRaisedPayload,
    ScanRequestedPayload,
)
from monstercoach_schemas.types import uuid7

from .digest import FlaggedClient, render_digest
from .metrics import WeekMetrics, fetch_metrics, has_started, week_start
from .review import ClientWeek, Reviewer, keep_rule_flags, load_client_words
from .rules import DraftFlag, apply_rules
from .settings import FlagSettings

log = get_logger(__name__)

FLAG_NAMESPACE = UUID("3b0d5f8e-2c4a-4f7e-9a61-8d2e5c7b9f10")
"""Namespace of the ids a scan derives (flags, digests) from their idempotency keys."""

Progress = Callable[[int, int], None]
"""Called with (clients done, clients in the scan) after each published chunk."""


class ScanRejected(PermanentError):
    """A scan request that can never succeed: dead-lettered, never retried."""


@dataclass(frozen=True)
class ScanOutcome:
    iso_week: str
    clients: int
    flags: tuple[FlagRaisedPayload, ...]
    digests: int


def flag_key(client_id: UUID, iso_week: str, code: str) -> str:
    return f"flag:{client_id}:{iso_week}:{code}"


def flag_message(
    iso_week: str, client_id: UUID, flag: DraftFlag, raised_at: datetime, trace_id: str
) -> FlagRaised:
    key = flag_key(client_id, iso_week, flag.code)
    return FlagRaised(
        # Per scan run (the request's trace): a redelivered scan raises nothing twice,
        # while a later re-scan of the week refreshes the flag's severity and evidence
        # (the api keeps one flag per client, week and code, and the coach's status).
        idempotency_key=f"{key}@{trace_id}",
        trace_id=trace_id,
        payload=FlagRaisedPayload(
            flag_id=uuid5(FLAG_NAMESPACE, key),
            client_id=client_id,
            iso_week=iso_week,
            code=flag.code,
            severity=flag.severity,
            source=flag.source,
            evidence=list(flag.evidence),
            rationale=flag.rationale,
            suggested_action=flag.suggested_action,
            raised_at=raised_at,
        ),
    )


def digest_message(
    coach_id: UUID, discord_user_id: str, iso_week: str, text: str, trace_id: str
) -> DeliveryRequested:
    key = f"digest:{coach_id}:{iso_week}"
    return DeliveryRequested(
        idempotency_key=key,
        trace_id=trace_id,
        payload=DeliveryRequestedPayload(
            delivery_id=uuid5(FLAG_NAMESPACE, key),
            recipient_discord_id=discord_user_id,
            kind=DeliveryKind.COACH_DIGEST,
            text=text,
        ),
    )


@dataclass
class Scanner:
    pool: asyncpg.Pool
    bus: StreamBus
    settings: FlagSettings
    reviewer: Reviewer

    async def scan(
        self,
        request: ScanRequestedPayload,
        *,
        trace_id: str | None = None,
        as_of: datetime | None = None,
        on_progress: Progress | None = None,
    ) -> ScanOutcome:
        """Scan one week for every active client (or the one requested) and publish.

        A digest goes to every coach after a roster scan; a one-client re-scan, asked
        for from Battle Station where its result shows, sends none.
        """
        started = time.perf_counter()
        as_of = as_of or datetime.now(UTC)
        trace_id = trace_id or uuid7().hex
        week, client_id = request.iso_week, request.client_id
        if not has_started(week, as_of):
            raise ScanRejected(f"week {week} has not started yet")
        if client_id is not None and not await self._is_active(client_id):
            return ScanOutcome(week, 0, (), 0)
        roster = await fetch_metrics(self.pool, week, as_of, client_id)
        raised, flagged = await self._raise_flags(week, roster, as_of, trace_id, on_progress)
        digests = 0 if client_id else await self._send_digests(week, len(roster), flagged, trace_id)
        log.info(
            "scan finished",
            status="done",
            iso_week=week,
            client_id=str(client_id) if client_id else None,
            clients=len(roster),
            flags=len(raised),
            digests=digests,
            seconds=round(time.perf_counter() - started, 3),
        )
        return ScanOutcome(week, len(roster), tuple(raised), digests)

    async def _raise_flags(
        self,
        week: str,
        roster: Sequence[WeekMetrics],
        raised_at: datetime,
        trace_id: str,
        on_progress: Progress | None,
    ) -> tuple[list[FlagRaisedPayload], list[FlaggedClient]]:
        """Review and publish chunk by chunk: bounded pipelines, and progress to show."""
        raised: list[FlagRaisedPayload] = []
        flagged: list[FlaggedClient] = []
        chunk = self.settings.publish_chunk
        for start in range(0, len(roster), chunk):
            part = roster[start : start + chunk]
            messages = []
            for metrics, flags in zip(part, await self._review(week, part), strict=True):
                messages += [
                    flag_message(week, metrics.client_id, flag, raised_at, trace_id)
                    for flag in flags
                ]
                if flags:
                    flagged.append(FlaggedClient(metrics.display_name, tuple(flags)))
            await self.bus.publish_many(messages)
            raised += [message.payload for message in messages]
            if on_progress is not None:
                on_progress(start + len(part), len(roster))
        return raised, flagged

    async def _is_active(self, client_id: UUID) -> bool:
        status = await self.pool.fetchval("SELECT status FROM clients WHERE id = $1", client_id)
        if status is None:
            raise ScanRejected(f"no client with id {client_id}")
        if status != "active":
            log.info(
                "client not active; nothing to scan", status="skipped", client_id=str(client_id)
            )
        return bool(status == "active")

    async def _review(self, week: str, part: Sequence[WeekMetrics]) -> list[list[DraftFlag]]:
        rule_flags = [apply_rules(metrics, self.settings) for metrics in part]
        words = {}
        if self.reviewer.reads_client_words:
            ids = [metrics.client_id for metrics in part]
            words = await load_client_words(self.pool, ids, week_start(week))
        weeks = [
            ClientWeek(week, metrics, tuple(flags), words.get(metrics.client_id))
            for metrics, flags in zip(part, rule_flags, strict=True)
        ]
        reviewed = await self.reviewer.review(weeks)
        return [
            keep_rule_flags(flags, review)
            for flags, review in zip(rule_flags, reviewed, strict=True)
        ]

    async def _send_digests(
        self, week: str, scanned: int, flagged: Sequence[FlaggedClient], trace_id: str
    ) -> int:
        coaches = await self.pool.fetch("SELECT id, discord_user_id FROM coaches ORDER BY id")
        text = render_digest(
            week,
            scanned,
            flagged,
            self.reviewer.description,
            self.settings.digest_names_per_severity,
        )
        await self.bus.publish_many(
            [
                digest_message(row["id"], row["discord_user_id"], week, text, trace_id)
                for row in coaches
            ]
        )
        return len(coaches)
