"""``GET /health``: each dependency's state and the last heartbeat of every service."""

from __future__ import annotations

import asyncio
from typing import Literal

import asyncpg
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from redis.exceptions import RedisError

from monstercoach_kit.health import read_heartbeats
from monstercoach_kit.runtime import Runtime

from .db import pool_of

router = APIRouter(tags=["system"])


class DependencyHealth(BaseModel):
    status: Literal["ok", "down"]
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    postgres: DependencyHealth
    redis: DependencyHealth
    services: dict[str, str]


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request, response: Response) -> Health:
    """Each dependency's state and the last heartbeat of every service."""
    runtime: Runtime = request.app.state.runtime
    postgres, redis_state = await asyncio.gather(
        _check_postgres(pool_of(request)), _check_redis(runtime)
    )
    beats = {}
    if redis_state.status == "ok":
        beats = {
            name: beat["at"]
            for name, beat in (
                await read_heartbeats(runtime.redis, runtime.settings.key_prefix)
            ).items()
        }
    ok = postgres.status == redis_state.status == "ok"
    if not ok:
        response.status_code = 503
    return Health(
        status="ok" if ok else "degraded",
        postgres=postgres,
        redis=redis_state,
        services=beats,
    )


async def _check_postgres(pool: asyncpg.Pool) -> DependencyHealth:
    try:
        async with asyncio.timeout(2):
            await pool.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return DependencyHealth(status="down", error=type(exc).__name__)
    return DependencyHealth(status="ok")


async def _check_redis(runtime: Runtime) -> DependencyHealth:
    try:
        async with asyncio.timeout(2):
            await runtime.redis.ping()
    except (OSError, TimeoutError, RedisError) as exc:
        return DependencyHealth(status="down", error=type(exc).__name__)
    return DependencyHealth(status="ok")
