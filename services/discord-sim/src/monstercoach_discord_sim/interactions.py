"""Interactions as Discord sends them: slash commands, autocomplete, clicks, modal submits.

The simulator issues each interaction (and remembers it), so the bot's answer can be
applied to the world as Discord would: an ``UPDATE_MESSAGE`` edits the message the
button was on, and a modal can only be submitted after the bot opened it. The payloads
are built from what Discord knows: a slash command's option types come from the
commands the bot registered, a click must name a button on the message, a submit
mirrors the modal the bot sent. What Discord's own client would refuse to send (a
missing required option, a disabled button, text over a field's ``max_length``) raises
:class:`InteractionRefused`, unless a test asks for the raw request with ``unchecked``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .world import JsonObject, World, user_object

APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
MODAL_CALLBACK = 9
BOT_DM = 1
"""The interaction context of a DM with the bot."""

SUBCOMMAND, STRING, INTEGER, BOOLEAN, USER, NUMBER, ATTACHMENT = 1, 3, 4, 5, 6, 10, 11
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT, LABEL = 1, 2, 3, 4, 18

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class InteractionRefused(ValueError):
    """Discord's client would not send this interaction."""


@dataclass(frozen=True)
class Upload:
    """A file a user attaches to an attachment option."""

    filename: str = "lunch.jpg"
    content_type: str = "image/jpeg"
    size: int = 184_320


class Interactions:
    """Builds and registers interaction payloads for :class:`~.world.World`."""

    def __init__(self, world: World) -> None:
        self.world = world

    # --- slash commands ----------------------------------------------------------------

    def command(self, user_id: str, path: str, /, **values: Any) -> JsonObject:
        """``/path`` (``"client add"`` for a subcommand) run by ``user_id`` in their DM."""
        data = self._command_data(path, values, focused=None)
        return self._issue(APPLICATION_COMMAND, user_id, data)

    def autocomplete(self, user_id: str, path: str, focused: str, /, **values: Any) -> JsonObject:
        """What Discord sends while ``user_id`` types into option ``focused``."""
        data = self._command_data(path, values, focused=focused)
        return self._issue(AUTOCOMPLETE, user_id, data)

    def _command_data(
        self, path: str, values: Mapping[str, Any], focused: str | None
    ) -> JsonObject:
        name, *rest = path.split()
        command = self.registered(name)
        schema: list[JsonObject] = command.get("options") or []
        if rest:
            sub = _named(schema, rest[0], f"/{name} has no subcommand {rest[0]!r}")
            schema = sub.get("options") or []
        resolved: JsonObject = {}
        options = [
            _option(_named(schema, key, f"/{path} has no option {key!r}"), value, resolved, focused)
            for key, value in values.items()
        ]
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise InteractionRefused(f"/{path} needs {', '.join(missing)}")
        data: JsonObject = {"id": command["id"], "name": name, "type": 1, "options": options}
        if rest:
            data["options"] = [{"type": SUBCOMMAND, "name": rest[0], "options": options}]
        if resolved:
            data["resolved"] = resolved
        return data

    def registered(self, name: str) -> JsonObject:
        for commands in self.world.commands.values():
            for command in commands:
                if command["name"] == name:
                    return command
        raise InteractionRefused(f"/{name} is not registered; sync the commands first")

    # --- components and modals -----------------------------------------------------------

    def click(self, user_id: str, message: JsonObject, custom_id: str) -> JsonObject:
        """``user_id`` presses the button ``custom_id`` on ``message`` (as it is now)."""
        current = self._current(message)
        components = _components(current.get("components") or [])
        button = next((c for c in components if c.get("custom_id") == custom_id), None)
        if button is None:
            raise InteractionRefused(f"no component {custom_id!r} on message {current['id']}")
        if button.get("disabled"):
            raise InteractionRefused(f"{custom_id!r} is disabled")
        data = {"custom_id": custom_id, "component_type": button["type"]}
        return self._issue(COMPONENT, user_id, data, message=current)

    def submit(
        self,
        opened: JsonObject,
        values: Mapping[str, str | list[str]],
        *,
        unchecked: bool = False,
    ) -> JsonObject:
        """The user fills in the modal the bot answered ``opened`` with, and submits it."""
        callback = self.world.interaction_callbacks.get(str(opened["id"]))
        if callback is None or callback.get("type") != MODAL_CALLBACK:
            raise InteractionRefused(f"the bot opened no modal for interaction {opened['id']}")
        modal = callback["data"]
        unknown = set(values) - {c.get("custom_id") for c in _components(modal["components"])}
        if unknown:
            raise InteractionRefused(f"the modal has no field {sorted(unknown)}")
        components = [_submitted(c, values, unchecked) for c in modal["components"]]
        data = {"custom_id": modal["custom_id"], "components": components}
        user_id = (opened.get("user") or {})["id"]
        message = opened.get("message")
        return self._issue(MODAL_SUBMIT, user_id, data, message=message)

    def _current(self, message: JsonObject) -> JsonObject:
        stored = self.world.find_message(str(message["channel_id"]), str(message["id"]))
        return stored if stored is not None else message

    # --- the envelope ------------------------------------------------------------------------

    def _issue(
        self, kind: int, user_id: str, data: JsonObject, message: JsonObject | None = None
    ) -> JsonObject:
        bot = next(iter(self.world.bots.values()), None)
        if bot is None:
            raise InteractionRefused("no bot has logged in to the simulator")
        channel = self.world.open_dm(user_id)
        payload: JsonObject = {
            "id": self.world.ids.next(),
            "application_id": bot["id"],
            "type": kind,
            "token": secrets.token_urlsafe(32),
            "version": 1,
            "data": data,
            "channel_id": channel["id"],
            "channel": {
                "id": channel["id"],
                "type": channel["type"],
                "flags": 0,
                "last_message_id": channel["last_message_id"],
                "recipients": channel["recipients"],
            },
            "user": user_object(user_id),
            "locale": "en-GB",
            "app_permissions": "562949953601536",
            "entitlements": [],
            # A guild-installed app used in its DM: Discord sends owner "0" for guild installs.
            "authorizing_integration_owners": {"0": "0"},
            "context": BOT_DM,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = message
        self.world.interactions[payload["id"]] = payload
        return payload


def _named(options: list[JsonObject], name: str, problem: str) -> JsonObject:
    found = next((o for o in options if o["name"] == name), None)
    if found is None:
        raise InteractionRefused(problem)
    return found


def _option(
    schema: JsonObject, value: Any, resolved: JsonObject, focused: str | None
) -> JsonObject:
    kind = schema["type"]
    option: JsonObject = {"name": schema["name"], "type": kind}
    if schema["name"] == focused:
        # While typing, Discord sends the raw text whatever the option's type.
        return {**option, "value": str(value), "focused": True}
    if kind == USER:
        user_id = str(value)
        resolved.setdefault("users", {})[user_id] = user_object(user_id)
        return {**option, "value": user_id}
    if kind == ATTACHMENT:
        upload = value if isinstance(value, Upload) else Upload(str(value))
        attachment_id = str(secrets.randbelow(10**18) + 10**18)
        url = (
            f"https://cdn.discordapp.com/ephemeral-attachments/1/{attachment_id}/"
            f"{upload.filename}?ex=0&is=0&hm={secrets.token_hex(32)}"
        )
        resolved.setdefault("attachments", {})[attachment_id] = {
            "id": attachment_id,
            "filename": upload.filename,
            "size": upload.size,
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": upload.content_type,
            "ephemeral": True,
        }
        return {**option, "value": attachment_id}
    converted: Any = {INTEGER: int, NUMBER: float, BOOLEAN: bool}.get(kind, str)(value)
    choices = schema.get("choices")
    if choices and converted not in [choice["value"] for choice in choices]:
        raise InteractionRefused(f"{converted!r} is not a choice of {schema['name']}")
    return {**option, "value": converted}


def _components(rows: list[JsonObject]) -> Iterator[JsonObject]:
    """Every interactive component, through action rows and labels."""
    for component in rows:
        if component.get("type") == ACTION_ROW:
            yield from _components(component.get("components") or [])
        elif component.get("type") == LABEL:
            yield from _components([component["component"]])
        else:
            yield component


def _submitted(
    component: JsonObject, values: Mapping[str, str | list[str]], unchecked: bool
) -> JsonObject:
    kind = component.get("type")
    if kind == ACTION_ROW:
        inner = [_submitted(c, values, unchecked) for c in component.get("components") or []]
        return {"type": ACTION_ROW, "components": inner}
    if kind == LABEL:
        return {
            "type": LABEL,
            "id": component.get("id", 0),
            "component": _submitted(component["component"], values, unchecked),
        }
    custom_id = component.get("custom_id")
    if kind == TEXT_INPUT:
        raw = values.get(custom_id or "", component.get("value") or "")
        text = raw if isinstance(raw, str) else " ".join(raw)
        if not unchecked:
            _check_text(component, text)
        return {
            "type": TEXT_INPUT,
            "id": component.get("id", 0),
            "custom_id": custom_id,
            "value": text,
        }
    if kind == STRING_SELECT:
        defaults = [o["value"] for o in component.get("options") or [] if o.get("default")]
        chosen = values.get(custom_id or "", defaults)
        chosen = [chosen] if isinstance(chosen, str) else list(chosen)
        offered = {o["value"] for o in component.get("options") or []}
        if not unchecked and not set(chosen) <= offered:
            raise InteractionRefused(f"{custom_id}: {chosen} are not all options")
        return {
            "type": STRING_SELECT,
            "id": component.get("id", 0),
            "custom_id": custom_id,
            "values": chosen,
        }
    return {"type": kind, "id": component.get("id", 0)}


def _check_text(component: JsonObject, text: str) -> None:
    name = component.get("custom_id")
    if component.get("required", True) and not text:
        raise InteractionRefused(f"{name} is required")
    if text and len(text) < component.get("min_length", 0):
        raise InteractionRefused(f"{name} is shorter than {component['min_length']}")
    if len(text) > component.get("max_length", 4000):
        raise InteractionRefused(f"{name} is longer than {component.get('max_length', 4000)}")
