"""The flag worker: weekly compliance scan with rules and a DSPy program.

Entry point ``monstercoach-flagworker``.
"""

from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import runtime_until_stopped


def main() -> None:
    run_service("flagworker", runtime_until_stopped("flagworker"))
