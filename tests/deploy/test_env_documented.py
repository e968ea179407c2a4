"""Every environment variable a deployed service reads is documented, in `.env.example`
and in the README's configuration table, and `.env.example` as shipped is valid."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from .inventory import (
    DEPLOYED,
    env_example_names,
    env_example_values,
    env_fields,
    load,
    python_image,
    raw_env_reads,
    read_names,
    readme_config_names,
    settings_classes,
)

IN_IMAGES = frozenset(name for service in DEPLOYED for name in python_image(service).installed)
CLASSES = settings_classes(IN_IMAGES)
TEST_ONLY = {"TEST_DATABASE_URL", "TEST_REDIS_URL"}


def test_settings_classes_are_found() -> None:
    found = {f"{cls.__module__}.{cls.__qualname__}" for cls in CLASSES}
    assert {
        "monstercoach_kit.settings.KitSettings",
        "monstercoach_api.settings.ApiSettings",
        "monstercoach_scheduler.settings.SchedulerSettings",
    } <= found


def undocumented(cls: type[BaseSettings], documented: set[str]) -> list[str]:
    return [field.names[0] for field in env_fields(cls) if not set(field.names) & documented]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_every_setting_is_in_env_example(cls: type[BaseSettings]) -> None:
    missing = undocumented(cls, env_example_names())
    assert not missing, f"add to .env.example: {missing}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_every_setting_is_in_the_readme_table(cls: type[BaseSettings]) -> None:
    missing = undocumented(cls, readme_config_names())
    assert not missing, f"add to the README's configuration table: {missing}"


def test_variables_read_outside_settings_are_documented() -> None:
    reads = raw_env_reads(IN_IMAGES)
    documented = env_example_names() & readme_config_names()
    missing = {name: str(path) for name, path in reads.items() if name not in documented}
    assert not missing, missing


def test_env_example_documents_nothing_stale() -> None:
    stale = env_example_names() - read_names(IN_IMAGES) - TEST_ONLY
    assert not stale, f"nothing reads these any more: {sorted(stale)}"


def test_readme_table_documents_nothing_stale() -> None:
    stale = readme_config_names() - read_names(IN_IMAGES) - TEST_ONLY
    assert not stale, f"nothing reads these any more: {sorted(stale)}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_env_example_copied_as_is_is_accepted(cls: type[BaseSettings]) -> None:
    """`cp .env.example .env` is the documented first step: every service must start."""
    try:
        load(cls, env_example_values())
    except ValidationError as exc:
        pytest.fail(f".env.example as shipped is refused by {cls.__qualname__}: {exc}")
