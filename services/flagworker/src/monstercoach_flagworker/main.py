"""The flag worker: weekly compliance scan with rules and, with ``DSPY_LM``, a DSPy program.

Entry point ``monstercoach-flagworker``.
"""

from monstercoach_kit.runner import run_service

from .worker import SERVICE, run_worker


def main() -> None:
    run_service(SERVICE, run_worker)
