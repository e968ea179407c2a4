"""``monstercoach generate``: write every generated file, or ``--check`` that none is stale.

Generated files (schema docs, later the LST and the OpenAPI document) are committed so
they can be read and diffed in review; CI runs ``--check`` so a model change that was
not regenerated fails the build instead of leaving the docs quietly wrong.

A generator is a ``(path relative to the repository root, render function)`` pair. The
built-in ones live here; a service adds its own through the ``monstercoach.generators``
entry-point group, whose entries load to a callable returning a list of such pairs, so
this package never imports a service.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from monstercoach_schemas.docs import render_schema_definitions
from monstercoach_schemas.lst.render import render_lst_master

from .webtypes import web_types_generators

Render = Callable[[], str]
Generator = tuple[str, Render]

ENTRY_POINT_GROUP = "monstercoach.generators"

BUILTIN_GENERATORS: list[Generator] = [
    ("docs/schema_definitions.md", render_schema_definitions),
    ("docs/LST_Master.md", render_lst_master),
]


# --- the registry ---------------------------------------------------------------------------


def plugin_generators() -> list[Generator]:
    """Generators contributed by installed services, in entry-point name order."""
    found: list[Generator] = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        found += entry.load()()
    return found


def all_generators() -> list[Generator]:
    plugins = plugin_generators()
    # The web's types derive from the api's OpenAPI document, one of the plugins'.
    generators = BUILTIN_GENERATORS + plugins + web_types_generators(plugins)
    for path, _render in generators:
        _check_relative(path)
    paths = [path for path, _render in generators]
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        # Two generators for one file would overwrite each other on every run.
        raise ValueError(f"more than one generator writes {', '.join(duplicates)}")
    return generators


def _check_relative(path: str) -> None:
    # A plugin must not be able to write outside the repository.
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"generated path must be relative to the repository root: {path!r}")


# --- the repository root --------------------------------------------------------------------


def is_workspace_root(directory: Path) -> bool:
    """Whether ``directory`` holds the uv workspace's root ``pyproject.toml``."""
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return False
    with pyproject.open("rb") as file:
        config = tomllib.load(file)
    return "workspace" in config.get("tool", {}).get("uv", {})


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that is the workspace root."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if is_workspace_root(directory):
            return directory
    raise FileNotFoundError(f"no pyproject.toml with [tool.uv.workspace] at or above {start}")


# --- rendering, comparing, writing ----------------------------------------------------------


def render_all(generators: list[Generator]) -> dict[str, str]:
    # Rendered once each: a generator may be slow (building an app for its OpenAPI).
    return {path: render() for path, render in generators}


def _current(file: Path) -> str | None:
    if not file.is_file():
        return None
    # Read as bytes: text mode would translate line endings and hide a real difference.
    return file.read_bytes().decode("utf-8", errors="replace")


def stale_paths(root: Path, rendered: dict[str, str]) -> list[str]:
    """Paths whose file is missing or differs from a fresh render."""
    return [path for path, text in rendered.items() if _current(root / path) != text]


def write_stale(root: Path, rendered: dict[str, str]) -> list[str]:
    """Write the files that changed (leaving unchanged ones untouched) and name them."""
    written = stale_paths(root, rendered)
    for path in written:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rendered[path].encode("utf-8"))
    return written


# --- the command ----------------------------------------------------------------------------


def _resolve_root(root: Path | None) -> Path:
    if root is not None:
        return root.resolve()
    try:
        return find_root(Path.cwd())
    except FileNotFoundError as exc:
        raise typer.BadParameter(f"{exc}; run inside the repository or pass --root") from exc


def generate(
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a file is stale.")
    ] = False,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            help="Repository root (default: nearest parent declaring the uv workspace).",
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Write every generated file (docs/schema_definitions.md, …) from the code."""
    base = _resolve_root(root)
    rendered = render_all(all_generators())
    if check:
        stale = stale_paths(base, rendered)
        for path in stale:
            typer.echo(f"stale: {path}", err=True)
        if stale:
            typer.echo("run `monstercoach generate` and commit the result", err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(rendered)} generated file(s) up to date")
        return
    written = write_stale(base, rendered)
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(rendered)} generated file(s), {len(written)} rewritten")


def register(app: typer.Typer) -> None:
    app.command()(generate)
