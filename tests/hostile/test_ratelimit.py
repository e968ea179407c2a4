"""The per-IP rate limit against spoofed proxy headers, through the real server.

``tests/api/test_ratelimit.py`` drives the app through ``httpx.ASGITransport``, which
skips uvicorn. Whether a forwarded-for header can change the client address the limit
keys on is decided in front of the app (uvicorn's ``proxy_headers``), so this runs the
``monstercoach-api`` process itself: with no trusted proxy, no header buys a fresh
quota; behind Fly's proxy only ``Fly-Client-IP`` counts, never ``X-Forwarded-For``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import RunningApi, start_api, stop_api

LIMIT = 3
SPOOFS = [
    {"X-Forwarded-For": "203.0.113.{n}"},
    {"X-Real-IP": "203.0.113.{n}"},
    {"Forwarded": "for=203.0.113.{n};proto=https"},
    {"True-Client-IP": "203.0.113.{n}"},
    {"CF-Connecting-IP": "203.0.113.{n}"},
    {"Fly-Client-IP": "203.0.113.{n}"},
    {"X-Forwarded-For": "127.0.0.{n}", "X-Forwarded-Proto": "https"},
]


@pytest.fixture
def limited(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[RunningApi]:
    api = start_api(
        tmp_path, database_url, API_RATE_LIMIT=f"{LIMIT}/minute", API_TRUST_PROXY=request.param
    )
    try:
        yield api
    finally:
        stop_api(api)


@pytest.mark.parametrize("limited", ["false"], indirect=True)
def test_no_forwarded_header_buys_a_fresh_quota(limited: RunningApi) -> None:
    for spoof in SPOOFS:
        with httpx.Client(base_url=limited.url) as client:
            statuses = [
                client.get(
                    "/auth/me", headers={k: v.format(n=n) for k, v in spoof.items()}
                ).status_code
                for n in range(LIMIT + 1)
            ]
            # Each request claims another address: were the header believed, each would
            # have a quota of its own and none would be refused.
            assert statuses[-1] == 429, (spoof, statuses)


@pytest.mark.parametrize("limited", ["true"], indirect=True)
def test_behind_fly_only_its_header_counts(limited: RunningApi) -> None:
    with httpx.Client(base_url=limited.url) as client:
        spent = [
            client.get(
                "/auth/me",
                headers={"Fly-Client-IP": "198.51.100.7", "X-Forwarded-For": f"203.0.113.{n}"},
            )
            for n in range(LIMIT + 1)
        ]
        assert [r.status_code for r in spent] == [401] * LIMIT + [429]
        assert spent[-1].json()["error"]["code"] == "rate_limited"
        assert 1 <= int(spent[-1].headers["retry-after"]) <= 60
        # Another client behind the same proxy has its own quota.
        other = client.get("/auth/me", headers={"Fly-Client-IP": "198.51.100.8"})
        assert other.status_code == 401
        # An IPv6 client rotating addresses inside its /64 shares one quota.
        v6 = [
            client.get("/auth/me", headers={"Fly-Client-IP": f"2001:db8:7:7::{n:x}"}).status_code
            for n in range(LIMIT + 1)
        ]
        assert v6[-1] == 429
