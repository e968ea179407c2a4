"""A Discord REST simulator: the routes MonsterCoach's bot uses, on loopback.

In tests::

    async with running_simulator() as sim:
        discord.http.Route.BASE = sim.api_base
        ...
        assert sim.world.message_counts() == {"123…": 1}
"""

from .app import SimConfig
from .interactions import InteractionRefused, Upload
from .ratelimit import BucketSpec
from .server import Simulator, running_simulator

__all__ = [
    "BucketSpec",
    "InteractionRefused",
    "SimConfig",
    "Simulator",
    "Upload",
    "running_simulator",
]
