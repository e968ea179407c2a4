"""Entry point ``monstercoach-api``: serve the FastAPI app with uvicorn."""

from __future__ import annotations

import os
import secrets
import socket
from typing import Any

import click
import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from monstercoach_kit.log import configure_logging
from monstercoach_kit.settings import KitSettings

from .app import create_app
from .settings import MIN_SECRET_LENGTH, ApiSettings, SettingsError


def server_options(host: str, port: int) -> dict[str, Any]:
    # uvicorn handles SIGTERM itself: it stops accepting, finishes requests, runs the
    # lifespan shutdown. log_config=None keeps our structlog JSON handler.
    return {
        "host": host,
        "port": port,
        "log_config": None,
        "timeout_graceful_shutdown": 3,
        "proxy_headers": False,
    }


def serve_workers(config: uvicorn.Config) -> None:
    """What ``uvicorn.run`` does for ``workers`` > 1, with a listening socket that keeps
    Nagle's algorithm off.

    uvicorn binds it with protocol 0, and asyncio sets TCP_NODELAY on an accepted
    connection only when the listener says IPPROTO_TCP; without it each keep-alive
    response waits for the client's delayed ACK, 40 ms on Linux (Kludex/uvicorn#3149,
    open: measured here as 44 ms for every request at concurrency 1).
    """
    bound = config.bind_socket()
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, bound.detach())
    listener.set_inheritable(True)
    Multiprocess(config, sockets=[listener]).run()


def worker_app() -> FastAPI:
    """The app of one worker process (``--workers`` > 1: uvicorn imports this in each)."""
    settings = KitSettings()
    configure_logging("api", settings.log_level, settings.log_json)
    return create_app(settings)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Worker processes (default: API_WORKERS, 1); at most one per core.",
)
def main(host: str, port: int, workers: int | None) -> None:
    """Run the MonsterCoach api."""
    settings = KitSettings()
    configure_logging("api", settings.log_level, settings.log_json)
    api = ApiSettings()
    workers = workers or api.workers
    try:
        app = create_app(settings, api)  # refuses unsafe settings before any worker starts
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if workers == 1:
        uvicorn.run(app, **server_options(host, port))
        return
    if api.session_secret is None:
        # Outside production the key may be random, but it must be one key: a cookie
        # signed by one worker is read by whichever worker the next request reaches.
        os.environ["API_SESSION_SECRET"] = secrets.token_urlsafe(MIN_SECRET_LENGTH)
    options = server_options(host, port)
    serve_workers(
        uvicorn.Config(f"{__name__}:worker_app", factory=True, workers=workers, **options)
    )
