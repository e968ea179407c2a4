"""Each service starts from its console script, says it is ready, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
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


def test_the_api_with_two_workers_shares_one_session_key_and_stops_on_sigterm(
    database_url: str, redis_prefix: str
) -> None:
    port = free_port()
    command = [str(Path(sys.executable).parent / "monstercoach-api"), "--port", str(port)]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": redis_prefix,
        "MC_LOG_JSON": "true",
        "API_WORKERS": "2",
        "API_DEV_LOGIN": "true",
        "API_COOKIE_SECURE": "false",
        "API_INGEST": "false",
        "COACH_DISCORD_IDS": "111111111111111111",
    }
    env.pop("API_SESSION_SECRET", None)  # each worker must not make up its own
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        for _ in range(2):
            wait_for_line(proc, lambda r: r["event"] == "Application startup complete.", 30)
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(f"{base}/auth/dev-login")
        assert login.status_code == 200, login.text
        # A new connection each time, so that both workers answer some of them: a cookie
        # signed by one worker must be read by the other.
        answers = [httpx.get(f"{base}/auth/me", cookies=login.cookies) for _ in range(20)]
        assert [a.status_code for a in answers] == [200] * 20
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=SHUTDOWN_LIMIT_S)
        assert code in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
