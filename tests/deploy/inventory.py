"""What the deploy files are checked against: the workspace, its images, its settings.

Everything here is read from the repository itself (pyproject files, Dockerfiles, the
settings classes), so a check written against it fails when the code and the deploy files
drift apart, not when a copy in this file goes stale. No Docker engine is needed.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shlex
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = ("api", "bot", "scheduler", "flagworker")
"""The four services: each has an image, a compose service and a Fly app."""
WORKERS = tuple(s for s in DEPLOYED if s != "api")
TOOLS = frozenset({"monstercoach-cli", "monstercoach-discord-sim", "monstercoach-kit"})
"""Workspace members with console scripts that are not services of their own (the kit's
is the workers' container health check)."""


# --- the uv workspace ---------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str  # distribution name, e.g. monstercoach-api
    path: Path  # relative to ROOT, e.g. services/api
    modules: tuple[str, ...]  # import names, e.g. monstercoach_api
    deps: frozenset[str]  # the workspace members it depends on
    scripts: Mapping[str, str]  # [project.scripts]

    @property
    def src(self) -> Path:
        return self.path / "src"


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0].lower()


@cache
def members() -> dict[str, Member]:
    """Every workspace member, found the way uv finds them (the root's member globs)."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = root["tool"]["uv"]["workspace"]["members"]
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for pattern in globs:
        for manifest in sorted(ROOT.glob(f"{pattern}/pyproject.toml")):
            data = tomllib.loads(manifest.read_text())
            found[data["project"]["name"]] = (manifest.parent.relative_to(ROOT), data)
    result = {}
    for name, (path, data) in found.items():
        project = data["project"]
        deps = {_requirement_name(r) for r in project.get("dependencies", [])} & found.keys()
        wheel = data.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
        packages = wheel.get("wheel", {}).get("packages", [])
        modules = tuple(Path(p).name for p in packages) or (name.replace("-", "_"),)
        result[name] = Member(name, path, modules, frozenset(deps), project.get("scripts", {}))
    return result


def closure(names: Iterable[str]) -> frozenset[str]:
    """The members ``names`` install: themselves and their workspace dependencies."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(members()[name].deps)
    return frozenset(seen)


def modules_of(names: Iterable[str]) -> frozenset[str]:
    return frozenset(module for name in names for module in members()[name].modules)


def scripts_of(names: Iterable[str]) -> dict[str, str]:
    return {script: target for name in names for script, target in members()[name].scripts.items()}


def python_files(names: Iterable[str]) -> Iterator[Path]:
    for name in sorted(names):
        yield from sorted((ROOT / members()[name].src).rglob("*.py"))


# --- Dockerfiles ----------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY…
    args: str  # the arguments, continuation lines joined
    heredocs: tuple[str, ...]  # bodies of `<<EOF` documents, in order
    stage: str  # the build stage it belongs to
    line: int

    def flags(self) -> dict[str, str]:
        """Leading `--name=value` flags (COPY --from=…, RUN --mount=…: the last one wins)."""
        return dict(re.findall(r"--([a-z-]+)=(\S+)", self.args.split(" <<")[0]))

    def words(self) -> list[str]:
        """Arguments after the flags (shell-form split)."""
        return [w for w in shlex.split(self.args.split(" <<")[0]) if not w.startswith("--")]

    def exec_form(self) -> list[str]:
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text[text.index("CMD") + 3 :]
        value = json.loads(text)
        assert isinstance(value, list), f"{self.keyword} is not in exec form: {self.args}"
        return [str(v) for v in value]


_HEREDOC = re.compile(r"<<-?(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def parse_dockerfile(path: Path) -> list[Instruction]:
    lines = path.read_text().splitlines()
    result: list[Instruction] = []
    stage, i = "", 0
    while i < len(lines):
        start = i + 1
        text = lines[i]
        i += 1
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        while text.rstrip().endswith("\\") and i < len(lines):
            following = lines[i]
            i += 1
            if following.lstrip().startswith("#"):
                continue  # Docker drops a comment line inside a continuation
            text = text.rstrip()[:-1].rstrip() + " " + following.strip()
        keyword, _, args = text.strip().partition(" ")
        bodies = []
        for match in _HEREDOC.finditer(args):
            body = []
            while lines[i] != match.group(2):
                body.append(lines[i])
                i += 1
            i += 1
            bodies.append("\n".join(body) + "\n")
        keyword = keyword.upper()
        if keyword == "FROM":
            named = re.search(r"\s+AS\s+(\S+)\s*$", args, re.IGNORECASE)
            stage = named.group(1) if named else args.split()[0]
        result.append(Instruction(keyword, args.strip(), tuple(bodies), stage, start))
    return result


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    instructions: tuple[Instruction, ...]

    @property
    def final_stage(self) -> str:
        return [i for i in self.instructions if i.keyword == "FROM"][-1].stage

    def final(self, keyword: str) -> list[Instruction]:
        return [
            i for i in self.instructions if i.keyword == keyword and i.stage == self.final_stage
        ]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def arg_default(self, name: str) -> str | None:
        for instruction in self.all("ARG"):
            key, _, value = instruction.args.partition("=")
            if key == name:
                return value
        return None

    def env(self, stage: str | None = None) -> dict[str, str]:
        env: dict[str, str] = {}
        for instruction in self.all("ENV"):
            if stage is None or instruction.stage == stage:
                env.update(dict(word.split("=", 1) for word in shlex.split(instruction.args)))
        return env

    def local_copies(self) -> list[tuple[list[str], str]]:
        """(sources, destination) of every COPY from the build context."""
        copies = []
        for instruction in self.all("COPY"):
            if "from" in instruction.flags() or instruction.heredocs:
                continue
            *sources, destination = instruction.words()
            copies.append((sources, destination))
        return copies

    def heredoc_file(self, destination: str) -> str:
        for instruction in self.all("COPY"):
            if instruction.heredocs and instruction.words()[-1] == destination:
                return instruction.heredocs[0]
        raise LookupError(f"{self.path.name} writes no {destination}")

    def uv_syncs(self) -> list[Instruction]:
        return [i for i in self.all("RUN") if re.search(r"\buv sync\b", i.args)]

    def synced_packages(self) -> frozenset[str]:
        sets = {frozenset(re.findall(r"--package[= ](\S+)", run.args)) for run in self.uv_syncs()}
        assert len(sets) == 1, f"{self.path}: uv sync runs install different packages: {sets}"
        return next(iter(sets))


@cache
def dockerfile(relative: str) -> Dockerfile:
    path = ROOT / relative
    return Dockerfile(path, tuple(parse_dockerfile(path)))


def service_dockerfile(service: str) -> Dockerfile:
    return dockerfile(f"services/{service}/Dockerfile")


@dataclass(frozen=True)
class PythonImage:
    """What one service's image holds, read from its Dockerfile and the workspace."""

    service: str
    dockerfile: Dockerfile
    installed: frozenset[str]  # workspace members in its virtual environment

    @property
    def scripts(self) -> dict[str, str]:
        return scripts_of(self.installed)

    @property
    def modules(self) -> frozenset[str]:
        return modules_of(self.installed)


@cache
def python_image(service: str) -> PythonImage:
    built = service_dockerfile(service)
    return PythonImage(service, built, closure(built.synced_packages()))


def image_for_dockerfile(relative: str) -> PythonImage | None:
    for service in DEPLOYED:
        if f"services/{service}/Dockerfile" == relative:
            return python_image(service)
    return None


# --- .dockerignore --------------------------------------------------------------------


def _pattern_regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def dockerignored(relative: str) -> bool:
    """Whether the build context leaves ``relative`` out (last matching pattern wins; a
    pattern that matches a folder leaves out everything in it)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    parts = relative.strip("/").split("/")
    prefixes = ["/".join(parts[: k + 1]) for k in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


# --- settings: which environment variables the code reads -----------------------------


@dataclass(frozen=True)
class EnvField:
    owner: type[BaseSettings]
    field: str
    names: tuple[str, ...]  # every name it is read from; the first is the one to document


def _settings_class_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(
            (isinstance(base, ast.Name) and base.id == "BaseSettings")
            or (isinstance(base, ast.Attribute) and base.attr == "BaseSettings")
            for base in node.bases
        )
    ]


def _module_name(name: str, path: Path) -> str:
    relative = path.relative_to(ROOT / members()[name].src).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


@cache
def settings_classes(names: frozenset[str]) -> tuple[type[BaseSettings], ...]:
    """Every ``BaseSettings`` subclass defined in the members ``names``, imported from the
    module that defines it (found in the source, so a class outside ``settings.py`` counts)."""
    found = []
    for name in sorted(names):
        for path in python_files([name]):
            for class_name in _settings_class_names(path):
                module = importlib.import_module(_module_name(name, path))
                found.append(getattr(module, class_name))
    return tuple(found)


def env_fields(cls: type[BaseSettings]) -> list[EnvField]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    fields = []
    for field_name, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            names = [alias]
        else:
            names = [f"{prefix}{field_name}"]
        fields.append(EnvField(cls, field_name, tuple(n.upper() for n in names)))
    return fields


def raw_env_reads(names: Iterable[str]) -> dict[str, Path]:
    """Variables read straight from ``os.environ``/``os.getenv`` with a literal name."""
    reads: dict[str, Path] = {}
    for path in python_files(names):
        for node in ast.walk(ast.parse(path.read_text())):
            target = None
            if isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func)
                if func.endswith(("environ.get", "getenv", "environ.setdefault", "environ.pop")):
                    target = node.args[0]
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
                target = node.slice
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                reads[target.value] = path
    return reads


def read_names(names: Iterable[str]) -> frozenset[str]:
    """Every environment variable the code of the members ``names`` reads."""
    names = frozenset(names)
    from_settings = {
        env_name
        for cls in settings_classes(names)
        for field in env_fields(cls)
        for env_name in field.names
    }
    return frozenset(from_settings | raw_env_reads(names).keys())


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Exactly ``values`` as the process environment, and nothing else."""
    with mock.patch.dict(os.environ, values, clear=True):
        yield


def load(cls: type[BaseSettings], values: Mapping[str, str]) -> BaseSettings:
    """``cls`` as a process with exactly ``values`` in its environment would build it."""
    with environment(values):
        return cls(_env_file=None)  # type: ignore[call-arg]


# --- documentation --------------------------------------------------------------------

_NAME = r"[A-Z][A-Z0-9_]*"


def env_example_names() -> set[str]:
    """Variables `.env.example` assigns, commented out or not."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(rf"^#?\s*({_NAME})=", text, re.MULTILINE))


def env_example_values() -> dict[str, str]:
    """`.env.example` as a dotenv reader (compose, pydantic-settings) takes it."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(rf"^({_NAME})=(.*)$", line)
        if match:
            value = re.sub(r"\s+#.*$", "", match.group(2)).strip()
            values[match.group(1)] = value
    return values


def readme_config_names() -> set[str]:
    """Variables named in the first column of the README's configuration table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names.update(re.findall(rf"`({_NAME})`", first_cell))
    return names


# --- YAML, compose, Makefile ----------------------------------------------------------


def load_yaml(relative: str) -> Any:
    return yaml.safe_load((ROOT / relative).read_text())


@cache
def compose() -> dict[str, Any]:
    data = load_yaml("docker-compose.yml")
    assert isinstance(data, dict)
    return data


def interpolate(value: str) -> str:
    """Compose's interpolation with nothing set in the shell: ``${X:-d}`` gives ``d``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        expression = match.group(1) or match.group(2)
        for operator in (":-", "-"):
            if operator in expression:
                return expression.split(operator, 1)[1]
        assert not re.search(r":?\?", expression), f"required variable: {value}"
        return ""

    return re.sub(r"\$\$|\$\{([^}]+)\}|\$([A-Za-z_][A-Za-z0-9_]*)", replace, value)


def compose_environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): interpolate(str(v)) for k, v in env.items()}


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_-]+):(?!=)", text, re.MULTILINE))


def fly_configs() -> dict[str, dict[str, Any]]:
    return {
        path.stem: tomllib.loads(path.read_text()) for path in sorted((ROOT / "fly").glob("*.toml"))
    }


def fly_secrets(service: str) -> list[str]:
    """The secrets a fly toml lists in its header comment (`#   NAME   what it is`)."""
    text = (ROOT / "fly" / f"{service}.toml").read_text()
    block = text.split("# Secrets:", 1)[1].split("\n#\n", 1)[0]
    return re.findall(rf"^#   ({_NAME})\s", block, re.MULTILINE)
