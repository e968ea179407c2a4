"""One active scheduler: the advisory lock, a standby, and a take-over after kill -9."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from monstercoach_kit.settings import KitSettings
from monstercoach_scheduler.leader import Leadership
from tests.conftest import REDIS_URL
from tests.processes import wait_for_line


def lock_id() -> int:
    # Each test its own lock, so tests (and a developer's running scheduler) never meet.
    return random.randint(1, 2**62)


async def test_a_standby_waits_and_takes_over_when_the_lock_is_released(
    kit_settings: KitSettings,
) -> None:
    key = lock_id()
    first, second = Leadership(kit_settings, key), Leadership(kit_settings, key)
    stop = asyncio.Event()
    assert await first.acquire(stop, poll_seconds=0.05)
    standby = asyncio.create_task(second.acquire(stop, poll_seconds=0.05))
    await asyncio.sleep(0.3)
    assert not standby.done()

    await first.release()
    assert await asyncio.wait_for(standby, timeout=5)
    assert await second.held()
    assert not await first.held()
    await second.release()


async def test_a_standby_gives_up_waiting_when_stopped(kit_settings: KitSettings) -> None:
    key = lock_id()
    holder, standby = Leadership(kit_settings, key), Leadership(kit_settings, key)
    stop = asyncio.Event()
    assert await holder.acquire(stop, poll_seconds=0.05)
    waiting = asyncio.create_task(standby.acquire(stop, poll_seconds=0.05))
    stop.set()
    assert await asyncio.wait_for(waiting, timeout=5) is False
    await holder.release()


async def test_postgresql_unreachable_means_waiting_not_crashing() -> None:
    settings = KitSettings(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    leadership = Leadership(settings, lock_id())
    stop = asyncio.Event()
    waiting = asyncio.create_task(leadership.acquire(stop, poll_seconds=0.05))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    stop.set()
    assert await asyncio.wait_for(waiting, timeout=5) is False


def _scheduler(database_url: str, redis_prefix: str, key: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": redis_prefix,
        "MC_LOG_JSON": "true",
        "SCHEDULER_LOCK_ID": str(key),
        "SCHEDULER_STANDBY_POLL_SECONDS": "0.2",
    }
    command = [str(Path(sys.executable).parent / "monstercoach-scheduler")]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def test_two_scheduler_processes_one_leads_and_the_other_takes_over_after_kill_9(
    database_url: str, redis_prefix: str
) -> None:
    key = lock_id()
    leader = _scheduler(database_url, redis_prefix, key)
    standby = None
    try:
        wait_for_line(leader, lambda r: r.get("status") == "leader", timeout=30)
        standby = _scheduler(database_url, redis_prefix, key)
        wait_for_line(standby, lambda r: r.get("status") == "standby", timeout=30)

        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=5)
        # The dead leader's session ends with its socket; the standby's next poll wins.
        wait_for_line(standby, lambda r: r.get("status") == "leader", timeout=10)
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=5) == 0
    finally:
        for proc in (leader, standby):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
