"""The service images, checked from their Dockerfiles (no Docker engine needed)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from .inventory import (
    DEPLOYED,
    ROOT,
    TOOLS,
    WORKERS,
    closure,
    dockerfile,
    dockerignored,
    members,
    python_files,
    python_image,
    read_names,
    service_dockerfile,
)


def test_every_app_of_the_workspace_has_an_image() -> None:
    """A new service under services/ gets a Dockerfile here, or is named a tool."""
    apps = {m.name for m in members().values() if m.scripts and m.path.parts[0] == "services"}
    assert apps - TOOLS == {f"monstercoach-{service}" for service in DEPLOYED}
    for service in DEPLOYED:
        assert (ROOT / "services" / service / "Dockerfile").is_file()


@pytest.mark.parametrize("service", DEPLOYED)
class TestServiceDockerfile:
    def test_python_312_slim_base(self, service: str) -> None:
        built = service_dockerfile(service)
        assert (built.arg_default("PYTHON_IMAGE") or "").startswith("python:3.12-slim")
        python_stages = [f for f in built.all("FROM") if "astral-sh/uv" not in f.args]
        assert python_stages
        assert all(f.args.split()[0] == "${PYTHON_IMAGE}" for f in python_stages)

    def test_uv_comes_from_its_official_image_at_a_pinned_version(self, service: str) -> None:
        built = service_dockerfile(service)
        uv_stage = next(f for f in built.all("FROM") if "ghcr.io/astral-sh/uv" in f.args)
        version = built.arg_default("UV_VERSION") or ""
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin uv: the lock format follows it"
        assert uv_stage.args.startswith("ghcr.io/astral-sh/uv:${UV_VERSION} AS ")
        copied = [c for c in built.all("COPY") if c.flags().get("from") == uv_stage.stage]
        assert copied
        assert "/uv" in copied[0].words()

    def test_uv_sync_is_frozen_without_dev_for_this_service_alone(self, service: str) -> None:
        built = service_dockerfile(service)
        syncs = built.uv_syncs()
        assert len(syncs) == 2, "one sync for the dependencies, one for the code"
        for run in syncs:
            assert "--frozen" in run.args
            assert "--no-dev" in run.args
            assert "--all-packages" not in run.args
            assert "type=cache,target=/root/.cache/uv" in run.flags().get("mount", "")
        assert f"monstercoach-{service}" in built.synced_packages()
        assert "--no-install-workspace" in syncs[0].args
        assert "--no-editable" in syncs[1].args
        env = built.env(syncs[0].stage)
        assert env.get("UV_COMPILE_BYTECODE") == "1"
        assert env.get("UV_LINK_MODE") == "copy"

    def test_dependencies_install_before_the_code_is_copied(self, service: str) -> None:
        built = service_dockerfile(service)
        order = list(built.instructions)
        first_sync = built.uv_syncs()[0]
        before = order[: order.index(first_sync)]
        # Only the manifests (every pyproject.toml and uv.lock) reach the dependency layer.
        assert not [
            i
            for i in before
            if i.keyword == "COPY" and i.stage == first_sync.stage and not i.flags().get("from")
        ]
        manifests = [i for i in before if i.keyword == "COPY" and i.stage == first_sync.stage]
        assert [i.flags().get("from") for i in manifests] == ["uv", "manifests"]
        gather = [r.args for r in built.all("RUN") if r.stage == "manifests"]
        assert any("-name pyproject.toml" in r and "uv.lock" in r for r in gather)
        code = [i for i in order if i.keyword == "COPY" and i.words()[0].endswith("/src")]
        assert code
        assert all(order.index(i) > order.index(first_sync) for i in code)

    def test_copies_exactly_the_code_of_what_it_installs(self, service: str) -> None:
        image = python_image(service)
        copied = {
            sources[0].rstrip("/")
            for sources, _ in image.dockerfile.local_copies()
            if sources[0].endswith("/src")
        }
        needed = {str(members()[name].src) for name in image.installed}
        assert copied == needed, (
            f"missing (the build fails): {sorted(needed - copied)}; "
            f"not installed (rebuilds for nothing): {sorted(copied - needed)}"
        )

    def test_copied_paths_exist_and_are_in_the_build_context(self, service: str) -> None:
        for sources, _ in service_dockerfile(service).local_copies():
            for source in sources:
                if source == ".":
                    continue
                assert (ROOT / source).exists(), source
                assert not dockerignored(source), f"{source} is excluded by .dockerignore"
        assert not dockerignored("uv.lock")
        for member in members().values():
            assert not dockerignored(str(member.path / "pyproject.toml"))

    def test_runs_as_a_non_root_user(self, service: str) -> None:
        users = service_dockerfile(service).final("USER")
        assert users, "the final stage sets no USER: it would run as root"
        user = users[-1].args.split(":")[0]
        assert user not in {"root", "0"}

    def test_stops_on_sigterm_and_runs_its_console_script(self, service: str) -> None:
        image = python_image(service)
        assert [s.args for s in image.dockerfile.final("STOPSIGNAL")] == ["SIGTERM"]
        command = image.dockerfile.final("CMD")[-1].exec_form()
        assert command[0] == f"monstercoach-{service}"
        assert command[0] in image.scripts

    def test_time_zones_are_installed_and_checked_at_build_time(self, service: str) -> None:
        built = service_dockerfile(service)
        runs = built.final("RUN")
        assert any(re.search(r"apt-get install .*\btzdata\b", run.args) for run in runs)
        assert any("available_timezones" in body for run in runs for body in run.heredocs)

    def test_has_a_health_check(self, service: str) -> None:
        checks = service_dockerfile(service).final("HEALTHCHECK")
        assert checks
        assert "NONE" not in checks[-1].args


def build_time_check() -> str:
    bodies = {
        body
        for service in DEPLOYED
        for run in service_dockerfile(service).final("RUN")
        for body in run.heredocs
        if "available_timezones" in body
    }
    assert len(bodies) == 1, "every image runs the same build-time check"
    return bodies.pop()


def test_the_build_time_check_passes_on_a_full_install() -> None:
    # In this process: the services' modules are imported once for the whole session.
    exec(compile(build_time_check(), "build-time-check", "exec"), {"__name__": "check"})  # noqa: S102


def test_the_build_time_check_fails_without_the_tz_database() -> None:
    # No system zones, no tzdata wheel: what a slim image without tzdata would give.
    blind = (
        "import sys, zoneinfo\n"
        "sys.modules['tzdata'] = None\n"
        "zoneinfo.reset_tzpath(['/nonexistent'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blind + build_time_check()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "tz database incomplete" in result.stderr


def _imported_packages(path: str) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return {(name, line) for name, line in found if name.startswith("monstercoach_")}


@pytest.mark.parametrize("service", DEPLOYED)
def test_image_code_imports_only_what_the_image_installs(service: str) -> None:
    """Each image installs one service and its declared workspace dependencies: code that
    imports another member would pass every test of the full workspace and crash here."""
    image = python_image(service)
    strays = [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in python_files(image.installed)
        for package, line in _imported_packages(str(path.relative_to(ROOT)))
        if package not in image.modules
    ]
    assert not strays, strays


def test_the_api_image_carries_the_ops_cli_for_migrations() -> None:
    # Fly's release command and compose's `migrate` run `monstercoach migrate` in it.
    assert "monstercoach" in python_image("api").scripts
    assert "monstercoach-cli" in closure(python_image("api").dockerfile.synced_packages())


TOOLING_ENV = {
    "PATH",
    "PYTHONUNBUFFERED",
    "UV_COMPILE_BYTECODE",
    "UV_LINK_MODE",
    "UV_PYTHON_DOWNLOADS",
    "UV_PROJECT_ENVIRONMENT",
}


@pytest.mark.parametrize("service", DEPLOYED)
def test_image_env_sets_only_variables_something_reads(service: str) -> None:
    image = python_image(service)
    unread = set(image.dockerfile.env()) - TOOLING_ENV - read_names(image.installed)
    assert not unread, sorted(unread)


def test_worker_images_serve_metrics_for_their_health_check() -> None:
    for service in WORKERS:
        env = service_dockerfile(service).env(service_dockerfile(service).final_stage)
        assert int(env.get("MC_METRICS_PORT", "0")) > 0, service


def test_web_dockerfile_builds_with_npm_ci_and_serves_as_non_root() -> None:
    web = dockerfile("web/Dockerfile")
    runs = [r.args for r in web.all("RUN")]
    assert any(r.endswith("npm ci --no-audit --no-fund") for r in runs)
    assert "npm run build" in runs
    # The lock is copied, and npm ci run, before the sources: a code change reuses the layer.
    order = list(web.instructions)
    lock_copy = next(i for i in order if i.keyword == "COPY" and "package-lock.json" in i.args)
    npm_ci = next(i for i in order if i.keyword == "RUN" and "npm ci" in i.args)
    sources = next(i for i in order if i.keyword == "COPY" and i.words()[0] == "web/")
    assert order.index(lock_copy) < order.index(npm_ci) < order.index(sources)
    dist = [c for c in web.final("COPY") if c.flags().get("from")]
    assert dist
    assert dist[0].words()[0] == "/web/dist"
    users = web.final("USER")
    assert users
    assert users[-1].args.split(":")[0] not in {"root", "0"}


def test_web_dockerfile_copies_only_what_exists() -> None:
    waiting_for_web = not (ROOT / "web" / "package.json").exists()
    for sources, _ in dockerfile("web/Dockerfile").local_copies():
        for source in sources:
            if waiting_for_web and source in {"web/package.json", "web/package-lock.json"}:
                continue  # created with the web app (issue 7)
            assert (ROOT / source).exists(), source
            assert not dockerignored(source), f"{source} is excluded by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "services/api/.venv/lib",
        "web/node_modules/react/index.js",
        "node_modules/x",
        ".env",
        "services/bot/.env",
        ".env.production",
        ".data/postgres/PG_VERSION",
        ".git/HEAD",
        "services/kit/src/monstercoach_kit/__pycache__/bus.cpython-312.pyc",
        "web/dist/index.html",
    ],
)
def test_dockerignore_keeps_local_state_and_secrets_out(path: str) -> None:
    assert dockerignored(path)
