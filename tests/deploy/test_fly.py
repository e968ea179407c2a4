"""fly/<service>.toml: one Fly app per service, parsed with tomllib."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from monstercoach_api.settings import ApiSettings, check_settings
from monstercoach_bot.settings import BotSettings, check_startup
from monstercoach_kit.runner import SHUTDOWN_GRACE_SECONDS
from monstercoach_kit.settings import KitSettings

from .inventory import (
    DEPLOYED,
    ROOT,
    WORKERS,
    fly_configs,
    fly_secrets,
    load,
    python_image,
    read_names,
    settings_classes,
)

CONFIGS = fly_configs()

# Plausible values for the secrets a toml lists, so production start-up checks can run.
SAMPLE_SECRETS = {
    "DATABASE_URL": "postgresql://app:pw@ep-x-pooler.us-east-1.aws.neon.tech/mc?sslmode=require",
    "DATABASE_DIRECT_URL": "postgresql://app:pw@ep-x.us-east-1.aws.neon.tech/mc?sslmode=require",
    "REDIS_URL": "rediss://default:pw@x.upstash.io:6379",
    "API_SESSION_SECRET": "s" * 48,
    "DISCORD_CLIENT_ID": "1234567890",
    "DISCORD_CLIENT_SECRET": "client-secret",
    "COACH_DISCORD_IDS": "111111111111111111",
    "API_PUBLIC_URL": "https://battle.example.com/api",
    "API_WEB_URL": "https://battle.example.com/",
    "DISCORD_TOKEN": "bot-token",
}
SECRET_LOOKING = re.compile(r"(SECRET|TOKEN|PASSWORD|_URL$|KEY$)")


def config(service: str) -> dict[str, Any]:
    return CONFIGS[service]


def production_env(service: str) -> dict[str, str]:
    """What a Machine of this app sees: the toml's [env] plus its listed secrets."""
    env = dict(config(service).get("env", {}))
    env.update({name: SAMPLE_SECRETS[name] for name in fly_secrets(service)})
    return env


def test_one_fly_app_per_service() -> None:
    assert set(CONFIGS) == set(DEPLOYED)


@pytest.mark.parametrize("service", DEPLOYED)
class TestFlyApp:
    def test_names_the_app_and_its_dockerfile(self, service: str) -> None:
        assert config(service)["app"] == f"monstercoach-{service}"
        # flyctl resolves [build] dockerfile against the toml's folder.
        dockerfile = (ROOT / "fly" / config(service)["build"]["dockerfile"]).resolve()
        assert dockerfile == (ROOT / "services" / service / "Dockerfile").resolve()
        assert dockerfile.is_file()

    def test_stops_with_sigterm_and_time_to_finish(self, service: str) -> None:
        assert config(service)["kill_signal"] == "SIGTERM"
        timeout = config(service)["kill_timeout"]
        seconds = timeout if isinstance(timeout, int) else int(str(timeout).rstrip("s"))
        assert SHUTDOWN_GRACE_SECONDS + 2 <= seconds <= 300

    def test_process_groups_run_console_scripts_of_the_image(self, service: str) -> None:
        processes = config(service)["processes"]
        assert processes
        for command in processes.values():
            assert shlex.split(command)[0] in python_image(service).scripts

    def test_every_process_group_has_a_vm_size(self, service: str) -> None:
        sized = {group for vm in config(service)["vm"] for group in vm.get("processes", [])}
        assert sized == set(config(service)["processes"])
        for vm in config(service)["vm"]:
            assert vm["size"]
            assert re.fullmatch(r"\d+(mb|gb)", vm["memory"])

    def test_env_sets_only_variables_the_image_reads(self, service: str) -> None:
        unread = set(config(service).get("env", {})) - read_names(python_image(service).installed)
        assert not unread, sorted(unread)

    def test_secrets_are_listed_read_and_never_valued(self, service: str) -> None:
        secrets = fly_secrets(service)
        assert {"DATABASE_URL", "REDIS_URL"} <= set(secrets)
        assert not set(secrets) - read_names(python_image(service).installed)
        env = config(service).get("env", {})
        assert not set(secrets) & set(env)
        assert not [name for name in env if SECRET_LOOKING.search(name)]

    def test_production_settings_are_accepted(self, service: str) -> None:
        env = production_env(service)
        assert env["MC_ENVIRONMENT"] == "production"
        for cls in settings_classes(python_image(service).installed):
            load(cls, env)

    def test_pooled_database_url_means_no_statement_cache(self, service: str) -> None:
        # DATABASE_URL is Neon's pooled URL (PgBouncer, transaction mode) on every app.
        kit = load(KitSettings, production_env(service))
        assert isinstance(kit, KitSettings)
        assert kit.db_statement_cache_size == 0

    def test_metrics_are_scraped_where_the_service_serves_them(self, service: str) -> None:
        port = int(config(service)["env"]["MC_METRICS_PORT"])
        assert config(service)["metrics"]["port"] == port
        for check in config(service).get("checks", {}).values():
            assert check["port"] == port


def test_api_production_start_up_checks_pass() -> None:
    env = production_env("api")
    api, kit = load(ApiSettings, env), load(KitSettings, env)
    assert isinstance(api, ApiSettings)
    assert isinstance(kit, KitSettings)
    check_settings(api, kit)  # raises SettingsError naming what is missing
    assert api.trust_proxy, "behind Fly's proxy the client IP is Fly-Client-IP"


def test_bot_production_start_up_checks_pass() -> None:
    env = production_env("bot")
    bot, kit = load(BotSettings, env), load(KitSettings, env)
    assert isinstance(bot, BotSettings)
    assert isinstance(kit, KitSettings)
    check_startup(bot, kit)  # exits when DISCORD_TOKEN is missing in production


@pytest.mark.parametrize("service", ["api", "scheduler"])
def test_direct_url_where_sessions_must_be_real(service: str) -> None:
    # The scheduler's advisory lock, and the api's release-command migrations.
    kit = load(KitSettings, production_env(service))
    assert isinstance(kit, KitSettings)
    assert "-pooler" in kit.database_url
    assert "-pooler" not in kit.direct_database_url


def test_api_migrates_in_its_release_command() -> None:
    command = shlex.split(config("api")["deploy"]["release_command"])
    assert command == ["monstercoach", "migrate"]
    assert command[0] in python_image("api").scripts


def test_api_http_service_serves_the_process_on_its_port() -> None:
    http = config("api")["http_service"]
    assert http["force_https"] is True
    for group in http["processes"]:
        command = shlex.split(config("api")["processes"][group])
        assert int(command[command.index("--port") + 1]) == http["internal_port"]


def test_api_machines_never_all_stop_while_they_ingest() -> None:
    env = production_env("api")
    api = load(ApiSettings, env)
    assert isinstance(api, ApiSettings)
    http = config("api")["http_service"]
    if api.ingest:
        assert http["auto_stop_machines"] in ("off", False)
        assert http["min_machines_running"] >= 1


@pytest.mark.parametrize("service", WORKERS)
def test_workers_take_no_traffic(service: str) -> None:
    assert "http_service" not in config(service)
    assert "services" not in config(service)


def test_scheduler_cannot_scale_past_one_machine() -> None:
    """No service for Fly's proxy to start Machines for, one process group, a deploy that
    replaces the Machine in place (canary and blue-green start extra Machines)."""
    scheduler = config("scheduler")
    assert "http_service" not in scheduler
    assert "services" not in scheduler
    assert len(scheduler["processes"]) == 1
    assert scheduler["deploy"]["strategy"] in ("rolling", "immediate")
    assert "min_machines_running" not in str(scheduler)
    text = (ROOT / "fly" / "scheduler.toml").read_text()
    assert "advisory lock" in text, "say why it is a single Machine"
    assert "--ha=false" in text


def test_deploy_guide_deploys_each_toml_from_the_repository_root() -> None:
    guide = (ROOT / "fly" / "README.md").read_text()
    for service in DEPLOYED:
        assert f"fly deploy . --config fly/{service}.toml" in guide
    for name in ("MC_DB_STATEMENT_CACHE_SIZE=0", "DATABASE_DIRECT_URL", "release_command"):
        assert name in guide


def test_every_toml_has_a_secrets_header() -> None:
    for path in sorted(Path(ROOT / "fly").glob("*.toml")):
        assert fly_secrets(path.stem), path.name
