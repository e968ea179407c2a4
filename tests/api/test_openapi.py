"""The contract every Battle Station route keeps: a session, typed answers, stable ids,
the one error shape, and a bounded request body."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

PUBLIC_PATHS = {"/health"}

OPERATION_IDS = {
    "roster_list", "client_get", "client_update", "client_status_set", "client_timeline",
    "client_charts", "lst_get", "upcoming_fires_list", "client_schedule_get",
    "schedule_override_put", "schedule_override_delete", "flags_list", "flag_get",
    "flag_acknowledge", "flag_resolve", "flag_scan_request", "deliveries_list", "missed_list",
    "client_message_send", "client_export_json", "client_export_csv", "system_status",
    "dead_letters_list", "dead_letter_replay",
}  # fmt: skip

PATH_VALUES = {
    "client_id": str(uuid.uuid4()),
    "flag_id": str(uuid.uuid4()),
    "engine": "checkin",
    "trigger": "morning_prompt",
    "dead_letter_id": "1764144000000-0",
}


def coach_operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path.format(**PATH_VALUES), operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
        if path not in PUBLIC_PATHS and not path.startswith("/auth/")
    ]


def test_operation_ids_are_the_route_names(app: FastAPI) -> None:
    assert {op["operationId"] for _, _, op in coach_operations(app)} == OPERATION_IDS


def test_every_answer_is_typed_and_every_error_documented(app: FastAPI) -> None:
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    for method, path, operation in coach_operations(app):
        responses = operation["responses"]
        ok = next(code for code in responses if code.startswith("2"))
        content = responses[ok]["content"]
        schema = content.get("application/json", content.get("application/zip"))["schema"]
        assert schema.get("$ref") or schema.get("format") == "binary", (method, path)
        for status in ("401", "403", "429", "503"):
            assert responses[status]["content"]["application/json"]["schema"] == error
        if operation.get("parameters") or "requestBody" in operation:
            assert responses["422"]["content"]["application/json"]["schema"] == error
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]


async def test_every_coach_route_needs_a_session(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    for method, path, _ in coach_operations(app):
        response = await anonymous.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "not_authenticated"


class TestBodyLimit:
    async def test_a_declared_oversize_body_is_413(self, coach: httpx.AsyncClient) -> None:
        response = await coach.post(
            f"/clients/{uuid.uuid4()}/messages", json={"text": "x" * 70_000}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    async def test_a_streamed_oversize_body_is_413(self, coach: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"note": "'
            for _ in range(100):
                yield b"x" * 1024
            yield b'"}'

        response = await coach.post(f"/flags/{uuid.uuid4()}/resolve", content=chunks())
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    async def test_a_body_under_the_limit_goes_through(self, coach: httpx.AsyncClient) -> None:
        response = await coach.post(f"/flags/{uuid.uuid4()}/resolve", json={"note": "x" * 2000})
        assert response.status_code == 404  # reached the endpoint: no such flag

    @pytest.mark.parametrize("length", ["lots", "-1"])
    async def test_a_malformed_content_length_is_400(
        self, coach: httpx.AsyncClient, length: str
    ) -> None:
        response = await coach.post(
            "/flags/scan", content=b"{}", headers={"content-length": length}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_request"
