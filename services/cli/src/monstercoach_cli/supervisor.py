"""One supervisor for a handful of local processes: one combined log, one clean stop.

Used by ``monstercoach dev``. Each child runs in its own process group, so the
terminal's Ctrl-C reaches only the supervisor, which then stops the children in tiers
(the services before the servers they use): SIGTERM to each child's whole group (an
``npm run dev`` is npm, a shell and node), a grace period, then SIGKILL for whatever
is left. Every line a child prints is prefixed with its name in its own colour; a JSON
log line (the services' structlog output) is shown compactly.

A child that exits on its own is reported with its exit code and the last lines it
printed. By default that stops everything (a demo with a dead service is not the demo
it claims to be); with ``keep_going`` the others keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

RESET = "\033[0m"
DIM = "\033[2m"
BOLD = "\033[1m"
RED = "\033[31m"
YELLOW = "\033[33m"
PALETTE = ("\033[36m", "\033[35m", "\033[32m", "\033[34m", "\033[96m", "\033[95m", "\033[92m")
"""One per child; no yellow or red, which mean a warning or an error."""
LEVEL_COLOURS = {"warning": YELLOW, "error": RED, "critical": RED}

LINE_LIMIT = 1 << 20
"""Longest line read from a child in one piece (asyncio's default of 64 KiB is too short
for a traceback rendered into one JSON line)."""
TAIL_LINES = 15
"""Lines of a crashed child's output repeated in its crash report."""
SHOWN_VALUE_MAX = 160
"""A JSON log field longer than this is cut (the rendered text of a DM, a traceback)."""
DOUBLE_SIGNAL_SECONDS = 1.0
"""A second signal this soon is the same Ctrl-C arriving twice (from the terminal and
forwarded by a wrapper such as ``uv run`` or make), not a request to kill."""
_QUIET_FIELDS = frozenset({"event", "level", "timestamp", "service", "logger"})


@dataclass(frozen=True)
class ChildSpec:
    """A process to run: ``argv``, where, with which extra environment."""

    name: str
    argv: Sequence[str]
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    tier: int = 1
    """Stop order: higher tiers stop first (services at 1 before their servers at 0)."""
    oneshot: bool = False
    """A set-up step (``npm ci``) expected to exit: its exit is no crash."""


@dataclass
class _Child:
    spec: ChildSpec
    colour: str
    process: asyncio.subprocess.Process
    reader: asyncio.Task[None] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    stopping: bool = False


@dataclass(frozen=True)
class Exit:
    name: str
    code: int
    expected: bool
    """True when the supervisor asked it to stop."""


def use_colour(stream: TextIO) -> bool:
    """ANSI colours when writing to a terminal, as rich decides it (so ``NO_COLOR`` and
    ``FORCE_COLOR`` are honoured the way every rich-based tool honours them)."""
    return Console(file=stream).color_system is not None


def format_json_line(line: str) -> tuple[str, str | None] | None:
    """A structlog JSON line as ``HH:MM:SS event key=value…`` and its level; None if the
    line is not such a JSON object."""
    if not line.startswith("{"):
        return None
    try:
        record: Any = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or "event" not in record:
        return None
    stamp = str(record.get("timestamp", ""))
    clock = stamp[11:19] if len(stamp) >= 19 else ""
    level = str(record.get("level", "")).lower() or None
    parts = [clock, str(record["event"])]
    for key, value in record.items():
        if key in _QUIET_FIELDS or key == "exception":
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        shown = shown.replace("\n", " ⏎ ")
        if len(shown) > SHOWN_VALUE_MAX:
            shown = shown[: SHOWN_VALUE_MAX - 1] + "…"
        parts.append(f"{key}={shown}")
    text = " ".join(part for part in parts if part)
    if isinstance(record.get("exception"), str):
        text += "\n" + record["exception"].rstrip()  # a traceback is shown whole
    return text, level


class Supervisor:
    """Start children, merge their output, stop them all; see the module docstring."""

    def __init__(
        self,
        out: TextIO,
        *,
        colour: bool = False,
        pretty: bool = True,
        grace: float = 10.0,
        keep_going: bool = False,
        base_env: Mapping[str, str] | None = None,
    ):
        self.out = out
        self.colour = colour
        self.pretty = pretty
        self.grace = grace
        self.keep_going = keep_going
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.children: dict[str, _Child] = {}
        self.exits: list[Exit] = []
        self.stopping = False
        self.failed = asyncio.Event()
        """Set when a child exits on its own and ``keep_going`` is off."""
        self._width = 10

    # --- output ---------------------------------------------------------------------------

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.colour and code else text

    def emit(self, name: str, text: str, colour: str = "", level: str | None = None) -> None:
        """Write ``text`` under ``name``'s prefix, one prefixed line per line of it."""
        self._width = max(self._width, len(name))
        prefix = self._paint(f"{name:<{self._width}} │", colour)
        for line in text.splitlines() or [""]:
            body = self._paint(line, LEVEL_COLOURS.get(level or "", ""))
            self.out.write(f"{prefix} {body}\n")
        self.out.flush()

    def say(self, text: str, code: str = BOLD) -> None:
        """A line from the supervisor itself."""
        self.emit("dev", self._paint(text, code))

    def _show(self, child: _Child, line: str) -> None:
        child.tail.append(line)
        formatted = format_json_line(line) if self.pretty else None
        if formatted is None:
            self.emit(child.spec.name, line, child.colour)
        else:
            text, level = formatted
            self.emit(child.spec.name, text, child.colour, level)

    # --- children -------------------------------------------------------------------------

    async def start(self, spec: ChildSpec) -> None:
        """Start one child; its output is shown until it exits."""
        if spec.name in self.children:
            raise ValueError(f"a child named {spec.name!r} is already running")
        self._width = max(self._width, len(spec.name))
        env = {**self.base_env, "PYTHONUNBUFFERED": "1", **spec.env}
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            cwd=spec.cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group: Ctrl-C in the terminal reaches only us, and a stop
            # signal reaches the child's own children too (npm → sh → node).
            process_group=0,
            limit=LINE_LIMIT,
        )
        colour = PALETTE[len(self.children) % len(PALETTE)]
        child = _Child(spec, colour, process)
        child.reader = asyncio.create_task(self._follow(child), name=f"follow-{spec.name}")
        self.children[spec.name] = child

    async def _follow(self, child: _Child) -> None:
        stream = child.process.stdout
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line past LINE_LIMIT: show what there is
                raw = await stream.read(LINE_LIMIT)
            if not raw:
                break
            self._show(child, raw.decode(errors="replace").rstrip("\r\n"))
        code = await child.process.wait()
        # Stragglers in its group (a shell's child) go with it.
        _signal_group(child.process.pid, signal.SIGKILL)
        expected = self.stopping or child.stopping or child.spec.oneshot
        result = Exit(child.spec.name, code, expected)
        self.exits.append(result)
        if child.spec.oneshot and not (self.stopping or child.stopping):
            self.emit(child.spec.name, self._paint(f"done (exit {code})", DIM), child.colour)
        elif expected:
            self.emit(child.spec.name, self._paint(_stopped(code), DIM), child.colour)
        else:
            self._report_crash(child, code)
            if not self.keep_going:
                self.failed.set()

    def _report_crash(self, child: _Child, code: int) -> None:
        name = child.spec.name
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        self.emit(name, self._paint(f"✖ {name} {how}", RED + BOLD), child.colour)
        if child.tail:
            self.emit(name, self._paint("its last lines were:", RED), child.colour)
            for line in child.tail:
                self.emit(name, self._paint(f"  {line}", DIM), child.colour)
        if self.keep_going:
            self.say(f"{name} is down; the others keep running (--keep-going)", YELLOW)
        else:
            self.say(f"{name} is down: stopping everything (--keep-going keeps the rest)", RED)

    async def run_to_end(self, spec: ChildSpec) -> int:
        """Run a one-shot step with its output in the log; its exit code."""
        await self.start(replace(spec, oneshot=True))
        child = self.children[spec.name]
        assert child.reader is not None
        await child.reader
        del self.children[spec.name]
        return child.process.returncode if child.process.returncode is not None else 1

    def running(self) -> list[str]:
        return [n for n, c in self.children.items() if c.process.returncode is None]

    async def stop_child(self, name: str, grace: float | None = None) -> None:
        """SIGTERM the child's group, SIGKILL it after the grace, wait for it."""
        child = self.children.get(name)
        if child is None:
            return
        child.stopping = True
        grace = self.grace if grace is None else grace
        assert child.reader is not None
        if child.process.returncode is None:
            _signal_group(child.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(child.reader), timeout=grace)
            except TimeoutError:
                self.emit(
                    name,
                    self._paint(f"still running {grace:g}s after SIGTERM: SIGKILL", YELLOW),
                    child.colour,
                )
                _signal_group(child.process.pid, signal.SIGKILL)
        await child.reader

    async def stop_all(self, grace: float | None = None) -> None:
        """Stop every child, tier by tier (highest first); each tier in parallel."""
        self.stopping = True
        tiers = sorted({c.spec.tier for c in self.children.values()}, reverse=True)
        for tier in tiers:
            names = [n for n, c in self.children.items() if c.spec.tier == tier]
            await asyncio.gather(*(self.stop_child(name, grace) for name in names))

    def kill_all(self) -> None:
        """SIGKILL every child's group now (a second Ctrl-C)."""
        self.stopping = True
        for child in self.children.values():
            child.stopping = True
            _signal_group(child.process.pid, signal.SIGKILL)

    def exit_code(self) -> int:
        """0 when every child stopped because it was asked to, else the first crash's code."""
        for result in self.exits:
            if not result.expected:
                return result.code if result.code > 0 else 1
        return 0


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def wait_for_stop(supervisor: Supervisor, stop: asyncio.Event) -> str:
    """Until a stop is asked or a child fails (unless keep_going): which one it was."""
    waits = {
        asyncio.create_task(stop.wait()): "signal",
        asyncio.create_task(supervisor.failed.wait()): "crash",
    }
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return waits[done.pop()]


def install_stop_signals(supervisor: Supervisor, stop: asyncio.Event) -> None:
    """SIGINT/SIGTERM: stop gracefully; the second one kills every child at once."""
    loop = asyncio.get_running_loop()
    first: list[float] = []

    def handle(sig: signal.Signals) -> None:
        if not first:
            first.append(time.monotonic())
            supervisor.say(f"{sig.name}: stopping everything (again to kill at once)", YELLOW)
            stop.set()
        elif time.monotonic() - first[0] > DOUBLE_SIGNAL_SECONDS:
            supervisor.say(f"{sig.name} again: killing every child now", RED)
            supervisor.kill_all()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handle, sig)


def _stopped(code: int) -> str:
    """How a child we stopped ended: dying of the SIGTERM or SIGINT we sent is a clean stop
    (uvicorn and npm re-raise it after shutting down); anything else is shown."""
    if code in (0, -signal.SIGTERM, -signal.SIGINT):
        return "stopped"
    if code == -signal.SIGKILL:
        return "killed (did not stop within the grace period)"
    return f"stopped (exit {code})"
