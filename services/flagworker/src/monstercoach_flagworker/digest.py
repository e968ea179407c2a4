"""The coach digest: the week's scan in a few short lines, within one Discord message."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from monstercoach_schemas.domain import FlagCode, FlagSeverity

from .rules import DraftFlag

DISCORD_LIMIT = 2000
NAME_CHARS = 32
CODES_PER_CLIENT = 3
SEVERITY_ORDER = (FlagSeverity.HIGH, FlagSeverity.MEDIUM, FlagSeverity.LOW)
_RANK = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}
_MARKDOWN = re.compile(r"([\\*_~`|>])")


@dataclass(frozen=True)
class FlaggedClient:
    name: str
    flags: tuple[DraftFlag, ...]

    @property
    def top_severity(self) -> FlagSeverity:
        return min((flag.severity for flag in self.flags), key=_RANK.__getitem__)


def render_digest(
    iso_week: str,
    scanned: int,
    flagged: Sequence[FlaggedClient],
    how: str,
    names_per_severity: int,
) -> str:
    """Counts by severity, then the top clients of each severity with their flag codes."""
    counts = Counter(flag.severity for client in flagged for flag in client.flags)
    lines = [f"**Weekly scan {iso_week}**: {scanned} clients, {len(flagged)} flagged ({how})."]
    if not flagged:
        lines.append("No flags this week.")
    else:
        lines.append("Flags: " + ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER))
        for severity in SEVERITY_ORDER:
            group = [client for client in flagged if client.top_severity is severity]
            if group:
                lines.append(_severity_line(severity, group, names_per_severity))
        lines.append("Evidence and actions: Battle Station → Flags.")
    return _fit("\n".join(lines))


def _severity_line(severity: FlagSeverity, group: Sequence[FlaggedClient], names: int) -> str:
    # The most-flagged first: who needs the coach most within the same severity.
    ranked = sorted(group, key=lambda client: (-len(client.flags), client.name))
    shown = "; ".join(_client_words(client) for client in ranked[:names])
    more = f"; +{len(ranked) - names} more" if len(ranked) > names else ""
    return f"{severity.value.capitalize()} ({len(group)}): {shown}{more}"


def _client_words(client: FlaggedClient) -> str:
    flags = sorted(client.flags, key=lambda flag: _RANK[flag.severity])
    codes = [_code_words(flag.code) for flag in flags[:CODES_PER_CLIENT]]
    if len(flags) > CODES_PER_CLIENT:
        codes.append(f"+{len(flags) - CODES_PER_CLIENT}")
    return f"{_escape(_shorten(client.name))} ({', '.join(codes)})"


def _code_words(code: FlagCode) -> str:
    return code.value.lower().replace("_", " ")


def _shorten(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def _escape(text: str) -> str:
    # A display name such as "__x__" must not turn the coach's DM into markup.
    return _MARKDOWN.sub(r"\\\1", text)


def _fit(text: str) -> str:
    """The last guard: names and codes per line are capped, but escaping can still add up."""
    return text if len(text) <= DISCORD_LIMIT else text[: DISCORD_LIMIT - 1] + "…"
