"""The simulator answers as Discord does, as far as discord.py's real client can tell.

Most tests drive discord.py's ``HTTPClient``: if the simulator's bodies or headers were
off, discord.py would misparse them, retry when it should not, or give up when it
should retry. Header-level checks use plain aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import discord
import pytest
from discord.http import handle_message_parameters

from monstercoach_discord_sim import BucketSpec, SimConfig, Simulator
from monstercoach_discord_sim.server import require_loopback
from tests.discord_sim.conftest import TOKEN, logged_in, simulated

USER = "300000000000000001"
AUTH = {"Authorization": f"Bot {TOKEN}"}


def text(content: str, nonce: str | None = None) -> discord.http.MultipartParameters:
    return handle_message_parameters(content=content, nonce=nonce)


async def open_dm(http: discord.http.HTTPClient, user_id: str = USER) -> str:
    return str((await http.start_private_message(int(user_id)))["id"])


class TestRoutes:
    async def test_login_answers_with_the_bot_user(self, sim: Simulator) -> None:
        http = discord.http.HTTPClient(asyncio.get_running_loop())
        try:
            me = await http.static_login(TOKEN)
        finally:
            await http.close()
        assert me["bot"] is True
        assert me["id"].isdigit()

    async def test_a_wrong_token_fails_login(self) -> None:
        async with simulated(SimConfig(token="the-real-one")):
            with pytest.raises(discord.LoginFailure):
                async with logged_in("a-wrong-one"):
                    pass

    async def test_opening_a_dm_twice_gives_the_same_channel(self, sim: Simulator) -> None:
        async with logged_in() as http:
            first, second = await open_dm(http), await open_dm(http)
        assert first == second
        assert sim.stats.requests["create_dm"] == 2

    async def test_a_message_keeps_its_buttons(self, sim: Simulator) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Done", custom_id="jobcard:done:1"))
        async with logged_in() as http:
            channel = await open_dm(http)
            params = handle_message_parameters(content="Today's card", view=view)
            sent = await http.send_message(channel, params=params)
        [stored] = sim.world.messages_to(USER)
        assert stored["id"] == sent["id"]
        assert stored["content"] == "Today's card"
        assert stored["components"][0]["components"][0]["custom_id"] == "jobcard:done:1"
        assert sim.world.message_counts() == {USER: 1}

    async def test_an_enforced_nonce_returns_the_first_message(self, sim: Simulator) -> None:
        async with logged_in() as http:
            channel = await open_dm(http)
            first = await http.send_message(channel, params=text("hi", nonce="delivery-1"))
            again = await http.send_message(channel, params=text("hi", nonce="delivery-1"))
            other = await http.send_message(channel, params=text("hi", nonce="delivery-2"))
        assert again["id"] == first["id"]
        assert other["id"] != first["id"]
        assert sim.world.message_counts() == {USER: 2}
        assert sim.stats.nonce_replays == 1

    async def test_a_nonce_is_only_enforced_within_its_window(self) -> None:
        async with simulated(SimConfig(nonce_window_seconds=0)) as sim, logged_in() as http:
            channel = await open_dm(http)
            await http.send_message(channel, params=text("hi", nonce="delivery-1"))
            await http.send_message(channel, params=text("hi", nonce="delivery-1"))
        assert sim.world.message_counts() == {USER: 2}

    async def test_an_invalid_body_is_invalid_form_body(self, sim: Simulator) -> None:
        async with logged_in() as http:
            channel = await open_dm(http)
            with pytest.raises(discord.HTTPException) as caught:
                await http.send_message(channel, params=text("x" * 2001))
        assert (caught.value.status, caught.value.code) == (400, 50035)
        assert "content" in caught.value.text
        assert sim.world.message_counts() == {USER: 0}

    async def test_editing_a_message_changes_it_in_place(self, sim: Simulator) -> None:
        async with logged_in() as http:
            channel = await open_dm(http)
            sent = await http.send_message(channel, params=text("2 items left"))
            await http.edit_message(channel, sent["id"], params=text("1 item left"))
        [stored] = sim.world.messages_to(USER)
        assert stored["content"] == "1 item left"
        assert stored["edited_timestamp"] is not None


class TestRateLimits:
    async def test_route_headers_let_discord_py_pace_itself(self) -> None:
        config = SimConfig(route_limits={"create_message": BucketSpec(2, 0.1)})
        async with simulated(config) as sim, logged_in() as http:
            channel = await open_dm(http)
            await asyncio.gather(
                *(http.send_message(channel, params=text(f"m{i}")) for i in range(6))
            )
        # Six messages through a bucket of two per 0.1 s, and not one 429: discord.py
        # read the X-RateLimit-* headers and waited for each reset.
        assert sim.world.message_counts() == {USER: 6}
        assert sim.stats.route_429s == 0

    @pytest.mark.parametrize("is_global", [False, True])
    async def test_discord_py_waits_out_a_429_storm(self, sim: Simulator, is_global: bool) -> None:
        sim.faults.rate_limit(0.02, count=2, route="create_message", is_global=is_global)
        async with logged_in() as http:
            await http.send_message(await open_dm(http), params=text("hi"))
        assert sim.stats.injected["rate_limit"] == 2
        assert sim.world.message_counts() == {USER: 1}

    async def test_a_429_without_via_is_a_cloudflare_ban(self, sim: Simulator) -> None:
        sim.faults.rate_limit(60, count=1, route="create_message", via=False)
        async with logged_in() as http:
            with pytest.raises(discord.HTTPException) as caught:
                await http.send_message(await open_dm(http), params=text("hi"))
        # discord.py does not retry what it takes for a Cloudflare ban.
        assert caught.value.status == 429

    async def test_the_global_limit_answers_discords_429(self) -> None:
        async with (
            simulated(SimConfig(global_limit=BucketSpec(3, 1.0))) as sim,
            aiohttp.ClientSession(headers=AUTH) as http,
        ):
            statuses = []
            for _ in range(4):
                async with http.get(f"{sim.api_base}/oauth2/applications/@me") as response:
                    statuses.append(response.status)
                    headers, body = response.headers, await response.json()
        assert statuses == [200, 200, 200, 429]
        assert body["global"] is True
        assert 0 < body["retry_after"] <= 1.0
        assert headers["Retry-After"] == "1"
        assert headers["X-RateLimit-Global"] == "true"
        assert headers["X-RateLimit-Scope"] == "global"
        assert headers["Via"] == "1.1 google"
        assert sim.stats.global_429s == 1

    async def test_a_route_answer_carries_its_bucket(self, sim: Simulator) -> None:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            body = {"recipient_id": USER}
            async with http.post(f"{sim.api_base}/users/@me/channels", json=body) as response:
                channel = await response.json()
            url = f"{sim.api_base}/channels/{channel['id']}/messages"
            async with http.post(url, json={"content": "hi"}) as response:
                headers = response.headers
        assert response.headers["Content-Type"] == "application/json"
        assert headers["X-RateLimit-Limit"] == "5"
        assert headers["X-RateLimit-Remaining"] == "4"
        assert 0 < float(headers["X-RateLimit-Reset-After"]) <= 5.0
        assert float(headers["X-RateLimit-Reset"]) > 0
        assert len(headers["X-RateLimit-Bucket"]) == 32

    async def test_interaction_replies_are_outside_the_global_limit(self) -> None:
        config = SimConfig(global_limit=BucketSpec(1, 60.0))
        async with simulated(config) as sim, aiohttp.ClientSession() as http:
            base = sim.api_base
            callback = f"{base}/interactions/400000000000000001/tok/callback?with_response=1"
            reply = {"type": 4, "data": {"content": "Logged: 82.5 kg", "flags": 64}}
            async with http.post(callback, json=reply) as first:
                answered = await first.json()
            async with http.post(callback, json=reply) as second:
                refused = await second.json()
            followup = f"{base}/webhooks/500000000000000001/tok?wait=1"
            async with http.post(followup, json={"content": "and one more"}) as third:
                assert third.status == 200
            original = f"{base}/webhooks/500000000000000001/tok/messages/@original"
            async with http.patch(original, json={"content": "Logged: 82.0 kg"}) as fourth:
                edited = await fourth.json()
        assert answered["interaction"]["response_message_ephemeral"] is True
        assert answered["resource"]["message"]["content"] == "Logged: 82.5 kg"
        assert (second.status, refused["code"]) == (400, 40060)
        assert edited["content"] == "Logged: 82.0 kg"
        assert len(sim.world.webhook_messages["tok"]) == 2


class TestFaults:
    async def test_closed_dms_answer_50007(self, sim: Simulator) -> None:
        sim.faults.close_dms(USER)
        async with logged_in() as http:
            with pytest.raises(discord.Forbidden) as caught:
                await http.send_message(await open_dm(http), params=text("hi"))
        assert caught.value.code == 50007
        assert sim.world.message_counts() == {USER: 0}

    async def test_an_unknown_user_answers_10013(self, sim: Simulator) -> None:
        sim.faults.make_unknown(USER)
        async with logged_in() as http:
            with pytest.raises(discord.NotFound) as caught:
                await open_dm(http)
        assert caught.value.code == 10013

    async def test_server_errors_for_a_count_then_recovery(self, sim: Simulator) -> None:
        # 503: discord.py retries 500/502/504 itself (seconds apart), 503 it raises at once.
        sim.faults.error(503, count=1, route="create_message")
        async with logged_in() as http:
            channel = await open_dm(http)
            with pytest.raises(discord.DiscordServerError):
                await http.send_message(channel, params=text("hi"))
            await http.send_message(channel, params=text("hi"))
        assert sim.world.message_counts() == {USER: 1}
        assert sim.stats.statuses[503] == 1

    async def test_a_hung_request_still_takes_effect(self, sim: Simulator) -> None:
        sim.faults.hang(0.2, count=1, route="create_message")
        async with logged_in() as http:
            channel = await open_dm(http)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await http.send_message(channel, params=text("hi"))
            await sim.wait_idle()
        # The client gave up, but Discord finished the work: the message exists.
        assert sim.world.message_counts() == {USER: 1}

    async def test_faults_through_the_control_api(self, sim: Simulator) -> None:
        async with aiohttp.ClientSession() as control:
            fault = {"kind": "dms_closed", "user_ids": [USER]}
            async with control.post(f"{sim.url}/_sim/faults", json=fault) as response:
                assert response.status == 200
            async with logged_in() as http:
                with pytest.raises(discord.Forbidden):
                    await http.send_message(await open_dm(http), params=text("hi"))
                async with control.delete(f"{sim.url}/_sim/faults"):
                    pass
                await http.send_message(await open_dm(http), params=text("hi"))
            async with control.get(f"{sim.url}/_sim/stats") as response:
                stats = await response.json()
        assert stats["message_counts"] == {USER: 1}
        assert stats["statuses"]["403"] == 1


class TestProcess:
    def test_runs_as_a_process_until_sigterm(self) -> None:
        command = [str(Path(sys.executable).parent / "monstercoach-discord-sim"), "--port", "0"]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            ready = json.loads(proc.stdout.readline())
            assert ready["event"] == "discord simulator listening"
            asyncio.run(self._login(ready["api_base"]))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
            stopped = json.loads(proc.stdout.readline())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert stopped["stats"]["requests"] == {"get_me": 1}

    @staticmethod
    async def _login(api_base: str) -> None:
        async with (
            aiohttp.ClientSession(headers=AUTH) as http,
            http.get(f"{api_base}/users/@me") as response,
        ):
            assert response.status == 200

    @pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])  # noqa: S104
    def test_refuses_to_listen_beyond_loopback(self, host: str) -> None:
        with pytest.raises(ValueError, match="loopback"):
            require_loopback(host)
