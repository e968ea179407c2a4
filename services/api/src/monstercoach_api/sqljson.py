"""SQL that writes JSON as text, for the responses PostgreSQL builds (the roster, the
charts, the stored weeks).

``json_build_object`` and ``json_agg`` look up the type and output function of every
value they are given, on every row (PostgreSQL 15 caches neither): a roster page of 50
rows of ~30 values spent about a fifth of its PostgreSQL time there (docs/benchmarks.md).
Here each value is written by an expression chosen for its kind, concatenated into
compact JSON (no spaces), which costs a fraction of that and makes the page smaller.

Every helper answers a SQL expression of type ``text`` that is never NULL: a SQL NULL
becomes the JSON ``null``. Only :func:`string` escapes; :func:`plain` is for values whose
text is JSON-safe by type (a uuid, an enum's spelling).
"""

from __future__ import annotations

import re

_KEY = re.compile(r"[a-z_][a-z0-9_]*\Z")


def string(expr: str) -> str:
    """A JSON string of any text (escaped as JSON requires), or null."""
    return f"coalesce(to_json(({expr})::text)::text, 'null')"


def plain(expr: str) -> str:
    """A JSON string of a value whose text needs no escaping and does not depend on the
    session's settings (a uuid, a value a check constraint keeps to letters and
    underscores), or null."""
    return f"""coalesce('"' || ({expr}) || '"', 'null')"""


def number(expr: str) -> str:
    """A JSON number (an integer or numeric expression), or null."""
    return f"coalesce(({expr})::text, 'null')"


def raw(expr: str) -> str:
    """A value that is JSON already (a ``json`` column, another helper's text), or null."""
    return f"coalesce(({expr})::text, 'null')"


def day(expr: str) -> str:
    """A JSON string of the ``date`` ``expr`` as ``YYYY-MM-DD`` (whatever the session's
    ``DateStyle``), or null."""
    return f"""coalesce('"' || to_char({expr}, 'YYYY-MM-DD') || '"', 'null')"""


def instant(local: str, offset: str) -> str:
    """A JSON string of the instant whose wall-clock time is ``local`` (a ``timestamp``)
    at UTC offset ``offset`` (an ``interval``), as the wire's ``Timestamp`` writes it
    (Python's ``isoformat``): microseconds only when there are any, the offset as
    ±HH:MM; null when ``local`` is. (Whole minutes: every offset in use since 1972 is.)"""
    return f"""coalesce(
        '"' || replace(to_char({local}, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')
        || CASE WHEN ({offset}) < interval '0' THEN '-' || to_char(-({offset}), 'HH24:MI')
                ELSE '+' || to_char({offset}, 'HH24:MI') END || '"',
        'null')"""


def utc_instant(at: str) -> str:
    """A JSON string of the ``timestamptz`` ``at`` written in UTC (``+00:00``), or null."""
    return instant(f"({at}) AT TIME ZONE 'UTC'", "interval '0'")


def obj(*fields: tuple[str, str]) -> str:
    """A JSON object of ``(key, value)`` pairs, each value one of this module's
    expressions, in that order."""
    parts = []
    for n, (key, value) in enumerate(fields):
        if not _KEY.match(key):
            raise ValueError(f"not a plain key: {key!r}")
        parts.append(f"""'{"{" if n == 0 else ","}"{key}":' || {value}""")
    if not parts:
        return "'{}'"
    return "(" + "\n        || ".join(parts) + " || '}')"


def array_agg(value: str, order_by: str) -> str:
    """An aggregate: a JSON array of ``value`` (one of this module's expressions) over
    the group's rows, in ``order_by`` order; ``[]`` for no rows."""
    return f"('[' || coalesce(string_agg({value}, ',' ORDER BY {order_by}), '') || ']')"
