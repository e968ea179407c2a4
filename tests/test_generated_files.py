"""Every generated file in the repository matches a fresh render.

One test over the `monstercoach generate` registry, so each generator a service plugs
in (schema docs, LST, later OpenAPI and the web's types) is checked without a copy of
this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monstercoach_cli.generate import all_generators, render_all, stale_paths

REPO = Path(__file__).resolve().parents[1]
GENERATED = sorted(path for path, _ in all_generators())


def test_the_known_generated_files_are_registered() -> None:
    assert {"docs/schema_definitions.md", "docs/LST_Master.md"} <= set(GENERATED)


@pytest.mark.parametrize("path", GENERATED)
def test_committed_generated_file_is_current(path: str) -> None:
    rendered = render_all([g for g in all_generators() if g[0] == path])
    assert stale_paths(REPO, rendered) == [], (
        f"{path} is stale: run `monstercoach generate` and commit the result"
    )
