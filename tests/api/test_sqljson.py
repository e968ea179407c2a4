"""The SQL that writes JSON as text (``sqljson``), run by real PostgreSQL: what it writes
must parse, and read back as the values it was given."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from monstercoach_api import sqljson

HOSTILE = [
    'say "hi"',
    "back\\slash",
    "line\nbreak\ttab\r",
    "\x01\x1f control",
    "emoji 💪 and ünïcödé",
    "</script><script>alert(1)</script>",
    "'; DROP TABLE clients; --",
    "",
]


async def written(conn: asyncpg.Connection, expr: str, *args: Any) -> Any:
    text: str = await conn.fetchval(f"SELECT {expr}", *args)
    return json.loads(text)


class TestValues:
    @pytest.mark.parametrize("value", HOSTILE)
    async def test_strings_are_escaped(self, pool: asyncpg.Pool, value: str) -> None:
        async with pool.acquire() as conn:
            assert await written(conn, sqljson.string("$1::text"), value) == value

    async def test_a_null_of_any_kind_is_json_null(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            for expr in (
                sqljson.string("NULL::text"),
                sqljson.plain("NULL::uuid"),
                sqljson.number("NULL::int"),
                sqljson.raw("NULL::json"),
                sqljson.day("NULL::date"),
                sqljson.instant("NULL::timestamp", "interval '0'"),
                sqljson.utc_instant("NULL::timestamptz"),
            ):
                assert await written(conn, expr) is None, expr

    async def test_numbers_keep_their_value(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            assert await written(conn, sqljson.number("round(2::numeric / 3, 3)")) == 0.667
            assert await written(conn, sqljson.number("-42")) == -42
            assert await written(conn, sqljson.number("0.1::float8")) == 0.1

    async def test_days_whatever_the_sessions_date_style(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL DateStyle = 'SQL, DMY'")
            assert await written(conn, sqljson.day("$1::date"), date(2026, 3, 7)) == "2026-03-07"

    @pytest.mark.parametrize(
        ("local", "offset", "expected"),
        [
            (datetime(2026, 11, 26, 7, 0), timedelta(hours=-5), "2026-11-26T07:00:00-05:00"),
            (
                datetime(2026, 11, 27, 1, 45, 0, 120),
                timedelta(hours=13, minutes=45),
                "2026-11-27T01:45:00.000120+13:45",
            ),
            (
                datetime(2026, 11, 26, 8, 30, 0, 500_000),
                timedelta(hours=-3, minutes=-30),
                "2026-11-26T08:30:00.500000-03:30",
            ),
        ],
    )
    async def test_instants_are_written_as_python_writes_them(
        self, pool: asyncpg.Pool, local: datetime, offset: timedelta, expected: str
    ) -> None:
        async with pool.acquire() as conn:
            # An offset as the roster works it out: local wall-clock time minus UTC's.
            text = await written(
                conn,
                sqljson.instant("$1::timestamp", "$1::timestamp - ($1::timestamp - $2::interval)"),
                local,
                offset,
            )
        assert text == expected
        assert text == local.replace(tzinfo=None).isoformat() + expected[-6:]

    async def test_utc_instants(self, pool: asyncpg.Pool) -> None:
        at = datetime.fromisoformat("2026-11-25T08:30:15.250000+02:00")
        async with pool.acquire() as conn:
            assert await written(conn, sqljson.utc_instant("$1::timestamptz"), at) == (
                "2026-11-25T06:30:15.250000+00:00"
            )


class TestObjectsAndArrays:
    async def test_an_object_keeps_its_keys_in_order_and_nests(self, pool: asyncpg.Pool) -> None:
        expr = sqljson.obj(
            ("name", sqljson.string("$1::text")),
            ("inner", sqljson.obj(("n", sqljson.number("1")), ("none", sqljson.raw("NULL")))),
            ("empty", sqljson.obj()),
        )
        async with pool.acquire() as conn:
            text: str = await conn.fetchval(f"SELECT {expr}", 'a "quoted" name')
        assert text == '{"name":"a \\"quoted\\" name","inner":{"n":1,"none":null},"empty":{}}'

    @pytest.mark.parametrize("key", ["", "Name", "a-b", 'x"', "x'y", "1st"])
    def test_keys_are_plain_names_only(self, key: str) -> None:
        with pytest.raises(ValueError, match="not a plain key"):
            sqljson.obj((key, sqljson.number("1")))

    async def test_arrays_in_order_and_empty(self, pool: asyncpg.Pool) -> None:
        agg = sqljson.array_agg(sqljson.obj(("n", sqljson.number("n"))), "n DESC")
        async with pool.acquire() as conn:
            full = await conn.fetchval(f"SELECT {agg} FROM generate_series(1, 3) AS n")
            empty = await conn.fetchval(f"SELECT {agg} FROM generate_series(1, 0) AS n")
        assert json.loads(full) == [{"n": 3}, {"n": 2}, {"n": 1}]
        assert empty == "[]"
