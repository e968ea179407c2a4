"""The per-IP rate limit on Redis: 429 with Retry-After, and a quota no header can buy."""

from __future__ import annotations

import httpx

from monstercoach_api.app import create_app
from monstercoach_api.ratelimit import client_key
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.settings import KitSettings

from .helpers import running_app

LIMIT = 3


def limited(api_settings: ApiSettings, trust_proxy: bool = False) -> ApiSettings:
    return api_settings.model_copy(
        update={"rate_limit": f"{LIMIT}/minute", "trust_proxy": trust_proxy}
    )


async def spend(client: httpx.AsyncClient, n: int, **headers: str) -> list[int]:
    return [(await client.get("/auth/me", headers=headers)).status_code for _ in range(n)]


def test_default_is_100_per_minute() -> None:
    item = ApiSettings(_env_file=None).rate_limit_item
    assert (item.amount, item.get_expiry()) == (100, 60)


async def test_over_the_limit_is_429_with_retry_after(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    async with running_app(create_app(kit_settings, limited(api_settings))) as client:
        assert await spend(client, LIMIT) == [401] * LIMIT
        response = await client.get("/auth/me")
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"


async def test_spoofed_proxy_header_is_ignored_when_the_proxy_is_not_trusted(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    async with running_app(create_app(kit_settings, limited(api_settings))) as client:
        statuses = [
            (await client.get("/auth/me", headers={"Fly-Client-IP": f"198.51.100.{i}"})).status_code
            for i in range(LIMIT + 1)
        ]
    assert statuses[-1] == 429


async def test_behind_the_trusted_proxy_each_client_ip_has_its_own_quota(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    app = create_app(kit_settings, limited(api_settings, trust_proxy=True))
    async with running_app(app, peer=("172.16.0.2", 443)) as client:
        assert await spend(client, LIMIT, **{"Fly-Client-IP": "198.51.100.1"}) == [401] * LIMIT
        other = await client.get("/auth/me", headers={"Fly-Client-IP": "198.51.100.2"})
        # X-Forwarded-For is anyone's to write: it never buys a fresh quota.
        spoofed = await client.get(
            "/auth/me",
            headers={"Fly-Client-IP": "198.51.100.1", "X-Forwarded-For": "203.0.113.9"},
        )
    assert other.status_code == 401
    assert spoofed.status_code == 429


async def test_health_is_not_limited(kit_settings: KitSettings, api_settings: ApiSettings) -> None:
    async with running_app(create_app(kit_settings, limited(api_settings))) as client:
        statuses = {(await client.get("/health")).status_code for _ in range(LIMIT + 2)}
    assert 429 not in statuses


async def test_redis_down_fails_open(kit_settings: KitSettings, api_settings: ApiSettings) -> None:
    no_redis = kit_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    once = api_settings.model_copy(update={"rate_limit": "1/minute"})
    async with running_app(create_app(no_redis, once)) as client:
        assert await spend(client, 3) == [401] * 3


def test_ipv6_clients_share_the_quota_of_their_64() -> None:
    def scope(host: str) -> dict[str, object]:
        return {"type": "http", "headers": [], "client": (host, 1234)}

    assert client_key(scope("2001:db8:1:2::1"), False) == client_key(
        scope("2001:db8:1:2:ffff::9"), False
    )
    assert client_key(scope("2001:db8:1:3::1"), False) != client_key(
        scope("2001:db8:1:2::1"), False
    )
    assert client_key(scope("192.0.2.1"), False) == "192.0.2.1"
