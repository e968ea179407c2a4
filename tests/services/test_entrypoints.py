"""Each service starts from its console script, says it is ready, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL
from tests.processes import free_port, wait_for_line

SHUTDOWN_LIMIT_S = 5.0


@pytest.mark.parametrize(
    ("service", "ready_event", "stopped_event"),
    [
        ("api", "Application startup complete.", "Application shutdown complete."),
        ("bot", "service started", "service stopped"),
        ("scheduler", "service started", "service stopped"),
        ("flagworker", "service started", "service stopped"),
    ],
)
def test_service_starts_and_stops_on_sigterm(
    service: str, ready_event: str, stopped_event: str, database_url: str, redis_prefix: str
) -> None:
    # The console script installed beside the interpreter running the tests.
    command = [str(Path(sys.executable).parent / f"monstercoach-{service}")]
    if service == "api":
        command += ["--port", str(free_port())]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": redis_prefix,
        "MC_LOG_JSON": "true",
    }
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        wait_for_line(proc, lambda r: r["event"] == ready_event, timeout=30)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        wait_for_line(proc, lambda r: r["event"] == stopped_event, timeout=SHUTDOWN_LIMIT_S)
        code = proc.wait(timeout=SHUTDOWN_LIMIT_S)
        assert time.monotonic() - started < SHUTDOWN_LIMIT_S
        # uvicorn re-raises the signal after its clean shutdown so a supervisor sees it.
        assert code in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
