"""Sending DMs through discord.py's REST client, without the gateway.

Delivery needs three calls of discord.py's ``HTTPClient``: log in (``GET /users/@me``),
open the DM channel, create the message. discord.py handles per-route buckets and
429s itself; the shared :class:`DiscordRateLimiter` keeps the sum of all calls under
the global limit. DM channel ids are cached in Redis: a bot's DM channel with a user
never changes, and each open is a call against the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import redis.asyncio as aioredis
from discord.http import HTTPClient, Route, handle_message_parameters

from monstercoach_kit.log import get_logger

from .limiter import DiscordRateLimiter
from .settings import BotSettings

log = get_logger(__name__)

DM_CHANNEL_TTL = timedelta(days=30)


class DmChannels:
    """DM channel id per Discord user, in Redis so every instance and restart reuses it.

    Keyed by the bot user too: a DM channel belongs to one bot, and a new token for
    another bot must not inherit channels it cannot post in.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str, bot_user_id: str):
        self.redis = redis
        self.prefix = f"{prefix}bot:{bot_user_id}:dm-channel:"

    def key(self, user_id: str) -> str:
        return f"{self.prefix}{user_id}"

    async def get(self, user_id: str) -> str | None:
        channel_id: bytes | str | None = await self.redis.get(self.key(user_id))
        if isinstance(channel_id, bytes):
            return channel_id.decode()
        return channel_id

    async def remember(self, user_id: str, channel_id: str) -> None:
        await self.redis.set(self.key(user_id), channel_id, ex=DM_CHANNEL_TTL)


class DiscordSender:
    def __init__(self, http: HTTPClient, channels: DmChannels):
        self.http = http
        self.channels = channels

    async def send(
        self, recipient_id: str, content: str, view: discord.ui.View | None, nonce: str
    ) -> str:
        """Open (or reuse) the DM with ``recipient_id`` and post; returns the message id.

        ``nonce`` is sent with ``enforce_nonce``: if an earlier attempt already created
        the message (the answer was lost), Discord returns that message instead of
        creating a second one.
        """
        channel_id = await self.channels.get(recipient_id) or await self._open_dm(recipient_id)
        params = handle_message_parameters(content=content, view=view, nonce=nonce)
        message = await self.http.send_message(channel_id, params=params)
        return str(message["id"])

    async def _open_dm(self, user_id: str) -> str:
        channel = await self.http.start_private_message(int(user_id))
        channel_id = str(channel["id"])
        await self.channels.remember(user_id, channel_id)
        return channel_id


@contextlib.asynccontextmanager
async def open_discord(
    settings: BotSettings, redis: aioredis.Redis, prefix: str
) -> AsyncIterator[DiscordSender]:
    """Log in to Discord's REST API (no gateway) and yield a sender; close on exit."""
    if settings.discord_token is None:
        raise ValueError("open_discord needs DISCORD_TOKEN; without it the bot dry-runs")
    # discord.py builds every URL from this class attribute; it is the only way to aim
    # the client at another API (the simulator).
    Route.BASE = settings.discord_api_base.rstrip("/")
    limiter = DiscordRateLimiter(
        redis, f"{prefix}bot:discord-requests", settings.discord_requests_per_second
    )
    http = HTTPClient(asyncio.get_running_loop(), http_trace=limiter.trace_config())
    try:
        me = await http.static_login(settings.discord_token.get_secret_value())
        log.info(
            "logged in to Discord REST",
            status="ready",
            bot_user_id=me["id"],
            api_base=Route.BASE,
            requests_per_second=settings.discord_requests_per_second,
        )
        yield DiscordSender(http, DmChannels(redis, prefix, str(me["id"])))
    finally:
        await http.close()
