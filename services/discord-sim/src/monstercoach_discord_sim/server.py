"""Run the simulator: in-process for tests (ephemeral port) or as the CLI's server."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import AsyncIterator

from aiohttp import web

from .app import API, SimConfig, SimState, build_app
from .faults import Faults
from .gateway import Gateway
from .interactions import Interactions
from .world import Stats, World


def require_loopback(host: str) -> None:
    """The simulator takes any token and has an open control API: never off this machine."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the Discord simulator only listens on loopback, not {host!r}")


class Simulator:
    """One simulated Discord: its world, counters and faults, and the server serving it."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.state = SimState(config or SimConfig())
        self.url = ""
        self._runner: web.AppRunner | None = None

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def stats(self) -> Stats:
        return self.state.stats

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def gateway(self) -> Gateway:
        return self.state.gateway

    @property
    def interactions(self) -> Interactions:
        """Builds the interactions a user causes (commands, clicks, modal submits)."""
        return Interactions(self.state.world)

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` should be set to."""
        return f"{self.url}{API}"

    @property
    def gateway_url(self) -> str:
        """What ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` should be set to."""
        return f"{self.url.replace('http://', 'ws://', 1)}/gateway"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (port 0: any free port); returns the API base URL."""
        require_loopback(host)
        # A hung request must not hold up a test's teardown for aiohttp's default minute.
        runner = web.AppRunner(build_app(self.state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        return self.api_base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_idle(self) -> None:
        """Until no request is being handled (e.g. a hung one has finished)."""
        await self.state.idle.wait()


@contextlib.asynccontextmanager
async def running_simulator(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Simulator]:
    simulator = Simulator(config)
    await simulator.start(host, port)
    try:
        yield simulator
    finally:
        await simulator.stop()
