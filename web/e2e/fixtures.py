"""The browser e2e's data chores, run through `uv run` by e2e/stack.ts and the tests.

    python web/e2e/fixtures.py grow DATABASE_URL CLIENTS   # after migrate + seed-demo
    python web/e2e/fixtures.py poison REDIS_URL KEY_PREFIX
    python web/e2e/fixtures.py drop DATABASE_URL REDIS_URL KEY_PREFIX

`grow` fills a seeded database up to CLIENTS clients with COPY: the demo's personas
again under new names and ids, each with four weeks of history (as bench/api.py loads
them), so the roster is measured over realistic rows, not empty ones. It prints the
demo coach's Discord id, which the api must allowlist. `poison` puts a message on the
events stream that no consumer can parse, so the api dead-letters it (the System page
then has one to show and replay); its text is markup, which must stay text. `drop`
removes the database and the run's Redis keys.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis.asyncio as aioredis

from monstercoach_cli.seed import (
    DEMO_COACH_ID,
    PERSONAS,
    DemoData,
    build_client,
    build_demo,
    write_demo,
)
from monstercoach_kit.db import init_connection


async def grow(url: str, clients: int) -> str:
    now = datetime.now(UTC)
    coach = build_demo(now).coaches[0]
    data = DemoData()
    for n in range(len(PERSONAS), clients):
        copy, index = divmod(n, len(PERSONAS))
        persona = PERSONAS[index]
        twin = replace(persona, key=f"{persona.key}~{copy}", name=f"{persona.name} {copy}")
        data.extend(build_client(twin, coach, now))
    conn = await asyncpg.connect(url)
    try:
        await init_connection(conn)
        async with conn.transaction():
            await write_demo(conn, data)  # COPY, as seed-demo writes its own rows
        await conn.execute("VACUUM ANALYZE")
        coach_id: str = await conn.fetchval(
            "SELECT discord_user_id FROM coaches WHERE id = $1", DEMO_COACH_ID
        )
    finally:
        await conn.close()
    return coach_id


POISON = '{"type": "<img src=x onerror=window.__xss=1>", "payload": "not a message"}'


async def poison(redis_url: str, key_prefix: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        # The kit's layout of a stream entry (monstercoach_kit.bus): a type and the JSON.
        await client.xadd(f"{key_prefix}stream:events", {"type": "e2e.poison", "data": POISON})
    finally:
        await client.aclose()


async def drop(url: str, redis_url: str, key_prefix: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        # The name is ours (e2e/stack.ts makes it), quoted as an identifier all the same.
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{key_prefix}*", count=1000)]
        if keys:
            await client.unlink(*keys)
    finally:
        await client.aclose()


def main(argv: list[str]) -> None:
    match argv:
        case ["grow", url, clients]:
            print(asyncio.run(grow(url, int(clients))))  # read by e2e/stack.ts
        case ["poison", redis_url, key_prefix]:
            asyncio.run(poison(redis_url, key_prefix))
        case ["drop", url, redis_url, key_prefix]:
            asyncio.run(drop(url, redis_url, key_prefix))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
