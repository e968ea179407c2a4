"""``GET /health``: each dependency's state and the services' heartbeats."""

from __future__ import annotations

import httpx

from monstercoach_api.app import create_app
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.settings import KitSettings


async def get_health(settings: KitSettings, api_settings: ApiSettings) -> httpx.Response:
    app = create_app(settings, api_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/health")


async def test_health_is_ok_with_postgres_and_redis_up(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    response = await get_health(kit_settings, api_settings)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["postgres"]["status"] == body["redis"]["status"] == "ok"
    assert "api" in body["services"]  # its own heartbeat is written at start-up


async def test_health_names_postgres_when_it_is_down(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    down = kit_settings.model_copy(
        update={"database_url": "postgresql://postgres@127.0.0.1:1/nowhere"}
    )
    response = await get_health(down, api_settings)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["postgres"]["status"] == "down"
    assert body["redis"]["status"] == "ok"
