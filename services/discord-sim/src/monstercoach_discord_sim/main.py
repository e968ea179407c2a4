"""Entry point ``monstercoach-discord-sim`` (built out in the bot issue)."""


def main() -> None:
    raise SystemExit("the Discord simulator is not built yet")
