"""A Discord gateway on the simulator's port: enough for discord.py to connect and listen.

``HELLO`` → ``IDENTIFY`` (token, intents) → ``READY``; heartbeats are acknowledged;
``RESUME`` is answered ``RESUMED``. Tests push events to every connected session with
:meth:`Gateway.dispatch` (``MESSAGE_CREATE`` for a DM, ``INTERACTION_CREATE``…), which
then travel through discord.py's real websocket, decompression and parsers. Payloads are
``zlib-stream`` compressed when the client asks (discord.py does without ``zstandard``).

As on Discord, a session that asks for the privileged message-content intent the
application was not granted is closed with 4014, and a bad token with 4004; a session
only receives the events its intents cover.
"""

from __future__ import annotations

import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .world import JsonObject

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 10, 11
HEARTBEAT_INTERVAL_MS = 41_250

GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_DISALLOWED_INTENTS = 4014


@dataclass
class Session:
    ws: web.WebSocketResponse
    compressor: Any | None
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    intents: int = 0
    sequence: int = 0

    async def send(self, payload: JsonObject) -> None:
        raw = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(raw)
            return
        # One zlib stream per connection; each payload ends on a sync flush (00 00 ff ff),
        # which is how discord.py knows a message is complete.
        data = self.compressor.compress(raw.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        await self.ws.send_bytes(data)

    async def dispatch(self, event: str, data: JsonObject) -> None:
        self.sequence += 1
        await self.send({"op": DISPATCH, "t": event, "s": self.sequence, "d": data})

    def receives(self, event: str, data: JsonObject) -> bool:
        """Whether this session's intents cover the event (only the ones tests send)."""
        if event == "MESSAGE_CREATE":
            in_dm = data.get("guild_id") is None
            return bool(self.intents & (DIRECT_MESSAGES if in_dm else GUILD_MESSAGES))
        return True


@dataclass
class Gateway:
    message_content_granted: bool = True
    """Whether the application may ask for the privileged message-content intent."""
    sessions: list[Session] = field(default_factory=list)
    identified: list[JsonObject] = field(default_factory=list)
    """Every IDENTIFY's ``d`` (token, intents, properties), in order."""

    async def dispatch(self, event: str, data: JsonObject) -> int:
        """Send ``event`` to every ready session whose intents cover it; how many got it."""
        sent = 0
        for session in list(self.sessions):
            if session.receives(event, data):
                await session.dispatch(event, data)
                sent += 1
        return sent


def ready_payload(bot: JsonObject, session: Session, resume_url: str) -> JsonObject:
    return {
        "v": 10,
        "user": bot,
        "guilds": [],
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "session_id": session.id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "application": {"id": bot["id"], "flags": 0},
        "geo_ordered_rtc_regions": [],
    }
