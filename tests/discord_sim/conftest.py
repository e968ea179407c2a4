"""A simulated Discord per test, and discord.py's real REST client aimed at it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from discord.http import HTTPClient, Route

from monstercoach_discord_sim import SimConfig, Simulator, running_simulator

TOKEN = "sim-test-token"


@contextlib.asynccontextmanager
async def simulated(config: SimConfig | None = None) -> AsyncIterator[Simulator]:
    """A simulator with discord.py's ``Route.BASE`` aimed at it, restored afterwards."""
    original = Route.BASE
    async with running_simulator(config) as simulator:
        Route.BASE = simulator.api_base
        try:
            yield simulator
        finally:
            Route.BASE = original


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulated() as simulator:
        yield simulator


@contextlib.asynccontextmanager
async def logged_in(token: str = TOKEN) -> AsyncIterator[HTTPClient]:
    """discord.py's HTTP client after ``static_login`` (``GET /users/@me``)."""
    http = HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token)
        yield http
    finally:
        await http.close()
