"""Stream and consumer-group names: the bus topology every service agrees on."""

from enum import StrEnum


class Stream(StrEnum):
    EVENTS = "events"
    DELIVERIES = "deliveries"
    SCANS = "scans"


class Group(StrEnum):
    """One consumer group per consuming service."""

    API = "api"
    BOT = "bot"
    FLAGWORKER = "flagworker"


CONSUMERS: dict[Stream, Group] = {
    Stream.EVENTS: Group.API,
    Stream.DELIVERIES: Group.BOT,
    Stream.SCANS: Group.FLAGWORKER,
}
"""Which service's group consumes each stream."""

DEAD_LETTERS = "dead_letters"
"""The stream where messages go that failed validation or exhausted their deliveries."""
