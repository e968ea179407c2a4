"""Discord's checks on a message body, reduced to the ones a bot can get wrong.

Each check returns the offending field and Discord's message, or ``None``; the app turns
a finding into a 400 ``Invalid Form Body`` (code 50035) the way Discord words it.
"""

from __future__ import annotations

from typing import Any

Problem = tuple[str, str]

MAX_CONTENT = 2000
MAX_NONCE = 25
MAX_ROWS = 5
MAX_PER_ROW = 5
MAX_LABEL = 80
MAX_CUSTOM_ID = 100
ACTION_ROW, BUTTON = 1, 2
LINK_STYLE = 5


def _button_problem(where: str, button: dict[str, Any]) -> Problem | None:
    if button.get("type") != BUTTON:
        # Other component types (selects, text inputs) are outside what the bot sends.
        return None
    style = button.get("style")
    if style not in range(1, 6):
        return f"{where}.style", "Value must be one of {1, 2, 3, 4, 5}."
    if len(button.get("label") or "") > MAX_LABEL:
        return f"{where}.label", f"Must be {MAX_LABEL} or fewer in length."
    if style == LINK_STYLE:
        return None if button.get("url") else (f"{where}.url", "This field is required")
    custom_id = button.get("custom_id") or ""
    if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        return f"{where}.custom_id", f"Must be between 1 and {MAX_CUSTOM_ID} in length."
    return None


def components_problem(rows: list[dict[str, Any]]) -> Problem | None:
    if len(rows) > MAX_ROWS:
        return "components", f"Must be {MAX_ROWS} or fewer in length."
    for r, row in enumerate(rows):
        where = f"components.{r}"
        if row.get("type") != ACTION_ROW:
            return f"{where}.type", "Value must be one of {1}."
        items = row.get("components") or []
        if not 1 <= len(items) <= MAX_PER_ROW:
            return f"{where}.components", f"Must be between 1 and {MAX_PER_ROW} in length."
        for i, item in enumerate(items):
            problem = _button_problem(f"{where}.components.{i}", item)
            if problem:
                return problem
    return None


def message_problem(body: dict[str, Any]) -> Problem | None:
    content = body.get("content")
    if content is not None and len(content) > MAX_CONTENT:
        return "content", f"Must be {MAX_CONTENT} or fewer in length."
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > MAX_NONCE:
        return "nonce", f"Must be {MAX_NONCE} or fewer in length."
    return components_problem(body.get("components") or [])


def is_empty(body: dict[str, Any]) -> bool:
    """Discord refuses a message with nothing to show (code 50006)."""
    return not (body.get("content") or body.get("components") or body.get("embeds"))


def is_snowflake(value: Any) -> bool:
    text = str(value)
    return text.isdigit() and 15 <= len(text) <= 21
