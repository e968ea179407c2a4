"""Offset paging shared by every list endpoint: ``?limit=&offset=`` in, a page out.

Offset paging (not cursors) for the lists a coach pages through and sorts (roster,
flags, deliveries): the dashboard shows "page 3 of 12" and jumps between pages, which a
cursor cannot do. The client timeline, which only ever scrolls back in time, pages by a
time cursor instead (see ``timeline``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, Self, TypeVar

import asyncpg
from fastapi import Depends, Query
from pydantic import BaseModel, Field

MAX_LIMIT = 200

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    limit: int | None
    """``None``: every row (an export), never from a request."""
    offset: int = 0


class PageQuery(BaseModel):
    """``?limit=&offset=`` as a query-parameter model: one pydantic validation for the
    lot, rather than FastAPI's handling of each parameter (an endpoint whose parameters
    are all one such model, the roster's, extends it)."""

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="page size")
    offset: int = Field(0, ge=0, le=1_000_000, description="rows to skip")

    @property
    def paging(self) -> Paging:
        return Paging(limit=self.limit, offset=self.offset)


async def paging(query: Annotated[PageQuery, Query()]) -> Paging:
    # async: a plain function dependency would run in a worker thread (see clock.py).
    return query.paging


PagingDep = Annotated[Paging, Depends(paging)]


class Page(BaseModel, Generic[T]):
    """One page of a list; subclassed per item type so each has a plain OpenAPI name."""

    items: list[T]
    total: int = Field(ge=0, description="rows matching the filters, on every page")
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)

    @classmethod
    def of(cls, items: list[T], total: int, paging: Paging) -> Self:
        assert paging.limit is not None
        return cls(items=items, total=total, limit=paging.limit, offset=paging.offset)


@dataclass(frozen=True)
class PagedQuery:
    """A list's page and its total, as two statements over the same parameters: apart,
    the page can stop at its last row (a top-N sort) while the count skips sorting."""

    page: str
    count: str
    count_args: int | None = None
    """How many of the leading parameters the count takes; ``None``: all but the paging."""


def paged_query(matching: str, order_by: str, limit_param: int) -> PagedQuery:
    """Page ``matching`` (a SELECT) by ``order_by`` (over its output columns), with
    ``$limit_param`` and the parameter after it as limit and offset."""
    return PagedQuery(
        page=f"{matching}\nORDER BY {order_by}\nLIMIT ${limit_param} OFFSET ${limit_param + 1}",
        count=f"SELECT count(*) FROM ({matching}) AS matching",
    )


async def fetch_page(
    conn: asyncpg.Connection, query: PagedQuery, paging: Paging, *args: object
) -> tuple[list[asyncpg.Record], int]:
    """(the page's rows, how many rows match in all)."""
    rows = await conn.fetch(query.page, *args, paging.limit, paging.offset)
    total: int = await conn.fetchval(query.count, *args[: query.count_args])
    return rows, total
