"""Every error answers one JSON shape, documented in the OpenAPI document."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from fastapi import Request
from structlog.testing import capture_logs

from monstercoach_api.app import create_app
from monstercoach_api.db import reading
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.settings import KitSettings

from .helpers import running_app


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    error: dict[str, object] = body["error"]
    return error


@pytest.fixture
def dev_settings(api_settings: ApiSettings) -> ApiSettings:
    """Dev login on: a route with a request body to validate."""
    return api_settings.model_copy(update={"dev_login": True})


async def test_unknown_path_is_404(kit_settings: KitSettings, api_settings: ApiSettings) -> None:
    async with running_app(create_app(kit_settings, api_settings)) as client:
        response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


async def test_wrong_method_is_405_with_allow(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    async with running_app(create_app(kit_settings, api_settings)) as client:
        response = await client.delete("/auth/me")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET"


async def test_validation_error_is_422_with_field_details(
    kit_settings: KitSettings, dev_settings: ApiSettings
) -> None:
    async with running_app(create_app(kit_settings, dev_settings)) as client:
        response = await client.post("/auth/dev-login", json={"discord_user_id": "not-an-id"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "body.discord_user_id" in str(error["message"])
    assert error["details"] == [
        {
            "field": "body.discord_user_id",
            "message": "String should match pattern '^[0-9]{15,21}$'",
            "type": "string_pattern_mismatch",
        }
    ]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        pytest.param(b'{"discord_user_id": "caf\xe9"}', "the body is not UTF-8 JSON", id="latin-1"),
        pytest.param(b"[" * 10_000, "the body's JSON is nested too deeply", id="deep"),
    ],
)
async def test_a_body_that_cannot_be_read_as_json_is_422_saying_why(
    kit_settings: KitSettings, dev_settings: ApiSettings, body: bytes, why: str
) -> None:
    # Not FastAPI's own 400, which no operation documents: a 422, as for broken JSON.
    async with running_app(create_app(kit_settings, dev_settings)) as client:
        response = await client.post(
            "/auth/dev-login", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["message"] == f"Invalid request: body: {why}"
    assert error["details"] == [{"field": "body", "message": why, "type": "json_invalid"}]


async def test_unhandled_error_is_500_logged_and_leaks_nothing(
    kit_settings: KitSettings, api_settings: ApiSettings
) -> None:
    app = create_app(kit_settings, api_settings)

    async def explode() -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    app.add_api_route("/explode", explode)
    with capture_logs() as logs:
        async with running_app(app) as client:
            response = await client.get("/explode")
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "hunter2" not in response.text
    assert "db.internal" not in response.text
    logged = [entry for entry in logs if entry["event"] == "unhandled error"]
    assert logged[0]["path"] == "/explode"
    assert isinstance(logged[0]["exc_info"], RuntimeError)


async def test_postgres_down_is_503(
    kit_settings: KitSettings, dev_settings: ApiSettings, pool: asyncpg.Pool
) -> None:
    down = kit_settings.model_copy(
        update={"database_url": "postgresql://postgres@127.0.0.1:1/nowhere"}
    )
    async with running_app(create_app(down, dev_settings)) as client:
        response = await client.post("/auth/dev-login")
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "database_unavailable"
    assert "database" in str(error["message"]).lower()


async def test_postgres_down_is_503_for_the_read_only_endpoints_too(
    kit_settings: KitSettings, dev_settings: ApiSettings, pool: asyncpg.Pool
) -> None:
    # The roster and the chart read outside a transaction (db.reading): same answer.
    async with running_app(create_app(kit_settings, dev_settings)) as client:
        assert (await client.post("/auth/dev-login")).status_code == 200
        session = dict(client.cookies)
    down = kit_settings.model_copy(
        update={"database_url": "postgresql://postgres@127.0.0.1:1/nowhere"}
    )
    async with running_app(create_app(down, dev_settings)) as client:
        client.cookies.update(session)
        roster = await client.get("/clients")
        chart = await client.get(f"/clients/{uuid.uuid4()}/charts")
    for response in (roster, chart):
        assert response.status_code == 503
        assert error_of(response)["code"] == "database_unavailable"


async def test_a_request_that_fails_leaves_its_connection_clean_for_the_next(
    kit_settings: KitSettings, dev_settings: ApiSettings, pool: asyncpg.Pool
) -> None:
    """The api's pool hands connections back without asyncpg's reset query (db.py): a
    transaction a failed request leaves open is still rolled back before the next one."""
    one = kit_settings.model_copy(update={"db_pool_min_size": 1, "db_pool_max_size": 1})
    app = create_app(one, dev_settings)

    async def fails_mid_transaction(request: Request) -> None:
        async with reading(request) as conn:
            await conn.execute("BEGIN")
            await conn.execute(
                "INSERT INTO audit_log (coach_discord_id, action, target, details)"
                " VALUES ('1', 'test', 'x', '{}')"
            )
            raise RuntimeError("the endpoint fails before it commits")

    async def in_transaction(request: Request) -> bool:
        async with reading(request) as conn:
            return conn.is_in_transaction()

    app.add_api_route("/fails", fails_mid_transaction)
    app.add_api_route("/in-transaction", in_transaction)
    async with running_app(app) as client:
        assert (await client.get("/fails")).status_code == 500
        after = await client.get("/in-transaction")
    assert after.json() is False
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'test'") == 0


def test_openapi_documents_the_error_shape_and_stable_operation_ids(
    kit_settings: KitSettings, dev_settings: ApiSettings
) -> None:
    document = create_app(kit_settings, dev_settings).openapi()
    operations = {
        (path, method): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    # Every domain's own ids are checked in its test module (test_openapi.py lists them).
    assert {op["operationId"] for op in operations.values()} >= {
        "health",
        "auth_login",
        "auth_callback",
        "auth_logout",
        "auth_me",
        "auth_dev_login",
    }
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    me = operations[("/auth/me", "get")]["responses"]
    for status in ("401", "403", "429", "500"):
        assert me[status]["content"]["application/json"]["schema"] == error_ref
    callback = operations[("/auth/callback", "get")]["responses"]
    assert callback["422"]["content"]["application/json"]["schema"] == error_ref
    assert "HTTPValidationError" not in document["components"]["schemas"]
