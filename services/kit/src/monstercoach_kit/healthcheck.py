"""``monstercoach-healthcheck <service>``: a worker container's health check.

Healthy while the process's own heartbeat is fresh: it reads the gauge
``mc_heartbeat_timestamp_seconds{service=...}`` from the process's Prometheus endpoint
on ``MC_METRICS_PORT``. The kit sets that gauge only after a heartbeat reached Redis, so
a wedged event loop and a lost Redis both make it stale (older than the heartbeat key's
TTL, three intervals). Standard library only: it runs once every few seconds in every
container and must start fast.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request


def check(service: str) -> str | None:
    """``None`` when healthy, else why not."""
    port = int(os.environ.get("MC_METRICS_PORT") or 0)
    if not port:
        return "MC_METRICS_PORT is 0: no /metrics to read the heartbeat from"
    ttl = 3 * float(os.environ.get("MC_HEARTBEAT_SECONDS") or 10)
    sample = f'mc_heartbeat_timestamp_seconds{{service="{service}"}} '
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as response:
            body = response.read().decode()
    except OSError as exc:
        return f"metrics endpoint unreachable: {exc}"
    for line in body.splitlines():
        if line.startswith(sample):
            age = time.time() - float(line[len(sample) :].split()[0])
            return None if age <= ttl else f"last heartbeat {age:.0f}s ago (limit {ttl:.0f}s)"
    return f"{service} has not written a heartbeat yet"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: monstercoach-healthcheck <service>")
    problem = check(sys.argv[1])
    sys.exit(problem or 0)


if __name__ == "__main__":
    main()
