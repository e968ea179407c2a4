"""The GitHub Actions workflows: they parse, and what they run exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .inventory import DEPLOYED, ROOT, load_yaml, make_targets

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CI = load_yaml(".github/workflows/ci.yml")
JOBS: dict[str, Any] = CI["jobs"]
WEB_GUARD = "hashFiles('web/package.json') != ''"


def steps(job: str) -> list[dict[str, Any]]:
    return list(JOBS[job]["steps"])


def runs(workflow: dict[str, Any]) -> list[str]:
    return [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]


def job_running(command: str) -> str:
    matches = [
        name
        for name, job in JOBS.items()
        for step in job["steps"]
        if re.search(rf"(^|\n|\s){re.escape(command)}(\s|$)", step.get("run", ""))
    ]
    assert matches, f"no job runs `{command}`"
    return matches[0]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_every_make_target_exists(path: Path) -> None:
    workflow = load_yaml(str(path.relative_to(ROOT)))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers, "no trigger"
    assert workflow["jobs"]
    used = {t for run in runs(workflow) for t in re.findall(r"\bmake\s+([a-z][\w-]*)", run)}
    assert used
    assert not used - make_targets(), f"targets missing from the Makefile: {used - make_targets()}"


def test_ci_runs_on_pushes_to_main_and_pull_requests() -> None:
    triggers = CI.get("on", CI.get(True))
    assert "pull_request" in triggers
    assert "main" in triggers["push"]["branches"]


@pytest.mark.parametrize(
    "command", ["make lint", "make check-generated", "make test", "npm run build"]
)
def test_ci_runs(command: str) -> None:
    job_running(command)


def test_lint_covers_types_too() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check" in recipe
    assert "mypy" in recipe


def test_tests_run_against_postgres_16_and_redis_7_services() -> None:
    job = JOBS[job_running("make test")]
    services = job["services"]
    images = {name: service["image"] for name, service in services.items()}
    assert sorted(images.values()) == ["postgres:16", "redis:7"]
    by_image = {image.split(":")[0]: name for name, image in images.items()}
    for variable, image, port in (
        ("TEST_DATABASE_URL", "postgres", 5432),
        ("TEST_REDIS_URL", "redis", 6379),
    ):
        url = urlsplit(job["env"][variable])
        service = services[by_image[image]]
        assert "--health-cmd" in service["options"], "tests would start before the store"
        if "container" in job:
            # Container jobs reach service containers by their names.
            assert url.hostname == by_image[image]
        else:
            assert url.hostname in ("127.0.0.1", "localhost")
            assert f"{port}:{port}" in service.get("ports", [])
        assert (url.port or port) == port


def test_browser_e2e_gets_debians_chromium() -> None:
    job = JOBS[job_running("make test")]
    assert "bookworm" in job.get("container", ""), "Debian, like the development machines"
    installs = [s for s in job["steps"] if "chromium" in s.get("run", "")]
    assert installs
    assert all(WEB_GUARD in s.get("if", "") for s in installs)


def _needs_web(job: dict[str, Any], step: dict[str, Any]) -> bool:
    """Whether a step fails without web/: it runs npm or Chromium, sets up Node for the
    web's lock, reads files under web/, or runs inside web/."""
    in_web = job.get("defaults", {}).get("run", {}).get("working-directory") == "web"
    if "run" in step:
        return in_web or bool(re.search(r"\bnpm\b|chromium", step["run"]))
    uses = step.get("uses", "")
    return "setup-node" in uses or ("upload-artifact" in uses and "web/" in str(step))


@pytest.mark.parametrize("job", sorted(JOBS))
def test_web_steps_skip_until_web_exists(job: str) -> None:
    # hashFiles is not available in a job-level `if`; the guard must be on each step.
    assert "hashFiles" not in str(JOBS[job].get("if", ""))
    for step in steps(job):
        if _needs_web(JOBS[job], step):
            assert WEB_GUARD in step.get("if", ""), step.get("name", step)
        if "docker/build-push-action" in step.get("uses", ""):
            assert step.get("if") == "matrix.service != 'web' || " + WEB_GUARD


def test_the_web_guard_is_used() -> None:
    guarded = [s for job in JOBS.values() for s in job["steps"] if WEB_GUARD in s.get("if", "")]
    assert len(guarded) >= 5


def test_every_image_is_built_without_pushing() -> None:
    [job] = [
        job
        for job in JOBS.values()
        if any("docker/build-push-action" in s.get("uses", "") for s in job["steps"])
    ]
    entries = job["strategy"]["matrix"]["include"]
    assert {e["service"] for e in entries} == {*DEPLOYED, "web"}
    for entry in entries:
        assert (ROOT / entry["dockerfile"]).is_file()
        expected = "web/Dockerfile" if entry["service"] == "web" else "services/{}/Dockerfile"
        assert entry["dockerfile"] == expected.format(entry["service"])
    [build] = [s for s in job["steps"] if "docker/build-push-action" in s.get("uses", "")]
    assert build["with"]["push"] is False
    assert build["with"]["context"] == "."
    assert build["with"]["file"] == "${{ matrix.dockerfile }}"


def test_compose_file_is_validated_by_compose_itself() -> None:
    assert any("docker compose" in run and "config" in run for run in runs(CI))


def test_each_service_installs_alone() -> None:
    script = next(run for run in runs(CI) if "--package monstercoach-$svc" in run)
    looped = re.search(r"for svc in ([\w ]+); do", script)
    assert looped
    assert set(looped.group(1).split()) == set(DEPLOYED)
