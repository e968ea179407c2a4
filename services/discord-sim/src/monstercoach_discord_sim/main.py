"""Entry point ``monstercoach-discord-sim``: the simulator as a process, until SIGTERM.

Prints one JSON line with the API base URL once listening (with ``--port 0``, that is
how a caller learns the port).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from .app import SimConfig
from .ratelimit import BucketSpec
from .server import Simulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Discord REST simulator on loopback")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--global-limit", type=int, default=50, help="requests per second per bot token"
    )
    parser.add_argument("--nonce-window", type=float, default=120.0, help="seconds")
    parser.add_argument("--token", default=None, help="accept only this bot token")
    return parser.parse_args(argv)


def announce(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def serve(args: argparse.Namespace) -> None:
    config = SimConfig(
        global_limit=BucketSpec(args.global_limit, 1.0),
        nonce_window_seconds=args.nonce_window,
        token=args.token,
    )
    simulator = Simulator(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    api_base = await simulator.start(args.host, args.port)
    announce("discord simulator listening", api_base=api_base, control=f"{simulator.url}/_sim")
    try:
        await stop.wait()
    finally:
        await simulator.stop()
        announce("discord simulator stopped", stats=simulator.stats.as_json())


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))
