"""docker-compose.yml, read with PyYAML (no Docker Compose on the development machines;
CI also runs `docker compose config`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from monstercoach_api.settings import ApiSettings, check_settings
from monstercoach_bot.settings import BotSettings
from monstercoach_kit.settings import KitSettings

from .inventory import (
    DEPLOYED,
    ROOT,
    compose,
    compose_environment,
    dockerfile,
    image_for_dockerfile,
    interpolate,
    load,
    make_targets,
    read_names,
    settings_classes,
)

SERVICES = compose()["services"]
BUILT = sorted(name for name, service in SERVICES.items() if "build" in service)
ONE_SHOTS = ("migrate", "seed")
LONG_RUNNING = [*DEPLOYED, "web"]


def build_file(service: dict[str, Any]) -> str:
    build = service["build"]
    assert build["context"] == ".", "images build from the repository root"
    return str(build["dockerfile"])


def image(name: str) -> Any:
    return image_for_dockerfile(build_file(SERVICES[name]))


def test_compose_has_the_whole_system() -> None:
    assert set(SERVICES) >= {"postgres", "redis", "migrate", "web", *DEPLOYED}


def test_postgres_16_and_redis_7_with_aof() -> None:
    assert SERVICES["postgres"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"] == "redis:7"
    command = SERVICES["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redisdata:/data" in SERVICES["redis"]["volumes"]


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_stores_run_alone_for_local_development(name: str) -> None:
    """`docker compose up -d postgres redis` (for `make dev`) starts nothing else and
    publishes the default ports on loopback only."""
    service = SERVICES[name]
    assert "depends_on" not in service
    assert "profiles" not in service
    port = {"postgres": 5432, "redis": 6379}[name]
    assert f"127.0.0.1:{port}:{port}" in service["ports"]
    assert service["healthcheck"]["test"]


@pytest.mark.parametrize("name", BUILT)
def test_built_from_a_dockerfile_that_exists(name: str) -> None:
    assert (ROOT / build_file(SERVICES[name])).is_file()


@pytest.mark.parametrize("name", [n for n in BUILT if n != "web"])
def test_command_is_a_console_script_installed_in_that_image(name: str) -> None:
    command = SERVICES[name]["command"]
    assert isinstance(command, list), "exec form: the process gets SIGTERM itself"
    assert command[0] in image(name).scripts, f"{command[0]} is not installed by its image"


@pytest.mark.parametrize("name", DEPLOYED)
def test_service_runs_its_own_console_script(name: str) -> None:
    assert SERVICES[name]["command"][0] == f"monstercoach-{name}"


def test_migrate_runs_once_before_every_service() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["monstercoach", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in DEPLOYED:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def has_healthcheck(name: str) -> bool:
    service = SERVICES[name]
    if "healthcheck" in service:
        return not service["healthcheck"].get("disable", False)
    if "build" in service:
        checks = dockerfile(build_file(service)).final("HEALTHCHECK")
        return bool(checks) and "NONE" not in checks[-1].args
    return False


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_healthy_condition_can_be_met(name: str) -> None:
    for target, condition in (SERVICES[name].get("depends_on") or {}).items():
        assert target in SERVICES
        if condition["condition"] == "service_healthy":
            assert has_healthcheck(target), f"{name} waits for {target}, which has no check"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_are_health_checked_and_restart(name: str) -> None:
    assert has_healthcheck(name)
    assert SERVICES[name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", DEPLOYED)
def test_services_stop_on_sigterm_within_the_grace_period(name: str) -> None:
    service = SERVICES[name]
    assert service["stop_signal"] == "SIGTERM"
    grace = int(re.fullmatch(r"(\d+)s", service["stop_grace_period"]).group(1))  # type: ignore[union-attr]
    assert grace >= 5  # the kit's runner needs 4 s


@pytest.mark.parametrize("name", [n for n in BUILT if n != "web"])
def test_every_variable_set_is_one_the_image_reads(name: str) -> None:
    reads = read_names(image(name).installed)
    unread = set(compose_environment(SERVICES[name])) - reads
    assert not unread, f"{name} sets variables nothing in its image reads: {sorted(unread)}"


@pytest.mark.parametrize("name", [n for n in BUILT if n != "web"])
def test_values_are_accepted_by_the_settings(name: str) -> None:
    env = compose_environment(SERVICES[name])
    for cls in settings_classes(image(name).installed):
        load(cls, env)  # raises on a value the service would refuse at start-up


@pytest.mark.parametrize("name", [n for n in BUILT if n != "web"])
def test_containers_reach_the_stores_by_service_name(name: str) -> None:
    kit = load(KitSettings, compose_environment(SERVICES[name]))
    assert isinstance(kit, KitSettings)
    assert urlsplit(kit.database_url).hostname == "postgres"
    assert urlsplit(kit.redis_url).hostname == "redis"


def test_api_starts_with_the_compose_settings() -> None:
    env = compose_environment(SERVICES["api"])
    api, kit = load(ApiSettings, env), load(KitSettings, env)
    assert isinstance(api, ApiSettings)
    assert isinstance(kit, KitSettings)
    check_settings(api, kit)
    # The browser reaches the api through the web container's /api proxy.
    assert api.redirect_uri == "http://localhost:8080/api/auth/callback"


def test_bot_dry_runs_without_a_token() -> None:
    bot = load(BotSettings, compose_environment(SERVICES["bot"]))
    assert isinstance(bot, BotSettings)
    assert bot.dry_run
    raw = SERVICES["bot"]["environment"]["DISCORD_TOKEN"]
    assert interpolate(raw) == ""
    assert "DISCORD_TOKEN" in raw, "the token comes from the shell or .env when there is one"


def test_web_proxies_to_the_api_service() -> None:
    web = SERVICES["web"]
    upstream = urlsplit(compose_environment(web)["API_UPSTREAM"])
    assert upstream.hostname == "api"
    assert str(upstream.port) in SERVICES["api"]["command"]
    assert web["depends_on"]["api"]["condition"] == "service_healthy"
    exposed = [int(x.args) for x in dockerfile(build_file(web)).final("EXPOSE")]
    assert [int(p.rsplit(":", 1)[1]) for p in web["ports"]] == exposed


def test_every_published_port_is_on_loopback() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to the network"


def recipe(target: str) -> list[str]:
    """The command lines of a Makefile target."""
    text = (ROOT / "Makefile").read_text()
    body = text.split(f"\n{target}:", 1)[1].split("\n", 1)[1]
    lines = []
    for line in body.splitlines():
        if not line.startswith("\t"):
            break
        lines.append(line.strip().lstrip("@"))
    return lines


def test_make_up_and_down_run_compose() -> None:
    assert {"up", "down"} <= make_targets()
    [up] = [line for line in recipe("up") if line.startswith("docker compose")]
    assert up.startswith("docker compose up --build")
    listed = re.search(r"\$\(if [^,]*,,([^)]*)\)", up)
    assert listed, "up names the services to start while web/ does not exist"
    assert set(listed.group(1).split()) == set(SERVICES) - {"web", "seed"}
    assert [
        line for line in recipe("down") if re.match(r"docker compose( --profile \S+)* down", line)
    ]
