"""Forged, tampered, expired, cross-purpose and non-coach sessions on every coach write.

``tests/api/test_auth.py`` shows each bad cookie refused on ``GET /auth/me``. What was
missing: the same cookies on every route that *writes* (profile, status, schedule,
messages, flag triage, scans, replays), against the real process, with proof that
nothing was written (no audit row, no row changed, nothing published), plus a
session and an OAuth-login cookie swapped for each other, and the dev login asked
for a Discord id that is not a coach's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import redis
from itsdangerous import URLSafeSerializer

from monstercoach_api.auth.session import OAUTH_COOKIE, SESSION_COOKIE, Sessions
from monstercoach_schemas.streams import Stream
from tests.conftest import REDIS_URL

from .conftest import COACH, NOT_A_COACH, RunningApi, ids_of


def writes(client_id: str, flag_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """One request of every kind of coach write."""
    return [
        ("PATCH", f"/clients/{client_id}", {"display_name": "Mallory"}),
        ("PUT", f"/clients/{client_id}/status", {"status": "archived"}),
        ("PUT", f"/clients/{client_id}/schedule/meals/lunch_reminder", {"enabled": False}),
        ("DELETE", f"/clients/{client_id}/schedule/checkin/morning_prompt", None),
        ("POST", f"/clients/{client_id}/messages", {"text": "send me your password"}),
        ("POST", f"/flags/{flag_id}/acknowledge", {}),
        ("POST", f"/flags/{flag_id}/resolve", {"note": "nothing to see"}),
        ("POST", "/flags/scan", {}),
        ("POST", "/system/dead-letters/1-0/replay", None),
    ]


def reads(client_id: str) -> list[str]:
    return [
        "/clients",
        f"/clients/{client_id}",
        f"/clients/{client_id}/timeline",
        f"/clients/{client_id}/export.json",
        "/flags",
        "/deliveries",
        "/system/dead-letters",
    ]


def tampered(cookie: str, **changes: object) -> str:
    """The cookie's payload changed, its signature kept (itsdangerous: payload.signature)."""
    _, data = URLSafeSerializer("any key").loads_unsafe(cookie)
    payload = URLSafeSerializer("any key").dumps({**data, **changes}).rpartition(".")[0]
    return f"{payload}.{cookie.rpartition('.')[2]}"


def bad_sessions(api: RunningApi) -> dict[str, tuple[str, int]]:
    """Cookie → the status every coach route must answer with it."""
    now = datetime.now(UTC)
    ours = api.sessions
    valid = api.cookie()
    other_key = Sessions("another-deployments-secret-0123456789abcdef", timedelta(hours=1), False)
    login_state = ours._login.dumps({"state": "s", "verifier": "v"}, now + timedelta(minutes=5))
    return {
        "payload changed, signature kept": (tampered(valid, sub=NOT_A_COACH), 401),
        "expiry pushed, signature kept": (tampered(valid, exp=2**40), 401),
        "signed by another key": (other_key.encode(other_key.issue(COACH, "x", now)), 401),
        "no signature": (valid.rpartition(".")[0] + ".", 401),
        "an OAuth login cookie": (login_state, 401),
        "expired": (ours.encode(ours.issue(COACH, "x", now - timedelta(hours=13))), 401),
        "8 KB of garbage": ("A" * 8192, 401),
        "a non-coach's real session": (api.cookie(NOT_A_COACH), 403),
    }


def footprint(api: RunningApi) -> dict[str, Any]:
    return asyncio.run(_footprint(api))


async def _footprint(api: RunningApi) -> dict[str, Any]:
    """What a coach write would change: the audit log, the rows, the streams."""
    conn = await asyncpg.connect(api.database_url)
    try:
        state = {
            "audit": await conn.fetchval("SELECT count(*) FROM audit_log"),
            "clients": await conn.fetch("SELECT * FROM clients ORDER BY id"),
            "overrides": await conn.fetch("SELECT * FROM schedule_overrides ORDER BY client_id"),
            "flags": await conn.fetch("SELECT id, status, status_note FROM flags ORDER BY id"),
        }
    finally:
        await conn.close()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for stream in Stream:
            state[stream.value] = client.xlen(f"{api.prefix}stream:{stream.value}")
    finally:
        client.close()
    return state


def test_no_bad_session_reads_or_writes_anything(api: RunningApi) -> None:
    client_id, flag_id = ids_of(api, "/clients")[0], ids_of(api, "/flags")[0]
    before = footprint(api)
    for what, (cookie, status) in bad_sessions(api).items():
        with api.client(cookie) as client:
            for method, path, body in writes(client_id, flag_id):
                response = client.request(method, path, json=body)
                _refused(response, status, what, f"{method} {path}")
            for path in reads(client_id):
                _refused(client.get(path), status, what, f"GET {path}")
    assert footprint(api) == before, "a refused request wrote something"
    # ...while the coach's own session does write (so the footprint can tell).
    with api.client() as coach:
        assert coach.request(*writes(client_id, flag_id)[0][:2], json={"display_name": "Kim"})
    assert footprint(api) != before


def test_the_dev_login_refuses_a_discord_id_that_is_not_a_coach(api: RunningApi) -> None:
    before = footprint(api)
    with httpx.Client(base_url=api.url) as anonymous:
        response = anonymous.post("/auth/dev-login", json={"discord_user_id": NOT_A_COACH})
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "not_a_coach"
        assert SESSION_COOKIE not in response.cookies
        assert anonymous.get("/auth/me").status_code == 401
    assert footprint(api) == before


def test_a_session_cookie_is_no_oauth_state_and_a_wrong_state_logs_no_one_in(
    api: RunningApi,
) -> None:
    before = footprint(api)
    with httpx.Client(base_url=api.url) as browser:
        started = browser.get("/auth/login")
        assert started.status_code == 302
        state = httpx.URL(started.headers["location"]).params["state"]
        # Another state: its first character changed (a fixed one would be the same state
        # whenever the real one starts with it, one login in 64).
        other = ("y" if state.startswith("x") else "x") + state[1:]
        attempts = [
            # the login this browser started, with another state
            ({}, {"state": other, "code": "c"}),
            # a session cookie (signed by us, for another purpose) as the login cookie
            ({OAUTH_COOKIE: api.cookie()}, {"state": state, "code": "c"}),
            # no state at all, or a huge one
            ({}, {"code": "c"}),
            ({}, {"state": "s" * 5000, "code": "c"}),
        ]
        for cookies, params in attempts:
            for name, value in cookies.items():
                browser.cookies.set(name, value)
            response = browser.get("/auth/callback", params=params)
            assert response.status_code in (400, 422), response.text
            assert response.json()["error"]["code"] in ("oauth_state_mismatch", "validation_error")
            assert SESSION_COOKIE not in response.cookies
    assert footprint(api) == before


def _refused(response: httpx.Response, status: int, what: str, request: str) -> None:
    assert response.status_code == status, f"{what}: {request} answered {response.status_code}"
    assert set(response.json()) == {"error"}, f"{what}: {request}: {response.text[:200]}"
    assert "set-cookie" not in response.headers or status == 401, (what, request)
