"""What the simulated Discord holds: users, DM channels, messages, interaction replies.

Objects are plain dicts shaped like Discord's JSON so discord.py parses them as it would
the real thing. Everything the bot caused is counted, so tests and benchmarks can assert
"exactly one DM per delivery" from the outside.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from .ratelimit import PeakRate

JsonObject = dict[str, Any]
T = TypeVar("T")

DISCORD_EPOCH_MS = 1_420_070_400_000


class Snowflakes:
    """Ids shaped like Discord's: milliseconds since 2015, worker, process, increment."""

    def __init__(self) -> None:
        self._increment = itertools.count()
        self._process = os.getpid() & 0x1F

    def next(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str(ms << 22 | 1 << 17 | self._process << 12 | next(self._increment) & 0xFFF)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user_object(user_id: str, *, bot: bool = False) -> JsonObject:
    return {
        "id": user_id,
        "username": f"monstercoach-bot-{user_id[-4:]}" if bot else f"client-{user_id[-6:]}",
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    """Requests per route name, as they arrived (before any limit or fault)."""
    statuses: Counter[int] = field(default_factory=Counter)
    messages_created: int = 0
    nonce_replays: int = 0
    """Creates answered with the message an earlier request with the same nonce made."""
    global_429s: int = 0
    """429s served because the global limit was really exceeded."""
    route_429s: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    """Faults served, by kind."""
    peak: PeakRate = field(default_factory=PeakRate)
    """Most requests counting toward the global limit that arrived within any second."""
    first_at: float | None = None
    last_at: float | None = None
    """Wall-clock arrival of the first and last request counting toward the global limit."""
    peak_in_flight: int = 0
    """Most requests being handled at the same time."""

    def record_arrival(self, now: float) -> None:
        self.peak.record(now)
        wall = time.time()
        self.first_at = self.first_at if self.first_at is not None else wall
        self.last_at = wall

    def as_json(self) -> JsonObject:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "messages_created": self.messages_created,
            "nonce_replays": self.nonce_replays,
            "global_429s": self.global_429s,
            "route_429s": self.route_429s,
            "injected": dict(self.injected),
            "peak_per_second": self.peak.peak,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "peak_in_flight": self.peak_in_flight,
        }


@dataclass
class World:
    nonce_window_seconds: float = 120.0
    ids: Snowflakes = field(default_factory=Snowflakes)
    bots: dict[str, JsonObject] = field(default_factory=dict)
    """Bot user per token."""
    dm_channels: dict[str, JsonObject] = field(default_factory=dict)
    """DM channel per recipient user id."""
    recipients: dict[str, str] = field(default_factory=dict)
    """Recipient user id per DM channel id."""
    messages: dict[str, list[JsonObject]] = field(default_factory=dict)
    """Messages per channel id, oldest first."""
    nonces: dict[tuple[str, str], tuple[float, JsonObject]] = field(default_factory=dict)
    interaction_callbacks: dict[str, JsonObject] = field(default_factory=dict)
    webhook_messages: dict[str, list[JsonObject]] = field(default_factory=dict)
    """Messages per interaction token; the first is the original response."""
    interactions: dict[str, JsonObject] = field(default_factory=dict)
    """Interactions the simulator issued (see :mod:`.interactions`), by id."""
    commands: dict[str, list[JsonObject]] = field(default_factory=dict)
    """Global application commands per application id, as last overwritten."""
    reactions: dict[str, list[str]] = field(default_factory=dict)
    """Emoji the bot reacted with, per message id, in order."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def changed(self) -> None:
        """Wake whoever waits in :meth:`wait_for` (routes call this after each change)."""
        # Waiters hold the old event: setting it wakes them all, the new one is for later.
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for(self, probe: Callable[[], T | None], within: float = 5.0) -> T:
        """Until ``probe()`` returns something truthy; that value.

        Tests use it to wait for what the bot does in its own tasks (a callback, a
        reaction), without sleeping for a guessed while.
        """
        async with asyncio.timeout(within):
            while True:
                value = probe()
                if value:
                    return value
                await self._changed.wait()

    async def callback_for(self, interaction: JsonObject, within: float = 5.0) -> JsonObject:
        """The bot's answer to ``interaction`` (its callback body), once it has answered."""
        return await self.wait_for(
            lambda: self.interaction_callbacks.get(str(interaction["id"])), within
        )

    def bot_for(self, token: str) -> JsonObject:
        bot = self.bots.get(token)
        if bot is None:
            bot = self.bots[token] = {
                **user_object(self.ids.next(), bot=True),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
                "locale": "en-US",
            }
        return bot

    def open_dm(self, user_id: str) -> JsonObject:
        """The DM channel with ``user_id``; Discord returns the existing one if any."""
        channel = self.dm_channels.get(user_id)
        if channel is None:
            channel_id = self.ids.next()
            channel = self.dm_channels[user_id] = {
                "id": channel_id,
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user_object(user_id)],
            }
            self.recipients[channel_id] = user_id
            self.messages[channel_id] = []
        return channel

    def replay_nonce(self, author_id: str, nonce: str) -> JsonObject | None:
        """The message this author created with this nonce within the window, if any."""
        found = self.nonces.get((author_id, nonce))
        if found is None:
            return None
        created, message = found
        if time.monotonic() - created > self.nonce_window_seconds:
            del self.nonces[(author_id, nonce)]
            return None
        return message

    def create_message(
        self,
        channel_id: str,
        author: JsonObject,
        body: JsonObject,
        *,
        nonce: str | None,
        listed: bool = True,
    ) -> JsonObject:
        """A new message; ``listed=False`` keeps it out of the channel's history (an
        ephemeral interaction reply only its user sees, for as long as they look)."""
        message: JsonObject = {
            "id": self.ids.next(),
            "type": 0,
            "channel_id": channel_id,
            "author": author,
            "content": body.get("content") or "",
            "components": body.get("components") or [],
            "embeds": body.get("embeds") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": int(body.get("flags", 0)),
        }
        if nonce is not None:
            message["nonce"] = nonce
            self.nonces[(author["id"], nonce)] = (time.monotonic(), message)
        if not listed:
            self.changed()
            return message
        self.messages.setdefault(channel_id, []).append(message)
        if channel_id in self.recipients:
            self.dm_channels[self.recipients[channel_id]]["last_message_id"] = message["id"]
        self.changed()
        return message

    def user_writes(self, user_id: str, content: str, **extra: Any) -> JsonObject:
        """A message ``user_id`` writes in their DM with the bot, as the gateway's
        ``MESSAGE_CREATE`` carries it (see :meth:`.gateway.Gateway.dispatch`)."""
        channel = self.open_dm(user_id)
        author = user_object(user_id)
        message = self.create_message(channel["id"], author, {"content": content}, nonce=None)
        return {**message, **extra}

    def find_message(self, channel_id: str, message_id: str) -> JsonObject | None:
        found = next((m for m in self.messages.get(channel_id, []) if m["id"] == message_id), None)
        if found is None:  # an ephemeral reply lives only with its interaction
            replies = (m for ms in self.webhook_messages.values() for m in ms)
            found = next((m for m in replies if m["id"] == message_id), None)
        return found

    def messages_to(self, user_id: str) -> list[JsonObject]:
        """Every message in the DM channel with ``user_id``."""
        channel = self.dm_channels.get(user_id)
        return [] if channel is None else list(self.messages[channel["id"]])

    def message_counts(self) -> dict[str, int]:
        """Messages the bot created per DM recipient (a user with two got a duplicate)."""
        return {
            user: sum(1 for m in self.messages[dm["id"]] if m["author"].get("bot"))
            for user, dm in self.dm_channels.items()
        }
