"""The FastAPI application: system of record and Battle Station's API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import asyncpg
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from redis.exceptions import RedisError

from monstercoach_kit.db import create_pool
from monstercoach_kit.health import read_heartbeats
from monstercoach_kit.log import get_logger
from monstercoach_kit.runtime import Runtime, open_runtime
from monstercoach_kit.settings import KitSettings

SERVICE = "api"
log = get_logger(__name__)


class DependencyHealth(BaseModel):
    status: Literal["ok", "down"]
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    postgres: DependencyHealth
    redis: DependencyHealth
    services: dict[str, str]


def operation_id(route: APIRoute) -> str:
    """Stable operation ids (``health``, ``roster_list``…) for the generated TS types."""
    return route.name


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or KitSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(SERVICE, settings) as runtime:
            app.state.runtime = runtime
            # min_size=0: the api starts without PostgreSQL and answers 503 until it is back.
            app.state.pool = await create_pool(settings, min_size=0)
            log.info("api ready", status="ready")
            try:
                yield
            finally:
                await app.state.pool.close()

    app = FastAPI(
        title="MonsterCoach API",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )

    @app.get("/health", response_model=Health)
    async def health(request: Request, response: Response) -> Health:
        """Each dependency's state and the last heartbeat of every service."""
        runtime: Runtime = request.app.state.runtime
        pool: asyncpg.Pool = request.app.state.pool
        postgres, redis_state = await asyncio.gather(_check_postgres(pool), _check_redis(runtime))
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

    return app


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
