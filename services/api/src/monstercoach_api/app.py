"""The FastAPI application: system of record and Battle Station's API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.routing import APIRoute

from monstercoach_kit.db import create_pool
from monstercoach_kit.log import get_logger
from monstercoach_kit.runtime import open_runtime
from monstercoach_kit.settings import KitSettings

from . import health
from .auth import endpoints as auth
from .auth.session import Sessions
from .bodylimit import MAX_BODY_BYTES, BodySizeLimitMiddleware
from .charts.router import router as charts
from .clients.ranking import WeeklyRates
from .clients.router import router as clients
from .db import keep_session
from .deliveries.router import router as deliveries
from .errors import error_responses, install_error_handlers
from .export.router import router as export
from .flags.router import router as flags
from .ingest.consumers import running_consumers
from .messages.router import router as messages
from .ratelimit import IpRateLimiter, RateLimitMiddleware
from .schedule.router import router as schedule
from .settings import ApiSettings, check_settings
from .system.router import router as system
from .timeline.router import router as timeline

SERVICE = "api"
ROUTERS = (clients, timeline, charts, schedule, flags, deliveries, messages, export, system)
"""Battle Station's routers, every one behind the coach session."""
log = get_logger(__name__)


def operation_id(route: APIRoute) -> str:
    """Stable operation ids (``health``, ``roster_list``…) for the generated TS types."""
    return route.name


def create_app(settings: KitSettings | None = None, api: ApiSettings | None = None) -> FastAPI:
    settings = settings or KitSettings()
    api = api or ApiSettings()
    check_settings(api, settings)
    limiter = IpRateLimiter(settings.redis_url, settings.key_prefix, api.rate_limit_item)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(SERVICE, settings) as runtime:
            app.state.runtime = runtime
            # min_size=0: the api starts without PostgreSQL and answers 503 until it is back.
            app.state.pool = await create_pool(settings, min_size=0, reset=keep_session)
            try:
                async with contextlib.AsyncExitStack() as consumers:
                    if api.ingest:
                        await consumers.enter_async_context(
                            running_consumers(runtime.bus, app.state.pool)
                        )
                    log.info("api ready", status="ready", ingest=api.ingest)
                    yield
            finally:
                await limiter.aclose()
                await app.state.weekly_rates.aclose()
                await app.state.pool.close()

    app = FastAPI(
        title="MonsterCoach API",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        responses=error_responses(500),
    )
    app.state.api_settings = api
    app.state.weekly_rates = WeeklyRates()
    app.state.sessions = Sessions(api.session_key(), api.session_ttl, api.cookie_secure)
    install_error_handlers(app)
    # Added first, so it runs inside the rate limit: an oversize body still counts.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(RateLimitMiddleware, limiter=limiter, trust_proxy=api.trust_proxy)
    app.include_router(health.router)
    app.include_router(auth.router)
    if api.dev_login:  # check_settings refused it in production
        app.include_router(auth.dev_router)
    for router in ROUTERS:
        app.include_router(router)
    return app
