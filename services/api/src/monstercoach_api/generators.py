"""The api's contribution to ``monstercoach generate`` (entry-point group
``monstercoach.generators``): the OpenAPI document Battle Station's types come from."""

from __future__ import annotations

import json
from collections.abc import Callable

from monstercoach_kit.settings import KitSettings

from .app import create_app
from .settings import ApiSettings

OPENAPI_PATH = "docs/openapi.json"


def render_openapi() -> str:
    """The OpenAPI document, the same on every machine: settings fixed (not read from the
    environment), dev login included (Battle Station's e2e tests use it), keys sorted."""
    app = create_app(
        KitSettings(_env_file=None, environment="development"),
        ApiSettings(_env_file=None, dev_login=True, cookie_secure=False, coach_discord_ids=[]),
    )
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generators() -> list[tuple[str, Callable[[], str]]]:
    """``(path relative to the repository root, render function)`` pairs."""
    return [(OPENAPI_PATH, render_openapi)]
