"""The scheduler: engine ticks in each client's local time, deadlines, missed fires.

Entry point ``monstercoach-scheduler``.
"""

from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import runtime_until_stopped


def main() -> None:
    run_service("scheduler", runtime_until_stopped("scheduler"))
