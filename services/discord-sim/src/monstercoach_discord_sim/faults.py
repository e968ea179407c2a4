"""What the simulator can be told to get wrong, as real Discord sometimes does.

Per user: DMs closed (sending answers 403/50007) or no such user (opening the DM answers
404/10013). Per request, for the next ``count`` requests and/or ``for_seconds``, on one
route or all: answer a 5xx, hang before answering, or answer 429 (per-route, global, or
Cloudflare-style without ``Via``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    ERROR = "error"
    HANG = "hang"
    RATE_LIMIT = "rate_limit"


@dataclass
class Fault:
    kind: FaultKind
    route: str | None = None
    """A route name (``create_message``, ``create_dm``, …); ``None`` matches every route."""
    remaining: int | None = None
    """How many more requests it hits; ``None``: until ``until``."""
    until: float | None = None
    """Monotonic deadline; ``None``: until ``remaining`` runs out."""
    status: int = 500
    seconds: float = 0.0
    """How long a hang lasts, or the ``retry_after`` of a 429."""
    is_global: bool = False
    via: bool = True
    """A 429 without ``Via`` is what Cloudflare answers to a banned client."""

    def is_spent(self, now: float) -> bool:
        return (self.remaining is not None and self.remaining <= 0) or (
            self.until is not None and now >= self.until
        )

    def matches(self, route: str) -> bool:
        return self.route is None or self.route == route

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """A fault from the control API: ``{"kind", "route", "count", "for_seconds", …}``."""
        for_seconds = data.get("for_seconds")
        return cls(
            kind=FaultKind(data["kind"]),
            route=data.get("route"),
            remaining=data.get("count"),
            until=None if for_seconds is None else time.monotonic() + float(for_seconds),
            status=int(data.get("status", 500)),
            seconds=float(data.get("seconds", 0.0)),
            is_global=bool(data.get("global", False)),
            via=bool(data.get("via", True)),
        )


def _window(count: int | None, for_seconds: float | None) -> dict[str, Any]:
    if count is None and for_seconds is None:
        raise ValueError("a fault needs a count, a duration, or both")
    until = None if for_seconds is None else time.monotonic() + for_seconds
    return {"remaining": count, "until": until}


@dataclass
class Faults:
    dms_closed: set[str] = field(default_factory=set)
    unknown_users: set[str] = field(default_factory=set)
    active: list[Fault] = field(default_factory=list)

    def close_dms(self, *user_ids: str) -> None:
        """Sending to these users answers 403 with code 50007, as when they block DMs."""
        self.dms_closed.update(user_ids)

    def make_unknown(self, *user_ids: str) -> None:
        """Opening a DM with these users answers 404 with code 10013 (Unknown User)."""
        self.unknown_users.update(user_ids)

    def error(
        self,
        status: int = 500,
        *,
        count: int | None = None,
        for_seconds: float | None = None,
        route: str | None = None,
    ) -> None:
        self.active.append(
            Fault(FaultKind.ERROR, route=route, status=status, **_window(count, for_seconds))
        )

    def hang(
        self,
        seconds: float,
        *,
        count: int | None = None,
        for_seconds: float | None = None,
        route: str | None = None,
    ) -> None:
        """Hold matching requests ``seconds`` before handling them (they still take effect)."""
        self.active.append(
            Fault(FaultKind.HANG, route=route, seconds=seconds, **_window(count, for_seconds))
        )

    def rate_limit(
        self,
        retry_after: float,
        *,
        count: int | None = None,
        for_seconds: float | None = None,
        route: str | None = None,
        is_global: bool = False,
        via: bool = True,
    ) -> None:
        """A 429 storm, whatever the real counters say."""
        self.active.append(
            Fault(
                FaultKind.RATE_LIMIT,
                route=route,
                seconds=retry_after,
                is_global=is_global,
                via=via,
                **_window(count, for_seconds),
            )
        )

    def take(self, route: str) -> Fault | None:
        """The first live fault for ``route``, counted as used; spent faults are dropped."""
        now = time.monotonic()
        self.active = [fault for fault in self.active if not fault.is_spent(now)]
        for fault in self.active:
            if fault.matches(route):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def clear(self) -> None:
        self.dms_closed.clear()
        self.unknown_users.clear()
        self.active.clear()
