"""The scheduler: engine ticks in each client's local time, deadlines, missed fires.

Entry point ``monstercoach-scheduler``.
"""

from monstercoach_kit.runner import run_service

from .service import SERVICE, run


def main() -> None:
    run_service(SERVICE, run)
