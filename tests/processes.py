"""Running services as real processes in tests: ports and their JSON log lines."""

from __future__ import annotations

import json
import selectors
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_line(proc: subprocess.Popen[str], predicate: object, timeout: float) -> dict:
    """Read JSON log lines until one satisfies ``predicate``; fail with the output so far."""
    assert proc.stdout is not None
    seen: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.1):
            continue
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        record = json.loads(line)
        if predicate(record):  # type: ignore[operator]
            return record
    pytest.fail(f"no matching log line within {timeout}s; output:\n{''.join(seen)}")
