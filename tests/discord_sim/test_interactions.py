"""Interactions the simulator issues, and how it answers the bot's callbacks to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import HTTPClient, handle_message_parameters

from monstercoach_discord_sim import InteractionRefused, Simulator, Upload
from tests.discord_sim.conftest import TOKEN, logged_in

USER = "300000000000000003"

COMMANDS: list[dict[str, Any]] = [
    {
        "name": "meal",
        "description": "Log a meal",
        "options": [
            {"type": 11, "name": "photo", "description": "A photo", "required": False},
            {
                "type": 3,
                "name": "size",
                "description": "How big",
                "required": True,
                "choices": [{"name": "Small", "value": "s"}, {"name": "Big", "value": "b"}],
            },
        ],
    },
    {
        "name": "client",
        "description": "Clients",
        "options": [
            {
                "type": 1,
                "name": "add",
                "description": "Add one",
                "options": [{"type": 6, "name": "user", "description": "Who", "required": True}],
            }
        ],
    },
]


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[HTTPClient]:
    async with logged_in() as client:
        app_id = sim.world.bot_for(TOKEN)["id"]
        await client.bulk_upsert_global_commands(app_id, COMMANDS)
        yield client


async def callback(sim: Simulator, interaction: dict[str, Any], body: dict[str, Any]) -> Any:
    url = f"{sim.api_base}/interactions/{interaction['id']}/{interaction['token']}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, (await response.json() if response.status != 204 else None)


class TestCommands:
    async def test_sync_stores_the_commands_discord_py_sent(
        self, sim: Simulator, http: HTTPClient
    ) -> None:
        [commands] = sim.world.commands.values()
        assert [c["name"] for c in commands] == ["meal", "client"]
        assert all(c["id"].isdigit() for c in commands)

    async def test_an_invalid_command_name_is_refused(
        self, sim: Simulator, http: HTTPClient
    ) -> None:
        app_id = sim.world.bot_for(TOKEN)["id"]
        with pytest.raises(discord.HTTPException) as caught:
            await http.bulk_upsert_global_commands(
                app_id, [{"name": "Check In", "description": "x"}]
            )
        assert (caught.value.status, caught.value.code) == (400, 50035)

    async def test_options_are_typed_as_registered(self, sim: Simulator, http: HTTPClient) -> None:
        payload = sim.interactions.command(
            USER, "meal", size="b", photo=Upload("a.png", "image/png")
        )
        options = {o["name"]: o for o in payload["data"]["options"]}
        assert options["size"] == {"name": "size", "type": 3, "value": "b"}
        attachment = payload["data"]["resolved"]["attachments"][options["photo"]["value"]]
        assert attachment["content_type"] == "image/png"
        assert payload["user"]["id"] == USER
        assert payload["channel"]["type"] == 1  # the DM with the bot
        assert payload["context"] == 1

    async def test_a_subcommand_and_a_user_option(self, sim: Simulator, http: HTTPClient) -> None:
        payload = sim.interactions.command(USER, "client add", user="300000000000000009")
        [sub] = payload["data"]["options"]
        assert sub["name"] == "add"
        assert sub["options"][0]["value"] == "300000000000000009"
        assert "300000000000000009" in payload["data"]["resolved"]["users"]

    @pytest.mark.parametrize(
        ("path", "values", "problem"),
        [
            ("meal", {}, "needs size"),
            ("meal", {"size": "huge"}, "not a choice"),
            ("meal", {"size": "s", "colour": "red"}, "no option 'colour'"),
            ("week", {}, "not registered"),
        ],
    )
    async def test_what_discords_client_would_never_send(
        self, sim: Simulator, http: HTTPClient, path: str, values: dict[str, Any], problem: str
    ) -> None:
        with pytest.raises(InteractionRefused, match=problem):
            sim.interactions.command(USER, path, **values)

    async def test_autocomplete_answers_are_checked(self, sim: Simulator, http: HTTPClient) -> None:
        typing = sim.interactions.autocomplete(USER, "meal", "size", size="bi")
        assert typing["data"]["options"][0] == {
            "name": "size",
            "type": 3,
            "value": "bi",
            "focused": True,
        }
        too_many = {
            "type": 8,
            "data": {"choices": [{"name": str(i), "value": i} for i in range(26)]},
        }
        status, body = await callback(sim, typing, too_many)
        assert (status, body["code"]) == (400, 50035)


class TestComponentsAndModals:
    async def sent(self, sim: Simulator, http: HTTPClient) -> dict[str, Any]:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Done", custom_id="jc:1:2:d"))
        view.add_item(discord.ui.Button(label="Off", custom_id="off", disabled=True))
        channel = (await http.start_private_message(int(USER)))["id"]
        return await http.send_message(channel, params=handle_message_parameters("Card", view=view))

    async def test_an_update_edits_the_message_the_button_was_on(
        self, sim: Simulator, http: HTTPClient
    ) -> None:
        message = await self.sent(sim, http)
        click = sim.interactions.click(USER, message, "jc:1:2:d")
        assert click["data"] == {"custom_id": "jc:1:2:d", "component_type": 2}
        status, _ = await callback(sim, click, {"type": 7, "data": {"content": "Card: 1/1"}})
        assert status == 204
        [stored] = sim.world.messages_to(USER)
        assert stored["content"] == "Card: 1/1"
        assert stored["edited_timestamp"] is not None

    async def test_only_buttons_that_are_there_and_enabled(
        self, sim: Simulator, http: HTTPClient
    ) -> None:
        message = await self.sent(sim, http)
        with pytest.raises(InteractionRefused, match="no component"):
            sim.interactions.click(USER, message, "jc:9:9:d")
        with pytest.raises(InteractionRefused, match="disabled"):
            sim.interactions.click(USER, message, "off")

    async def test_a_modal_is_submitted_as_it_was_drawn(
        self, sim: Simulator, http: HTTPClient
    ) -> None:
        opened = sim.interactions.command(USER, "meal", size="s")
        with pytest.raises(InteractionRefused, match="opened no modal"):
            sim.interactions.submit(opened, {})
        modal = discord.ui.Modal(title="Log a meal", custom_id="mc:meal")
        modal.add_item(
            discord.ui.Label(
                text="What?", component=discord.ui.TextInput(custom_id="what", max_length=10)
            )
        )
        status, _ = await callback(sim, opened, {"type": 9, "data": modal.to_dict()})
        assert status == 204
        with pytest.raises(InteractionRefused, match="what is required"):
            sim.interactions.submit(opened, {})
        with pytest.raises(InteractionRefused, match="longer than 10"):
            sim.interactions.submit(opened, {"what": "x" * 11})
        submitted = sim.interactions.submit(opened, {"what": "x" * 11}, unchecked=True)
        [label] = submitted["data"]["components"]
        assert label["component"] == {"type": 4, "id": 0, "custom_id": "what", "value": "x" * 11}
        status, body = await callback(sim, submitted, {"type": 9, "data": modal.to_dict()})
        assert (status, body["code"]) == (400, 50035)  # no modal in answer to a modal

    async def test_a_wrong_token_is_refused(self, sim: Simulator, http: HTTPClient) -> None:
        opened = sim.interactions.command(USER, "meal", size="s")
        status, body = await callback(
            sim, {**opened, "token": "not-it"}, {"type": 4, "data": {"content": "hi"}}
        )
        assert (status, body["code"]) == (401, 50027)

    async def test_a_public_reply_joins_the_dm_an_ephemeral_one_does_not(
        self, sim: Simulator, http: HTTPClient
    ) -> None:
        public = sim.interactions.command(USER, "meal", size="s")
        private = sim.interactions.command(USER, "meal", size="b")
        await callback(sim, public, {"type": 4, "data": {"content": "everyone"}})
        await callback(sim, private, {"type": 4, "data": {"content": "only you", "flags": 64}})
        assert [m["content"] for m in sim.world.messages_to(USER)] == ["everyone"]
        [ephemeral] = sim.world.webhook_messages[private["token"]]
        assert sim.world.find_message(ephemeral["channel_id"], ephemeral["id"]) == ephemeral


async def test_a_reaction_is_recorded(sim: Simulator) -> None:
    async with logged_in() as http:
        channel = (await http.start_private_message(int(USER)))["id"]
        sent = await http.send_message(channel, params=handle_message_parameters("hi"))
        await http.add_reaction(channel, sent["id"], "📨")
    assert sim.world.reactions == {sent["id"]: ["📨"]}
