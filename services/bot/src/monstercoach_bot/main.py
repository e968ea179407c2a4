"""The Discord bot: client DMs, buttons and modals, coach commands, outbound delivery.

Entry point ``monstercoach-bot``.
"""

from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import runtime_until_stopped


def main() -> None:
    run_service("bot", runtime_until_stopped("bot"))
