"""api fixtures: settings for a test app, and a fake of Discord's OAuth on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from monstercoach_api.settings import ApiSettings

from .fake_discord import FakeDiscord, serve

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
