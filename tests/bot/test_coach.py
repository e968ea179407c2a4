"""Coach commands: allowlisted coaches only; a roster in pages; flags; nudges; the roster
managed through events the api records."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from monstercoach_bot.events import NUDGE_PREFIX
from monstercoach_bot.features.common import NOT_A_COACH
from monstercoach_schemas.domain import ClientStatus, DeliveryKind, Goal
from monstercoach_schemas.messages import ClientOnboarded, ClientStatusChanged, DeliveryRequested
from monstercoach_schemas.streams import Stream
from tests.bot.harness import (
    COACH,
    COACH_2,
    EPHEMERAL,
    MESSAGE,
    UPDATE,
    Harness,
    add_card,
    add_client,
    components,
    discord_user,
)

CLIENT = discord_user(7)
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


class TestOnlyCoaches:
    @pytest.mark.parametrize(
        ("path", "options"),
        [
            ("roster", {}),
            ("flags", {}),
            ("nudge", {"client": "Sam Carter", "message": "hi"}),
            ("client add", {"user": discord_user(70), "time_zone": "UTC", "goal": "recomp"}),
            ("client pause", {"client": "Sam Carter"}),
            ("client archive", {"client": "Sam Carter"}),
        ],
    )
    async def test_anyone_else_is_refused_politely(
        self, harness: Harness, path: str, options: dict[str, Any]
    ) -> None:
        await add_client(harness.services.pool, CLIENT)
        _, answer = await harness.slash(CLIENT, path, **options)
        assert answer["type"] == MESSAGE
        assert answer["data"]["content"] == NOT_A_COACH
        assert answer["data"]["flags"] & EPHEMERAL
        assert await harness.published() == []
        assert await harness.published(Stream.DELIVERIES) == []

    async def test_the_client_picker_shows_them_nobody(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        assert await harness.autocomplete(CLIENT, "nudge", "client", client="Sa") == []
        assert len(await harness.autocomplete(COACH, "nudge", "client", client="Sa")) == 1


class TestRoster:
    async def seed(self, h: Harness) -> None:
        pool = h.services.pool
        names = [f"Client {n:02d}" for n in range(12)]
        ids = [
            await add_client(pool, discord_user(100 + n), name, last_activity_at=NOW)
            for n, name in enumerate(names)
        ]
        await add_client(pool, discord_user(200), "Zed Archived", status="archived")
        await pool.execute("UPDATE clients SET status = 'paused' WHERE id = $1", ids[1])
        await pool.execute(
            "INSERT INTO checkins (id, client_id, local_date, answered_at) VALUES ($1, $2, $3, $4)",
            uuid.uuid4(),
            ids[0],
            date(2026, 11, 26),
            NOW,
        )
        await add_card(pool, ids[0], date(2026, 11, 26), statuses=["done", "pending", "pending"])
        await pool.execute(
            "INSERT INTO meal_logs (id, client_id, local_date, description, logged_at) "
            "VALUES ($1, $2, $3, 'x', $4), ($5, $2, $3, 'y', $4)",
            uuid.uuid4(),
            ids[0],
            date(2026, 11, 26),
            NOW,
            uuid.uuid4(),
        )
        await pool.execute(
            "UPDATE clients SET last_activity_at = $2 WHERE id = $1", ids[2], NOW - timedelta(4)
        )

    async def test_pages_of_ten_turned_in_place(self, harness: Harness) -> None:
        await self.seed(harness)
        harness.at(NOW)
        _, answer = await harness.slash(COACH, "roster")
        assert answer["data"]["flags"] & EPHEMERAL
        lines = answer["data"]["content"].splitlines()
        assert lines[0] == "👥 **Roster** · page 1/2 · 12 clients · today"
        assert lines[1] == ("🟢 **Client 00** — check-in ✅ · card 1/3 · 2 meals · active today")
        assert lines[2].startswith("⏸️ **Client 01** (paused) — no check-in · no card · 0 meals")
        assert lines[3].endswith("quiet 4 d")
        assert len(lines) == 11
        prev, nxt = components(answer["data"])
        assert (prev["disabled"], nxt["disabled"]) == (True, False)

        roster = harness.sim.world.webhook_messages[answer["token"]][0]
        _, turned = await harness.click(COACH, roster, nxt["custom_id"])
        assert turned["type"] == UPDATE
        page_two = turned["data"]["content"].splitlines()
        assert page_two[0] == "👥 **Roster** · page 2/2 · 12 clients · today"
        assert [line.split("**")[1] for line in page_two[1:]] == ["Client 10", "Client 11"]
        prev, nxt = components(turned["data"])
        assert (prev["disabled"], nxt["disabled"]) == (False, True)

    async def test_a_page_button_in_other_hands(self, harness: Harness) -> None:
        await self.seed(harness)
        _, answer = await harness.slash(COACH, "roster")
        roster = harness.sim.world.webhook_messages[answer["token"]][0]
        next_page = components(answer["data"])[1]["custom_id"]
        _, refused = await harness.click(CLIENT, roster, next_page)
        assert refused["data"]["content"] == NOT_A_COACH

    async def test_no_clients_yet(self, harness: Harness) -> None:
        _, answer = await harness.slash(COACH, "roster")
        assert "No clients yet" in answer["data"]["content"]
        assert "components" not in answer["data"] or not answer["data"]["components"]


async def test_open_flags_most_urgent_first(harness: Harness) -> None:
    pool = harness.services.pool
    sam = await add_client(pool, CLIENT, "Sam Carter")
    ana = await add_client(pool, discord_user(71), "Ana Diaz")
    for client_id, code, severity, status in [
        (sam, "PROTEIN_SHORT", "low", "open"),
        (ana, "GONE_QUIET", "high", "open"),
        (sam, "WEIGHT_STALL", "medium", "resolved"),
    ]:
        await pool.execute(
            "INSERT INTO flags (id, client_id, iso_week, code, severity, source, rationale, status)"
            " VALUES ($1, $2, '2026-W48', $3, $4, 'rules', 'why it matters', $5)",
            uuid.uuid4(),
            client_id,
            code,
            severity,
            status,
        )
    _, answer = await harness.slash(COACH, "flags")
    assert answer["data"]["content"].splitlines() == [
        "⚑ **Open flags** · 2 open, most urgent first",
        "🔴 **Ana Diaz** · GONE_QUIET (2026-W48) — why it matters",
        "🟡 **Sam Carter** · PROTEIN_SHORT (2026-W48) — why it matters",
    ]


class TestNudge:
    async def test_picked_from_the_list(self, harness: Harness) -> None:
        client_id = await add_client(harness.services.pool, CLIENT, "Sam Carter")
        [choice] = await harness.autocomplete(COACH, "nudge", "client", client="sam")
        assert choice == {"name": "Sam Carter", "value": str(client_id)}
        _, answer = await harness.slash(
            COACH, "nudge", client=choice["value"], message="Great week — keep it up!"
        )
        assert answer["data"]["content"] == "Sending to **Sam Carter** now ✅"
        [request] = await harness.published(Stream.DELIVERIES)
        assert isinstance(request, DeliveryRequested)
        assert request.payload.kind is DeliveryKind.NUDGE
        assert request.payload.client_id == client_id
        assert request.payload.recipient_discord_id == CLIENT
        assert request.payload.text == f"{NUDGE_PREFIX}Great week — keep it up!"

    async def test_a_typed_name(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, "Sam Carter")
        await add_client(harness.services.pool, discord_user(72), "Sam Carterton")
        _, answer = await harness.slash(COACH_2, "nudge", client="sam carter", message="hi")
        assert answer["data"]["content"] == "Sending to **Sam Carter** now ✅"
        _, answer = await harness.slash(COACH, "nudge", client="Sam", message="hi")
        assert 'can\'t find one client called "Sam"' in answer["data"]["content"]
        assert len(await harness.published(Stream.DELIVERIES)) == 1

    @pytest.mark.parametrize("status", ["paused", "archived"])
    async def test_a_paused_or_archived_client_is_not_messaged(
        self, harness: Harness, status: str
    ) -> None:
        # The api's rule for Battle Station's messages (409 client_not_active), here too.
        client_id = await add_client(harness.services.pool, CLIENT, "Sam", status=status)
        _, answer = await harness.slash(COACH, "nudge", client=str(client_id), message="hi")
        assert answer["data"]["content"] == (
            f"Sam is {status}, so I won't message them: re-activate them in Battle Station first."
        )
        assert await harness.published(Stream.DELIVERIES) == []


class TestClientCommands:
    async def test_add_onboards_them_and_says_hello(self, harness: Harness) -> None:
        harness.at(NOW)
        newcomer = discord_user(80)
        _, answer = await harness.slash(
            COACH, "client add", user=newcomer, time_zone="Asia/Tokyo", goal="performance"
        )
        assert answer["data"]["content"].startswith("Added **client-000080** ✅ (Asia/Tokyo")
        [event] = await harness.published()
        assert isinstance(event, ClientOnboarded)
        assert (event.payload.discord_user_id, event.payload.goal) == (newcomer, Goal.PERFORMANCE)
        [welcome] = await harness.published(Stream.DELIVERIES)
        assert isinstance(welcome, DeliveryRequested)
        assert welcome.payload.recipient_discord_id == newcomer
        assert welcome.payload.client_id is None  # the api may not know them yet

    async def test_add_someone_already_on_the_roster(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, "Sam Carter")
        _, answer = await harness.slash(
            COACH, "client add", user=CLIENT, time_zone="UTC", goal="recomp"
        )
        assert answer["data"]["content"] == "**Sam Carter** is already a client (active)."
        assert await harness.published() == []

    async def test_add_with_a_zone_that_does_not_exist(self, harness: Harness) -> None:
        _, answer = await harness.slash(
            COACH, "client add", user=discord_user(81), time_zone="Europe/Berln", goal="recomp"
        )
        assert "Did you mean Europe/Berlin" in answer["data"]["content"]
        assert await harness.published() == []

    @pytest.mark.parametrize(
        ("action", "status", "said"),
        [("pause", ClientStatus.PAUSED, "Paused"), ("archive", ClientStatus.ARCHIVED, "Archived")],
    )
    async def test_status_changes_are_events_for_the_api(
        self, harness: Harness, action: str, status: ClientStatus, said: str
    ) -> None:
        client_id = await add_client(harness.services.pool, CLIENT, "Sam Carter")
        _, answer = await harness.slash(COACH, f"client {action}", client=str(client_id))
        assert answer["data"]["content"].startswith(f"{said} **Sam Carter**")
        [changed] = await harness.published()
        assert isinstance(changed, ClientStatusChanged)
        assert (changed.payload.client_id, changed.payload.status) == (client_id, status)
        assert changed.payload.changed_by_discord_id == COACH

    async def test_a_status_already_set_changes_nothing(self, harness: Harness) -> None:
        client_id = await add_client(harness.services.pool, CLIENT, "Sam Carter", status="paused")
        _, answer = await harness.slash(COACH, "client pause", client=str(client_id))
        assert "already paused" in answer["data"]["content"]
        assert await harness.published() == []
