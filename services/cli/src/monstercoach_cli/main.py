"""``monstercoach``: the operations CLI.

Built-in commands cover what every deployment needs (migrations, demo data, streams,
dead letters, generated docs). Services add their own commands (``tick``, ``scan``…)
through the ``monstercoach.cli`` entry-point group, so this package never imports a
service and each service's command ships with the service.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from . import database, dev, generate, seed, simulate, streams

app = typer.Typer(
    name="monstercoach",
    help="MonsterCoach operations: database, demo data, streams, dead letters, local dev.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
database.register(app)
streams.register(app)
generate.register(app)
seed.register(app)
dev.register(app)
simulate.register(app)


def load_plugins(target: typer.Typer) -> None:
    """Let each installed service register its commands on ``target``."""
    for entry in entry_points(group="monstercoach.cli"):
        entry.load()(target)


def main() -> None:
    load_plugins(app)
    app()
