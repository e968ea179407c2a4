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
    SCHEDULER = "scheduler"
    FLAGWORKER = "flagworker"


CONSUMERS: dict[Stream, tuple[Group, ...]] = {
    # The api persists every event; the scheduler reads the same events to close its
    # ledger (answers and undeliverable sends), each through its own group.
    Stream.EVENTS: (Group.API, Group.SCHEDULER),
    # The bot sends; the api records each delivery as queued the moment it is asked for.
    Stream.DELIVERIES: (Group.BOT, Group.API),
    Stream.SCANS: (Group.FLAGWORKER,),
}
"""Which services' groups consume each stream (every group sees every message)."""

DEAD_LETTERS = "dead_letters"
"""The stream where messages go that failed validation or exhausted their deliveries."""
