"""The DSPy pass of the weekly scan: ``DspyReviewer.review`` over a roster's weeks against
a stand-in LM that answers after ``--delay`` seconds (300 ms: a hosted small model).

The weeks are the labelled evaluation weeks, repeated up to ``--clients`` (most of them
carry words, so most clients cost two calls: heavier than a real roster). The program is
the compiled one shipped with the worker (its demos make the prompts full size). Timed
per ``--concurrency`` (DSPY_CONCURRENCY): wall time, LM calls, the most calls seen in
flight, and with ``--delay 0`` the CPU cost of DSPy itself per call (formatting the
prompt, parsing and checking the answer).

    uv run python bench/review.py --clients 1000 --delay 0.3 --concurrency 16 32 64
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

from rich.console import Console
from rich.table import Table

from monstercoach_flagworker.dspy_review import DspyReviewer, load_program
from monstercoach_flagworker.evaluation.dataset import eval_cases
from monstercoach_flagworker.evaluation.standin import stand_in_lm
from monstercoach_flagworker.settings import ReviewSettings


async def run(clients: int, delay: float, concurrency: int) -> tuple[float, int, int, int]:
    cases = eval_cases()
    weeks = [case.week for case in itertools.islice(itertools.cycle(cases), clients)]
    lm = stand_in_lm(cases, delay=delay)
    program, _ = load_program(None)
    settings = ReviewSettings(_env_file=None, lm="stand-in", concurrency=concurrency)
    reviewer = DspyReviewer(program, lm, settings)
    started = time.perf_counter()
    results = await reviewer.review(weeks)
    seconds = time.perf_counter() - started
    failed = sum(any("AI review failed" in f.rationale for f in flags) for flags in results)
    return seconds, lm.calls, lm.peak, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32, 64])
    args = parser.parse_args()
    table = Table(
        "clients", "delay", "concurrency", "LM calls", "peak in flight", "failed", "seconds",
        "calls/s", title="DSPy pass (stand-in LM)",
    )  # fmt: skip
    for concurrency in args.concurrency:
        seconds, calls, peak, failed = asyncio.run(run(args.clients, args.delay, concurrency))
        table.add_row(
            str(args.clients), f"{args.delay:g}", str(concurrency), str(calls), str(peak),
            str(failed), f"{seconds:.1f}", f"{calls / seconds:.0f}",
        )  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
