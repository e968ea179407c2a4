"""Reading back what an endpoint published on the bus."""

from __future__ import annotations

from typing import Any

from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.messages import Message, parse_message
from monstercoach_schemas.streams import Stream


async def published(bus: StreamBus, stream: Stream) -> list[Message]:
    entries: Any = await bus.redis.xrange(bus.key(stream.value))
    return [parse_message(fields[b"data"]) for _entry_id, fields in entries]
