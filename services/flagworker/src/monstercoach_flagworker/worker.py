"""The scan job as a stream consumer: ``scan.requested`` on ``scans``, group flagworker."""

from __future__ import annotations

import asyncio

from monstercoach_kit.bus import BatchHandler, Consumer, ConsumerConfig, PermanentError, per_message
from monstercoach_kit.db import create_pool
from monstercoach_kit.idempotency import DatabaseGate
from monstercoach_kit.runtime import open_runtime
from monstercoach_schemas.messages import Message, ScanRequested
from monstercoach_schemas.streams import Group, Stream

from .review import build_reviewer
from .scan import Scanner
from .settings import FlagSettings

SERVICE = "flagworker"


def consumer_config(settings: FlagSettings) -> ConsumerConfig:
    return ConsumerConfig(
        stream=Stream.SCANS.value,
        group=Group.FLAGWORKER.value,
        # One scan per read: a batch of scans must not outlive the claim time together.
        batch_size=1,
        # A scan takes seconds; an entry idle this long was abandoned by a dead worker.
        # Running it again is harmless: every key it publishes is deterministic.
        min_idle_ms=settings.scan_claim_idle_seconds * 1000,
        max_deliveries=settings.scan_max_deliveries,
    )


def scan_handler(scanner: Scanner) -> BatchHandler:
    async def handle(message: Message) -> None:
        if not isinstance(message, ScanRequested):
            raise PermanentError(f"the scans stream carries scan.requested, not {message.type}")
        await scanner.scan(message.payload, trace_id=message.trace_id)

    return per_message(handle)


async def run_worker(stop: asyncio.Event) -> None:
    """Consume scans until stopped; PostgreSQL or Redis being down delays, never kills."""
    settings = FlagSettings()
    async with open_runtime(SERVICE) as runtime:
        # min_size=0: no connection at start-up, so the worker starts without PostgreSQL;
        # a scan that meets an outage is held until PostgreSQL answers again rather than
        # spending its few deliveries.
        pool = await create_pool(runtime.settings, min_size=0)
        try:
            scanner = Scanner(pool, runtime.bus, settings, build_reviewer())
            handler = DatabaseGate(scan_handler(scanner), pool, stop)
            consumer = Consumer(runtime.bus, consumer_config(settings), handler)
            await consumer.run(stop)
        finally:
            await pool.close()
