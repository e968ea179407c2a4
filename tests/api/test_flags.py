"""The flag inbox: filters, acknowledge, resolve with a note, re-scan requests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.messages import ScanRequested
from monstercoach_schemas.streams import Stream

from .conftest import COACH_ID
from .helpers import invalid_fields
from .records import AT, add_client, add_flag
from .streams import published


@pytest.fixture
async def inbox(pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    async with pool.acquire() as conn, conn.transaction():
        alma = await add_client(conn, "Alma")
        bo = await add_client(conn, "Bo")
        return {
            "alma_low": await add_flag(conn, alma, "low", code="PROTEIN_SHORT", at=AT),
            "alma_high": await add_flag(conn, alma, "high", at=AT - timedelta(days=1)),
            "bo_high": await add_flag(conn, bo, "high", code="RECON_NUTRITION", source="dspy"),
            "bo_old": await add_flag(conn, bo, "medium", iso_week="2026-W47", status="resolved"),
            "alma": alma,
            "bo": bo,
        }  # fmt: skip


async def listed(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/flags", params=params)
    assert response.status_code == 200, response.text
    return [f"{flag['client_display_name']}:{flag['code']}" for flag in response.json()["items"]]


class TestList:
    async def test_most_severe_first_then_newest(
        self, coach: httpx.AsyncClient, inbox: dict[str, uuid.UUID]
    ) -> None:
        assert await listed(coach) == [
            "Bo:RECON_NUTRITION",
            "Alma:LOW_CHECKIN_RATE",
            "Bo:LOW_CHECKIN_RATE",
            "Alma:PROTEIN_SHORT",
        ]
        flag = (await coach.get("/flags", params={"code": "RECON_NUTRITION"})).json()["items"][0]
        assert flag["source"] == "dspy"
        assert flag["evidence"] == [
            {"label": "check-in rate", "value": 0.3, "target": 0.8, "refs": []}
        ]
        assert flag["rationale"] == "Checked in 2 of 7 days."

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"week": "2026-W47"}, ["Bo:LOW_CHECKIN_RATE"]),
            ({"severity": "high"}, ["Bo:RECON_NUTRITION", "Alma:LOW_CHECKIN_RATE"]),
            ({"status": ["open", "acknowledged"], "severity": "low"}, ["Alma:PROTEIN_SHORT"]),
            ({"source": "dspy"}, ["Bo:RECON_NUTRITION"]),
            ({"code": ["PROTEIN_SHORT", "RECON_NUTRITION"]},
             ["Bo:RECON_NUTRITION", "Alma:PROTEIN_SHORT"]),
        ],
    )  # fmt: skip
    async def test_filters(
        self,
        coach: httpx.AsyncClient,
        inbox: dict[str, uuid.UUID],
        params: dict[str, Any],
        expected: list[str],
    ) -> None:
        assert await listed(coach, **params) == expected

    async def test_one_clients_flags_and_paging(
        self, coach: httpx.AsyncClient, inbox: dict[str, uuid.UUID]
    ) -> None:
        assert await listed(coach, client_id=str(inbox["alma"])) == [
            "Alma:LOW_CHECKIN_RATE",
            "Alma:PROTEIN_SHORT",
        ]
        second = (await coach.get("/flags", params={"limit": 3, "offset": 3})).json()
        assert (len(second["items"]), second["total"]) == (1, 4)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"week": "2026-48"}, "query.week"),
            ({"week": "2027-W53"}, "query.week"),
            ({"severity": "critical"}, "query.severity.0"),
            ({"code": "BAD_VIBES"}, "query.code.0"),
            ({"client_id": "alma"}, "query.client_id"),
        ],
    )
    async def test_invalid_filters_are_422(
        self, coach: httpx.AsyncClient, params: dict[str, Any], field: str
    ) -> None:
        response = await coach.get("/flags", params=params)
        assert invalid_fields(response)[0] == field

    async def test_one_flag_or_404(
        self, coach: httpx.AsyncClient, inbox: dict[str, uuid.UUID]
    ) -> None:
        flag = await coach.get(f"/flags/{inbox['bo_high']}")
        assert (flag.status_code, flag.json()["code"]) == (200, "RECON_NUTRITION")
        missing = await coach.get(f"/flags/{uuid.uuid4()}")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "flag_not_found")


class TestTriage:
    async def test_acknowledge_then_resolve_with_a_note_verbatim(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, inbox: dict[str, uuid.UUID]
    ) -> None:
        note = ("<script>alert(1)</script> Robert'); DROP TABLE flags;-- " * 40)[:2000]
        flag_id = inbox["alma_high"]
        acknowledged = await coach.post(f"/flags/{flag_id}/acknowledge")
        assert (acknowledged.status_code, acknowledged.json()["status"]) == (200, "acknowledged")
        resolved = await coach.post(f"/flags/{flag_id}/resolve", json={"note": note})
        assert resolved.status_code == 200
        assert (resolved.json()["status"], resolved.json()["status_note"]) == ("resolved", note)
        assert (await coach.get(f"/flags/{flag_id}")).json()["status_note"] == note
        audit = await pool.fetch(
            "SELECT coach_discord_id, action, target, details FROM audit_log"
            " WHERE action LIKE 'flag.%' ORDER BY id"
        )
        assert [(row["coach_discord_id"], row["action"]) for row in audit] == [
            (COACH_ID, "flag.acknowledged"),
            (COACH_ID, "flag.resolved"),
        ]
        assert audit[1]["target"] == str(flag_id)
        assert audit[1]["details"]["note"] == note

    async def test_a_resolved_flag_is_409(
        self, coach: httpx.AsyncClient, inbox: dict[str, uuid.UUID]
    ) -> None:
        for action, body in (("acknowledge", None), ("resolve", {"note": "again"})):
            response = await coach.post(f"/flags/{inbox['bo_old']}/{action}", json=body)
            assert (response.status_code, response.json()["error"]["code"]) == (
                409,
                "flag_resolved",
            )

    @pytest.mark.parametrize(
        ("body", "field"),
        [({}, "body.note"), ({"note": ""}, "body.note"), ({"note": "x" * 2001}, "body.note"),
         ({"note": "ok", "severity": "low"}, "body.severity")],
    )  # fmt: skip
    async def test_resolve_needs_a_note(
        self,
        coach: httpx.AsyncClient,
        inbox: dict[str, uuid.UUID],
        body: dict[str, Any],
        field: str,
    ) -> None:
        response = await coach.post(f"/flags/{inbox['alma_low']}/resolve", json=body)
        assert invalid_fields(response)[0] == field

    async def test_unknown_flags_are_404(self, coach: httpx.AsyncClient) -> None:
        flag_id = uuid.uuid4()
        assert (await coach.post(f"/flags/{flag_id}/acknowledge")).status_code == 404
        resolve = await coach.post(f"/flags/{flag_id}/resolve", json={"note": "done"})
        assert resolve.status_code == 404


class TestScan:
    async def test_scan_everyone_this_week(
        self, coach: httpx.AsyncClient, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        response = await coach.post("/flags/scan", json={})
        assert response.status_code == 202
        body = response.json()
        (message,) = await published(bus, Stream.SCANS)
        assert isinstance(message, ScanRequested)
        assert str(message.id) == body["message_id"]
        assert (message.payload.iso_week, message.payload.client_id) == ("2026-W48", None)
        assert message.payload.requested_by == COACH_ID
        assert await pool.fetchval("SELECT action FROM audit_log WHERE action LIKE 'flag.%'") == (
            "flag.scan_requested"
        )

    async def test_scan_one_client_for_a_chosen_week(
        self, coach: httpx.AsyncClient, bus: StreamBus, inbox: dict[str, uuid.UUID]
    ) -> None:
        response = await coach.post(
            "/flags/scan", json={"client_id": str(inbox["bo"]), "iso_week": "2026-W47"}
        )
        assert response.status_code == 202
        (message,) = await published(bus, Stream.SCANS)
        assert isinstance(message, ScanRequested)
        assert (message.payload.client_id, message.payload.iso_week) == (inbox["bo"], "2026-W47")

    async def test_unknown_client_or_week_publishes_nothing(
        self, coach: httpx.AsyncClient, bus: StreamBus
    ) -> None:
        unknown = await coach.post("/flags/scan", json={"client_id": str(uuid.uuid4())})
        assert unknown.status_code == 404
        bad_week = await coach.post("/flags/scan", json={"iso_week": "2027-W53"})
        assert invalid_fields(bad_week)[0] == "body.iso_week"
        assert await published(bus, Stream.SCANS) == []
