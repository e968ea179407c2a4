"""Run a worker service: logging, signal handling, ready/stopped log lines.

A service is one coroutine ``main(stop)`` that works until ``stop`` is set. SIGTERM and
SIGINT set it; the service gets a few seconds to finish its current step, then is
cancelled, so ``docker stop`` and Fly never have to SIGKILL it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from .log import configure_logging, get_logger
from .settings import KitSettings

ServiceMain = Callable[[asyncio.Event], Coroutine[Any, Any, None]]

SHUTDOWN_GRACE_SECONDS = 4.0


async def serve(name: str, main: ServiceMain, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
    log = get_logger(name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(main(stop), name=f"{name}-main")
    stopper = asyncio.create_task(stop.wait())
    log.info("service started", status="ready")
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        task.result()  # a crash surfaces as an exception and a non-zero exit
        log.info("service finished", status="stopped")
        return
    log.info("stopping", status="stopping")
    try:
        await asyncio.wait_for(task, timeout=grace)
    except TimeoutError:
        log.warning("shutdown grace exceeded; cancelled", status="stopped")
    else:
        log.info("service stopped", status="stopped")


def run_service(name: str, main: ServiceMain) -> None:
    """Entry point body for a worker service's console script."""
    kit = KitSettings()
    configure_logging(name, kit.log_level, kit.log_json)
    asyncio.run(serve(name, main))
