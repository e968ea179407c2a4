"""``docs/schema_definitions.md`` is generated, committed, and never stale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monstercoach_cli import generate
from monstercoach_cli.generate import BUILTIN_GENERATORS, Generator, all_generators, find_root
from monstercoach_cli.main import app
from monstercoach_schemas import domain, messages
from monstercoach_schemas.docs import render_schema_definitions

REPO = Path(__file__).resolve().parents[2]
DOC = "docs/schema_definitions.md"
MINIMAL_PYPROJECT = '[project]\nname = "x"\n\n[tool.uv.workspace]\nmembers = []\n'

runner = CliRunner()


def test_render_is_deterministic() -> None:
    assert render_schema_definitions() == render_schema_definitions()


def test_doc_says_it_is_generated_on_its_first_line() -> None:
    first = render_schema_definitions().splitlines()[0]
    assert "monstercoach generate" in first
    assert "Do not edit by hand" in first


def test_doc_covers_every_model_enum_and_message_type() -> None:
    text = render_schema_definitions()
    for name in messages.MESSAGE_TYPES:
        assert f"### `{name}`" in text
    for model in (domain.Client, domain.Flag, domain.TriggerFire, messages.Button):
        assert f"### {model.__name__}\n" in text
    for enum in (domain.WeightUnit, domain.FlagCode):
        assert f"### {enum.__name__}\n" in text
        assert all(f"`{member.value}`" in text for member in enum)


def test_doc_shows_bounds_read_from_the_models() -> None:
    text = render_schema_definitions()
    assert "| `weight_kg` | number or null | default `null` | ≥ 20; ≤ 400 |" in text
    assert "| `energy` | integer or null | default `null` | ≥ 1; ≤ 10 |" in text


def test_schema_doc_is_registered_for_generate() -> None:
    assert (DOC, render_schema_definitions) in BUILTIN_GENERATORS


def test_find_root_walks_up_to_the_workspace_pyproject() -> None:
    assert find_root(REPO / "shared-schemas" / "src") == REPO


@pytest.fixture
def tmp_root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(MINIMAL_PYPROJECT)
    return tmp_path


def check(root: Path) -> int:
    return runner.invoke(app, ["generate", "--check", "--root", str(root)]).exit_code


def test_check_fails_on_a_missing_file_and_passes_after_generating(tmp_root: Path) -> None:
    result = runner.invoke(app, ["generate", "--check", "--root", str(tmp_root)])
    assert result.exit_code == 1
    assert DOC in result.output
    assert not (tmp_root / DOC).exists()  # --check writes nothing

    generated = runner.invoke(app, ["generate", "--root", str(tmp_root)])
    assert generated.exit_code == 0, generated.output
    assert (tmp_root / DOC).read_text(encoding="utf-8") == render_schema_definitions()
    assert check(tmp_root) == 0


def test_check_fails_on_a_hand_edited_file(tmp_root: Path) -> None:
    runner.invoke(app, ["generate", "--root", str(tmp_root)])
    doc = tmp_root / DOC
    doc.write_text(doc.read_text(encoding="utf-8") + "\nhand edit\n", encoding="utf-8")
    assert check(tmp_root) == 1
    assert doc.read_text(encoding="utf-8").endswith("hand edit\n")  # still untouched


def test_check_notices_line_ending_changes(tmp_root: Path) -> None:
    runner.invoke(app, ["generate", "--root", str(tmp_root)])
    doc = tmp_root / DOC
    doc.write_bytes(doc.read_bytes().replace(b"\n", b"\r\n"))
    assert check(tmp_root) == 1


def test_generate_finds_the_root_from_the_working_directory(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = tmp_root / "services" / "api"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = runner.invoke(app, ["generate"])
    assert result.exit_code == 0, result.output
    assert (tmp_root / DOC).is_file()
    assert not (nested / DOC).exists()


def test_generate_outside_a_workspace_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No pyproject.toml in tmp_path; its parents (/tmp, /) have none with a workspace.
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["generate", "--check"]).exit_code == 2


# --- generators contributed by services ----------------------------------------------------


@dataclass
class FakeEntryPoint:
    """Stands in for an installed service's ``monstercoach.generators`` entry point."""

    name: str
    contributes: list[Generator]

    def load(self) -> Callable[[], list[Generator]]:
        return lambda: self.contributes


def install_plugins(monkeypatch: pytest.MonkeyPatch, *plugins: FakeEntryPoint) -> None:
    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        return list(plugins) if group == generate.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(generate, "entry_points", fake_entry_points)


def test_service_generators_are_written_and_checked(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugins(
        monkeypatch, FakeEntryPoint("someservice", [("docs/someservice.md", lambda: "# Some\n")])
    )
    assert check(tmp_root) == 1
    assert runner.invoke(app, ["generate", "--root", str(tmp_root)]).exit_code == 0
    assert (tmp_root / "docs/someservice.md").read_text() == "# Some\n"
    assert check(tmp_root) == 0


def test_two_generators_for_one_file_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugins(monkeypatch, FakeEntryPoint("api", [(DOC, lambda: "clash")]))
    with pytest.raises(ValueError, match="more than one generator"):
        all_generators()


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.md", ""])
def test_a_generator_cannot_write_outside_the_repository(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugins(monkeypatch, FakeEntryPoint("bad", [(path, lambda: "x")]))
    with pytest.raises(ValueError, match="relative to the repository root"):
        all_generators()
