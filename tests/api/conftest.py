"""api fixtures: settings for a test app, and a fake of Discord's OAuth on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from monstercoach_api.app import create_app
from monstercoach_api.clock import utc_now
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.settings import KitSettings

from .fake_discord import FakeDiscord, serve
from .helpers import running_app
from .records import AT

COACH_ID = "111111111111111111"
STRANGER_ID = "222222222222222222"
SESSION_SECRET = "test-session-secret-that-is-long-enough-0123456789"


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(
        client_id="1234567890",
        client_secret="fake-client-secret",
        user={"id": COACH_ID, "username": "coach_kim", "global_name": "Coach Kim"},
    )
    runner = await serve(fake)
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.fixture
def api_settings(discord: FakeDiscord) -> ApiSettings:
    """A coach allowlist, Discord pointed at the fake, no ingestion (tests that need the
    consumers turn it on)."""
    return ApiSettings(
        _env_file=None,
        COACH_DISCORD_IDS=COACH_ID,
        DISCORD_CLIENT_ID=discord.client_id,
        DISCORD_CLIENT_SECRET=discord.client_secret,
        DISCORD_OAUTH_BASE_URL=discord.url,
        public_url="https://test",
        web_url="https://test/battle-station",
        session_secret=SESSION_SECRET,
        ingest=False,
    )


@pytest.fixture
def coach_settings(api_settings: ApiSettings) -> ApiSettings:
    """Dev login on (the quickest way to a session) and a limit no test can reach."""
    return api_settings.model_copy(update={"dev_login": True, "rate_limit": "100000/minute"})


@pytest.fixture
def app(kit_settings: KitSettings, coach_settings: ApiSettings) -> FastAPI:
    """The app with its clock pinned to ``records.AT``."""
    application = create_app(kit_settings, coach_settings)
    application.dependency_overrides[utc_now] = lambda: AT
    return application


@pytest.fixture
async def anonymous(app: FastAPI, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running app with no session (tables emptied afterwards)."""
    async with running_app(app) as client:
        yield client


@pytest.fixture
async def coach(anonymous: httpx.AsyncClient) -> httpx.AsyncClient:
    """The same client, logged in as the coach."""
    assert (await anonymous.post("/auth/dev-login")).status_code == 200
    return anonymous
