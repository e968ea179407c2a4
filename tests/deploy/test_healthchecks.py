"""Health checks point at something real: the api's route, each worker's own heartbeat."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monstercoach_api.app import create_app
from monstercoach_api.ratelimit import EXEMPT_PATHS
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.health import HEARTBEAT_TIMESTAMP
from monstercoach_kit.settings import KitSettings

from .inventory import (
    ROOT,
    WORKERS,
    dockerfile,
    environment,
    fly_configs,
    python_files,
    service_dockerfile,
)


def api_get_paths() -> set[str]:
    """GET paths of the api as built by its factory (read from its OpenAPI document)."""
    with environment({}):
        app = create_app(KitSettings(_env_file=None), ApiSettings(_env_file=None))  # type: ignore[call-arg]
    return {path for path, operations in app.openapi()["paths"].items() if "get" in operations}


def api_healthcheck_url() -> tuple[int, str]:
    check = service_dockerfile("api").final("HEALTHCHECK")[-1].exec_form()
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"\s]*)", " ".join(check))
    assert match, check
    return int(match.group(1)), match.group(2)


def api_listen_port() -> int:
    command = service_dockerfile("api").final("CMD")[-1].exec_form()
    return int(command[command.index("--port") + 1])


def test_api_image_health_check_calls_a_get_route_on_the_port_it_serves() -> None:
    port, path = api_healthcheck_url()
    assert port == api_listen_port()
    assert path in api_get_paths()


def test_api_health_path_is_exempt_from_the_rate_limit() -> None:
    # Fly and Docker poll it from a few addresses; a 429 would fail a healthy Machine.
    _, path = api_healthcheck_url()
    assert path in EXEMPT_PATHS


def test_fly_api_checks_call_get_routes() -> None:
    checks = fly_configs()["api"]["http_service"]["checks"]
    assert checks
    paths = api_get_paths()
    for check in checks:
        assert check.get("method", "GET").upper() == "GET"
        assert check["path"] in paths


# --- workers: a check that reads the process's own heartbeat ----------------------------

CHECK_COMMAND = "monstercoach-healthcheck"


def _heartbeat_names(service: str) -> set[str]:
    """What the worker passes to ``open_runtime``: the heartbeat's ``service`` label."""
    files = list(python_files([f"monstercoach-{service}"]))
    constants = {}
    for path in files:
        for node in ast.parse(path.read_text()).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                constants.update({t.id: node.value.value for t in node.targets if hasattr(t, "id")})
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("open_runtime")
                and node.args
            ):
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    names.add(str(first.value))
                elif isinstance(first, ast.Name):
                    names.add(constants.get(first.id, f"<unresolved {first.id}>"))
    return names


@pytest.mark.parametrize("service", WORKERS)
def test_worker_health_check_reads_its_own_heartbeat(service: str) -> None:
    command = service_dockerfile(service).final("HEALTHCHECK")[-1].exec_form()
    assert command == [CHECK_COMMAND, service]
    assert _heartbeat_names(service) == {service}, "the check would look for the wrong label"


def test_the_health_check_is_a_console_script_every_worker_image_installs() -> None:
    # It ships with the kit, which every worker depends on.
    scripts = {entry.name: entry.value for entry in entry_points(group="console_scripts")}
    assert scripts[CHECK_COMMAND] == "monstercoach_kit.healthcheck:main"


class _Metrics:
    """A /metrics endpoint serving the kit's real heartbeat gauge."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(HEARTBEAT_TIMESTAMP)
        registry = self.registry

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = generate_latest(registry)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.registry.unregister(HEARTBEAT_TIMESTAMP)


LABEL = "deploy-test-worker"  # never a real service, so the kit's own samples stay intact


@pytest.fixture
def metrics() -> Iterator[_Metrics]:
    served = _Metrics()
    try:
        yield served
    finally:
        served.close()
        if LABEL in _labels():
            HEARTBEAT_TIMESTAMP.remove(LABEL)


def _labels() -> set[str]:
    return {
        sample.labels.get("service", "")
        for metric in HEARTBEAT_TIMESTAMP.collect()
        for sample in metric.samples
    }


def run_check(port: int, service: str = LABEL, heartbeat: str = "10") -> str:
    env = {"PATH": os.environ.get("PATH", ""), "MC_METRICS_PORT": str(port)}
    env["MC_HEARTBEAT_SECONDS"] = heartbeat
    result = subprocess.run(
        [sys.executable, "-m", "monstercoach_kit.healthcheck", service],
        capture_output=True,
        text=True,
        env=env,
        timeout=20,
        check=False,
    )
    return "healthy" if result.returncode == 0 else f"unhealthy: {result.stderr.strip()}"


class TestHeartbeatCheck:
    def test_fresh_heartbeat_is_healthy(self, metrics: _Metrics) -> None:
        HEARTBEAT_TIMESTAMP.labels(LABEL).set(time.time() - 5)
        assert run_check(metrics.port) == "healthy"

    def test_heartbeat_older_than_its_ttl_is_unhealthy(self, metrics: _Metrics) -> None:
        HEARTBEAT_TIMESTAMP.labels(LABEL).set(time.time() - 31)
        assert "ago" in run_check(metrics.port)
        assert run_check(metrics.port, heartbeat="20") == "healthy"

    def test_another_services_heartbeat_does_not_count(self, metrics: _Metrics) -> None:
        HEARTBEAT_TIMESTAMP.labels(LABEL).set(time.time())
        assert "not written a heartbeat" in run_check(metrics.port, service="bot-x")

    def test_no_heartbeat_yet_is_unhealthy(self, metrics: _Metrics) -> None:
        assert "not written a heartbeat" in run_check(metrics.port)

    def test_unreachable_metrics_is_unhealthy(self) -> None:
        closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        port = closed.server_address[1]
        closed.server_close()
        assert "unreachable" in run_check(port)

    def test_metrics_off_is_unhealthy_not_silently_healthy(self) -> None:
        assert "MC_METRICS_PORT is 0" in run_check(0)


def test_web_health_check_has_its_own_location() -> None:
    command = dockerfile("web/Dockerfile").final("HEALTHCHECK")[-1].exec_form()
    url = next(part for part in command if part.startswith("http://"))
    path = re.sub(r"^http://[^/]+", "", url)
    conf = (ROOT / "web" / "nginx.conf").read_text()
    assert re.search(rf"location\s+=\s+{re.escape(path)}\s*\{{[^}}]*return 200", conf)
