"""SQL-, HTML- and formula-shaped text at every field's full length, end to end.

``tests/api`` stores such text with SQL and reads it back over REST, or writes it over
REST; what was missing is the whole way a client's words travel: onto the bus as the
bot publishes them, through the api's consumers (set-based ``unnest`` SQL) into
PostgreSQL, and back out of every REST view that shows them. Each must come back
verbatim, as JSON (never something a browser would render), with nothing dead-lettered;
the CSV export alone neutralises a leading formula character (its documented rule).
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import (
    DeliveryKind,
    Evidence,
    FlagCode,
    FlagSeverity,
    FlagSource,
    Goal,
)
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    ClientOnboarded,
    ClientOnboardedPayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    DmReceived,
    DmReceivedPayload,
    Envelope,
    FlagRaised,
    FlagRaisedPayload,
    JobCardIssued,
    JobCardIssuedItem,
    JobCardIssuedPayload,
    MealLogged,
    MealLoggedPayload,
    WorkoutLogged,
    WorkoutLoggedPayload,
)
from monstercoach_schemas.types import uuid7
from tests.conftest import REDIS_URL

from .conftest import RunningApi

SQL = "Robert'); DROP TABLE clients; -- \" OR 1=1; /* */ $1 \\x00-free"
HTML = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>&amp;&lt;"
UNICODE = "Zoë 🏋️‍♀️ \u202edlrow\u202c zero\u200bwidth \uff1cfullwidth\uff1e \ufdfd \U0001d54f"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def fill(length: int, *parts: str) -> str:
    """Exactly ``length`` characters of the hostile parts, newlines included, with no
    leading or trailing whitespace (the schemas strip it, which is not the point here)."""
    text = "\n".join(parts)
    text = (text * (length // len(text) + 1))[:length]
    return text[:-1] + "x" if text[-1].isspace() else text


@pytest.fixture
async def bus(api: RunningApi) -> AsyncIterator[StreamBus]:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        yield StreamBus(client, prefix=api.prefix)
    finally:
        await client.aclose()


async def test_client_text_at_full_length_travels_verbatim(api: RunningApi, bus: StreamBus) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    client_id = uuid7()
    name = fill(80, SQL, HTML)
    texts = {
        "notes": fill(2000, SQL, HTML, UNICODE),
        "meal": fill(200, FORMULA, HTML, SQL),
        "workout": fill(200, HTML, UNICODE),
        "dm": fill(2000, UNICODE, SQL, HTML),
        "label": fill(120, "-cmd|' /C calc'!A0", HTML),
        "rationale": fill(2000, HTML, SQL),
        "action": fill(2000, "@SUM(1+1)", UNICODE),
        "evidence": fill(200, SQL, HTML),
        "nudge": fill(2000, HTML, FORMULA, SQL),
    }
    photo = "https://cdn.example.com/meal.jpg?caption=%3Cscript%3E&q=1%27"
    card_id, item_id, flag_id, delivery_id = (uuid.uuid4() for _ in range(4))
    week = f"{at.isocalendar()[0]}-W{at.isocalendar()[1]:02d}"
    messages: list[Envelope[Any]] = [
        ClientOnboarded(
            idempotency_key=f"hostile:onboard:{client_id}",
            payload=ClientOnboardedPayload(
                client_id=client_id,
                discord_user_id=str(700_000_000_000_000_000 + client_id.int % 10**9),
                display_name=name,
                time_zone="Europe/Berlin",
                goal=Goal.RECOMP,
                onboarded_at=at,
            ),
        ),
        CheckinAnswered(
            idempotency_key=f"hostile:checkin:{client_id}",
            payload=CheckinAnsweredPayload(
                client_id=client_id,
                local_date=at.date(),
                weight_kg=81.5,
                notes=texts["notes"],
                answered_at=at,
            ),
        ),
        MealLogged(
            idempotency_key=f"hostile:meal:{client_id}",
            payload=MealLoggedPayload(
                client_id=client_id, description=texts["meal"], photo_url=photo, logged_at=at
            ),
        ),
        WorkoutLogged(
            idempotency_key=f"hostile:workout:{client_id}",
            payload=WorkoutLoggedPayload(
                client_id=client_id, description=texts["workout"], logged_at=at
            ),
        ),
        DmReceived(
            idempotency_key=f"hostile:dm:{client_id}",
            payload=DmReceivedPayload(
                client_id=client_id,
                discord_message_id=str(800_000_000_000_000_000 + client_id.int % 10**9),
                text=texts["dm"],
                received_at=at,
            ),
        ),
        JobCardIssued(
            idempotency_key=f"hostile:card:{client_id}",
            payload=JobCardIssuedPayload(
                card_id=card_id,
                client_id=client_id,
                local_date=at.date(),
                items=[JobCardIssuedItem(id=item_id, position=0, label=texts["label"])],
                issued_at=at,
            ),
        ),
        FlagRaised(
            idempotency_key=f"hostile:flag:{client_id}",
            payload=FlagRaisedPayload(
                flag_id=flag_id,
                client_id=client_id,
                iso_week=week,
                code=FlagCode.COACH_ATTENTION,
                severity=FlagSeverity.HIGH,
                source=FlagSource.DSPY,
                evidence=[Evidence(label=texts["evidence"], value=HTML, refs=[SQL])],
                rationale=texts["rationale"],
                suggested_action=texts["action"],
                raised_at=at,
            ),
        ),
    ]
    # A nudge travels on the deliveries stream, which is not ordered with the events
    # stream: it is sent once the api knows the client (as the api's own nudge is).
    nudge = [
        DeliveryRequested(
            idempotency_key=f"hostile:nudge:{client_id}",
            payload=DeliveryRequestedPayload(
                delivery_id=delivery_id,
                client_id=client_id,
                recipient_discord_id=str(700_000_000_000_000_000 + client_id.int % 10**9),
                kind=DeliveryKind.NUDGE,
                text=texts["nudge"],
            ),
        ),
    ]
    await bus.publish_many(messages)

    async with api.async_client() as coach:
        await _eventually_json(coach, f"/clients/{client_id}", lambda b: True)
        await bus.publish_many(nudge)
        timeline = await _eventually_json(
            coach,
            f"/clients/{client_id}/timeline",
            lambda b: (
                {"checkin", "meal", "workout", "dm", "job_card"} <= {e["kind"] for e in b["items"]}
            ),
        )
        by_kind = {entry["kind"]: entry for entry in timeline["items"]}
        assert by_kind["checkin"]["notes"] == texts["notes"]
        assert by_kind["meal"]["description"] == texts["meal"]
        assert by_kind["meal"]["photo_url"] == photo
        assert by_kind["workout"]["description"] == texts["workout"]
        assert by_kind["dm"]["text"] == texts["dm"]
        assert [i["label"] for i in by_kind["job_card"]["items"]] == [texts["label"]]

        profile = _json(await coach.get(f"/clients/{client_id}"))
        assert profile["profile"]["display_name"] == profile["summary"]["display_name"] == name
        roster = _json(await coach.get("/clients", params={"q": name[:80], "limit": 200}))
        assert [c["id"] for c in roster["items"]] == [str(client_id)]

        flag = _json(await coach.get(f"/flags/{flag_id}"))
        assert (flag["rationale"], flag["suggested_action"]) == (
            texts["rationale"],
            texts["action"],
        )
        assert flag["client_display_name"] == name
        assert flag["evidence"][0]["label"] == texts["evidence"]
        assert (flag["evidence"][0]["value"], flag["evidence"][0]["refs"]) == (HTML, [SQL])

        deliveries = await _eventually_json(
            coach, "/deliveries", lambda b: bool(b["items"]), client_id=str(client_id)
        )
        assert [d["text"] for d in deliveries["items"]] == [texts["nudge"]]

        exported = _json(await coach.get(f"/clients/{client_id}/export.json"))
        flat = repr(exported)
        for key in ("notes", "meal", "workout", "dm", "label", "rationale", "action"):
            assert repr(texts[key])[1:-1] in flat, key

        archive = await coach.get(f"/clients/{client_id}/export.zip")
        assert archive.status_code == 200
        cells = _csv_cells(archive.content)
        # Verbatim, except that a cell a spreadsheet would run as a formula starts with '.
        for key in ("notes", "meal", "workout", "dm", "label", "rationale", "action"):
            text = texts[key]
            shown = "'" + text if text[0] in "=+-@" else text
            assert shown in cells, key

    assert await bus.dead_letter_count() == 0


def _json(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    # JSON, never something a browser would sniff and render as a page.
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def _eventually_json(
    coach: httpx.AsyncClient, path: str, ready: Any, **params: str
) -> dict[str, Any]:
    async with asyncio.timeout(15):
        while True:
            response = await coach.get(path, params=params)
            if response.status_code == 200 and ready(response.json()):
                return _json(response)
            await asyncio.sleep(0.1)


def _csv_cells(archive: bytes) -> set[str]:
    cells: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        for name in zipped.namelist():
            text = zipped.read(name).decode("utf-8-sig")
            for row in csv.reader(io.StringIO(text)):
                cells.update(row)
    return cells
