"""The aiohttp app: Discord's REST routes under ``/api/v10``, a control API under ``/_sim``.

Every Discord request passes one middleware that does what Discord's edge does:
authenticate the bot token, count it against the global limit (50/s per bot;
interaction and webhook-token routes are exempt, as on Discord), count it against its
route bucket, then apply any injected fault. Rate-limit headers and
``Via: 1.1 google`` go on the answers exactly where discord.py looks for them.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from .faults import Fault, FaultKind, Faults
from .gateway import (
    CLOSE_AUTHENTICATION_FAILED,
    CLOSE_DISALLOWED_INTENTS,
    HEARTBEAT,
    HEARTBEAT_ACK,
    HEARTBEAT_INTERVAL_MS,
    HELLO,
    IDENTIFY,
    MESSAGE_CONTENT,
    RESUME,
    Gateway,
    Session,
    ready_payload,
)
from .ratelimit import Buckets, BucketSpec, Window, bucket_hash, ceil_ms, retry_after_header
from .validation import is_empty, is_snowflake, message_problem
from .world import JsonObject, Stats, World, user_object

API = "/api/v10"

DEFAULT_ROUTE_LIMITS = {
    # Discord's documented per-channel message limit.
    "create_message": BucketSpec(5, 5.0),
    "edit_message": BucketSpec(5, 5.0),
    # Undocumented in Discord; generous here so only the global limit binds a DM burst.
    "create_dm": BucketSpec(50, 1.0),
    "get_me": BucketSpec(5, 1.0),
    "create_followup": BucketSpec(5, 5.0),
    "edit_original": BucketSpec(5, 5.0),
    # Discord's documented reaction limit: one per quarter second per channel.
    "add_reaction": BucketSpec(1, 0.25),
    # Undocumented; roomy enough that a test's restarts never wait on it.
    "bulk_commands": BucketSpec(10, 20.0),
}

TOKEN_ROUTES = frozenset(
    {"interaction_callback", "create_followup", "get_original", "edit_original"}
)
"""Authenticated by the interaction token, not the bot token, and outside the global limit."""

INTERACTION_REPLIES_WITH_MESSAGE = {4: False, 5: True}
"""Callback types that create the original response message → whether it is "loading"."""
DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = 6, 7, 8, 9
COMPONENT_INTERACTION, AUTOCOMPLETE_INTERACTION, MODAL_SUBMIT_INTERACTION = 3, 4, 5


DISCORD_GLOBAL_LIMIT = BucketSpec(50, 1.0)
"""50 requests per second per bot token."""


@dataclass(frozen=True)
class SimConfig:
    global_limit: BucketSpec = DISCORD_GLOBAL_LIMIT
    route_limits: dict[str, BucketSpec] = field(default_factory=dict)
    """Overrides of :data:`DEFAULT_ROUTE_LIMITS`, by route name."""
    nonce_window_seconds: float = 120.0
    """Discord: a nonce is enforced against the same author's messages of "the past few
    minutes"."""
    token: str | None = None
    """Accept only this bot token; ``None`` accepts any."""
    message_content_granted: bool = True
    """Whether the application was granted the privileged message-content intent."""


@dataclass
class SimState:
    config: SimConfig = field(default_factory=SimConfig)
    world: World = field(init=False)
    stats: Stats = field(default_factory=Stats)
    faults: Faults = field(default_factory=Faults)
    global_windows: dict[str, Window] = field(default_factory=dict)
    buckets: Buckets = field(init=False)
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    gateway: Gateway = field(init=False)

    def __post_init__(self) -> None:
        self.world = World(nonce_window_seconds=self.config.nonce_window_seconds)
        self.gateway = Gateway(message_content_granted=self.config.message_content_granted)
        self.buckets = Buckets({**DEFAULT_ROUTE_LIMITS, **self.config.route_limits})
        self.idle.set()

    def global_window(self, token: str) -> Window:
        window = self.global_windows.get(token)
        if window is None:
            window = self.global_windows[token] = Window(self.config.global_limit)
        return window


STATE = web.AppKey("state", SimState)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- responses ---------------------------------------------------------------------------


def discord_json(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly "application/json", no charset: discord.py decodes JSON only on that value.
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def discord_error(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: JsonObject = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return discord_json(body, status=status)


def invalid_form(field_path: str, message: str) -> web.Response:
    errors: dict[str, Any] = {}
    node = errors
    for part in field_path.split("."):
        node = node.setdefault(part, {})
    node["_errors"] = [{"code": "BASE_TYPE_INVALID", "message": message}]
    return discord_error(400, 50035, "Invalid Form Body", errors)


def rate_limited(
    retry_after: float, *, is_global: bool, bucket_headers: dict[str, str] | None = None
) -> web.Response:
    headers = {
        "Retry-After": retry_after_header(retry_after),
        "X-RateLimit-Scope": "global" if is_global else "user",
        **(bucket_headers or {}),
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": ceil_ms(retry_after),
        "global": is_global,
    }
    return discord_json(body, status=429, headers=headers)


def cloudflare_ban() -> web.Response:
    # What Cloudflare answers a client it blocked: HTML, no Via, no JSON body.
    return web.Response(
        status=429,
        text="<html><body>error code: 1015</body></html>",
        content_type="text/html",
        headers={"Server": "cloudflare", "Retry-After": "60"},
    )


# --- the edge: auth, limits, faults ---------------------------------------------------


def bot_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bot" and token else None


def major_parameter(request: web.Request) -> str:
    info = request.match_info
    return info.get("channel_id") or info.get("token") or ""


async def apply_fault(fault: Fault, stats: Stats) -> web.Response | None:
    """The answer a fault forces, or ``None`` when the request should go on (a hang)."""
    stats.injected[fault.kind.value] += 1
    if fault.kind is FaultKind.HANG:
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind is FaultKind.ERROR:
        return discord_error(fault.status, 0, f"{fault.status}: Internal Server Error")
    if not fault.via:
        return cloudflare_ban()
    return rate_limited(fault.seconds, is_global=fault.is_global)


def bot_gate(state: SimState, request: web.Request, now: float) -> web.Response | None:
    """The bot token and the global limit: the refusal, or ``None`` to go on."""
    token = bot_token(request)
    if token is None or (state.config.token is not None and token != state.config.token):
        return discord_error(401, 0, "401: Unauthorized")
    state.stats.record_arrival(now)
    wait = state.global_window(token).hit(now)
    if wait is not None:
        state.stats.global_429s += 1
        return rate_limited(wait, is_global=True)
    return None


async def through_edge(
    state: SimState, request: web.Request, handler: Handler
) -> web.StreamResponse:
    route = request.match_info.route.name or ""
    now = time.monotonic()
    if route not in TOKEN_ROUTES:
        refused = bot_gate(state, request, now)
        if refused is not None:
            return refused
    window = state.buckets.window(route, major_parameter(request))
    headers: dict[str, str] = {}
    if window is not None:
        wait = window.hit(now)
        headers = window.headers(now, bucket_hash(route))
        if wait is not None:
            state.stats.route_429s += 1
            return rate_limited(wait, is_global=False, bucket_headers=headers)
    # Discord has the whole request before anything goes wrong: a client that gives up
    # on a hung request has still sent it.
    await request.read()
    fault = state.faults.take(route)
    if fault is not None:
        forced = await apply_fault(fault, state.stats)
        if forced is not None:
            return forced
    response = await handler(request)
    response.headers.update(headers)
    return response


@web.middleware
async def discord_edge(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route.name
    if route is None:
        return discord_error(404, 0, "404: Not Found")
    if route.startswith("sim_") or route == "gateway":
        return await handler(request)
    state = request.app[STATE]
    state.stats.requests[route] += 1
    state.in_flight += 1
    state.stats.peak_in_flight = max(state.stats.peak_in_flight, state.in_flight)
    state.idle.clear()
    try:
        response = await through_edge(state, request, handler)
    finally:
        state.in_flight -= 1
        if not state.in_flight:
            state.idle.set()
    state.stats.statuses[response.status] += 1
    state.world.changed()  # whoever waits on the world may be waiting on the counters
    if response.headers.get("Server") != "cloudflare":
        response.headers["Via"] = "1.1 google"
    return response


# --- Discord routes ---------------------------------------------------------------------


async def json_body(request: web.Request) -> JsonObject:
    try:
        body = await request.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


def authenticated_bot(request: web.Request) -> JsonObject:
    """The bot user of the token the edge already accepted."""
    return request.app[STATE].world.bot_for(bot_token(request) or "")


async def get_me(request: web.Request) -> web.Response:
    return discord_json(authenticated_bot(request))


async def get_application(request: web.Request) -> web.Response:
    bot = authenticated_bot(request)
    return discord_json(
        {
            "id": bot["id"],
            "name": "MonsterCoach (simulated)",
            "description": "",
            "icon": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": user_object(bot["id"]),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": bot,
        }
    )


async def create_dm(request: web.Request) -> web.Response:
    state = request.app[STATE]
    recipient = str((await json_body(request)).get("recipient_id", ""))
    if not is_snowflake(recipient):
        return invalid_form("recipient_id", "Value is not snowflake.")
    if recipient in state.faults.unknown_users:
        return discord_error(404, 10013, "Unknown User")
    return discord_json(state.world.open_dm(recipient))


async def create_message(request: web.Request) -> web.Response:
    state, world = request.app[STATE], request.app[STATE].world
    channel_id = request.match_info["channel_id"]
    if channel_id not in world.messages:
        return discord_error(404, 10003, "Unknown Channel")
    body = await json_body(request)
    problem = message_problem(body)
    if problem:
        return invalid_form(*problem)
    if is_empty(body):
        return discord_error(400, 50006, "Cannot send an empty message")
    nonce = None if body.get("nonce") is None else str(body["nonce"])
    author = authenticated_bot(request)
    if nonce is not None and body.get("enforce_nonce"):
        earlier = world.replay_nonce(author["id"], nonce)
        if earlier is not None:
            state.stats.nonce_replays += 1
            return discord_json(earlier)
    if world.recipients.get(channel_id) in state.faults.dms_closed:
        return discord_error(403, 50007, "Cannot send messages to this user")
    message = world.create_message(channel_id, author, body, nonce=nonce)
    state.stats.messages_created += 1
    return discord_json(message)


def edit(message: JsonObject, body: JsonObject) -> JsonObject:
    for key in ("content", "components", "embeds", "flags"):
        if key in body:
            message[key] = body[key]
    message["edited_timestamp"] = datetime.now(UTC).isoformat()
    return message


async def edit_message(request: web.Request) -> web.Response:
    world = request.app[STATE].world
    info = request.match_info
    message = world.find_message(info["channel_id"], info["message_id"])
    if message is None:
        return discord_error(404, 10008, "Unknown Message")
    body = await json_body(request)
    problem = message_problem(body)
    if problem:
        return invalid_form(*problem)
    edited = edit(message, body)
    world.changed()
    return discord_json(edited)


async def add_reaction(request: web.Request) -> web.StreamResponse:
    world = request.app[STATE].world
    info = request.match_info
    if world.find_message(info["channel_id"], info["message_id"]) is None:
        return discord_error(404, 10008, "Unknown Message")
    world.reactions.setdefault(info["message_id"], []).append(info["emoji"])
    world.changed()
    return web.Response(status=204)


COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def command_problem(command: JsonObject, where: str) -> tuple[str, str] | None:
    name = str(command.get("name", ""))
    if not COMMAND_NAME.match(name) or name != name.lower():
        return f"{where}.name", "Command name is invalid"
    if not 1 <= len(command.get("description") or "") <= 100:
        return f"{where}.description", "Must be between 1 and 100 in length."
    options = command.get("options") or []
    if len(options) > 25:
        return f"{where}.options", "Must be 25 or fewer in length."
    for i, option in enumerate(options):
        problem = command_problem(option, f"{where}.options.{i}")
        if problem:
            return problem
    return None


async def bulk_commands(request: web.Request) -> web.Response:
    """Overwrite the application's global commands (what ``CommandTree.sync`` sends)."""
    state = request.app[STATE]
    application_id = request.match_info["application_id"]
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, list):
        return invalid_form("_root", "Must be an array.")
    for i, command in enumerate(body):
        problem = command_problem(command, str(i))
        if problem:
            return invalid_form(*problem)
    stored = [
        {
            "id": state.world.ids.next(),
            "application_id": application_id,
            "version": state.world.ids.next(),
            "type": 1,
            **command,
        }
        for command in body
    ]
    state.world.commands[application_id] = stored
    state.world.changed()
    return discord_json(stored)


def application_author(world: World) -> JsonObject:
    # Interaction replies are authored by the application's bot user.
    return next(iter(world.bots.values()), None) or world.bot_for("")


def callback_problem(
    kind: int, data: JsonObject, interaction: JsonObject | None
) -> tuple[str, str] | None:
    """What Discord refuses in a callback body (the checks a bot can get wrong)."""
    issued_as = None if interaction is None else interaction["type"]
    if kind in INTERACTION_REPLIES_WITH_MESSAGE or kind == UPDATE_MESSAGE:
        problem = message_problem(data)
        if problem:
            return problem
    updates = kind in (DEFERRED_UPDATE, UPDATE_MESSAGE)
    if updates and interaction is not None and interaction.get("message") is None:
        return "type", "This interaction has no message to update."
    if kind == AUTOCOMPLETE_RESULT:
        if issued_as not in (None, AUTOCOMPLETE_INTERACTION):
            return "type", "Autocomplete results answer autocomplete interactions only."
        return autocomplete_problem(data.get("choices"))
    if kind == MODAL:
        if issued_as in (AUTOCOMPLETE_INTERACTION, MODAL_SUBMIT_INTERACTION):
            return "type", "A modal cannot answer a modal submit or autocomplete."
        return modal_problem(data)
    return None


async def interaction_callback(request: web.Request) -> web.StreamResponse:
    world = request.app[STATE].world
    interaction_id, token = request.match_info["interaction_id"], request.match_info["token"]
    if interaction_id in world.interaction_callbacks:
        return discord_error(400, 40060, "Interaction has already been acknowledged.")
    interaction = world.interactions.get(interaction_id)
    if interaction is not None and interaction["token"] != token:
        return discord_error(401, 50027, "Invalid Webhook Token")
    body = await json_body(request)
    kind = int(body.get("type", 0))
    data = body.get("data") or {}
    problem = callback_problem(kind, data, interaction)
    if problem:
        return invalid_form(f"data.{problem[0]}", problem[1])
    world.interaction_callbacks[interaction_id] = {"token": token, **body}
    message = None
    if kind in INTERACTION_REPLIES_WITH_MESSAGE:
        # A reply to an interaction the simulator issued goes in that interaction's channel
        # (only a public one in its history); otherwise in a channel of its own.
        ephemeral = bool(int(data.get("flags", 0)) & 64)
        message = world.create_message(
            f"interaction:{token}" if interaction is None else str(interaction["channel_id"]),
            application_author(world),
            data,
            nonce=None,
            listed=interaction is not None and not ephemeral,
        )
        if INTERACTION_REPLIES_WITH_MESSAGE[kind]:
            message["flags"] = int(data.get("flags", 0)) | 128  # LOADING: "is thinking…"
        world.webhook_messages[token] = [message]
    elif kind == UPDATE_MESSAGE and interaction is not None:
        # The message the component was on, edited in place (in the world, if it is there).
        shown = interaction["message"]
        message = world.find_message(str(shown["channel_id"]), str(shown["id"])) or shown
        edit(message, data)
        world.webhook_messages[token] = [message]
    world.changed()
    if request.query.get("with_response") not in ("1", "true"):
        return web.Response(status=204)
    reply: JsonObject = {
        "interaction": {
            "id": interaction_id,
            "type": 2 if interaction is None else interaction["type"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags", 0)) & 64),
        },
        "resource": {"type": kind},
    }
    if message is not None:
        reply["interaction"]["response_message_id"] = message["id"]
        reply["resource"]["message"] = message
    return discord_json(reply)


def autocomplete_problem(choices: Any) -> tuple[str, str] | None:
    if not isinstance(choices, list) or len(choices) > 25:
        return "choices", "Must be 25 or fewer in length."
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            return f"choices.{i}.name", "Must be between 1 and 100 in length."
        if len(str(choice.get("value", ""))) > 100:
            return f"choices.{i}.value", "Must be 100 or fewer in length."
    return None


def modal_problem(modal: JsonObject) -> tuple[str, str] | None:
    if not 1 <= len(modal.get("title") or "") <= 45:
        return "title", "Must be between 1 and 45 in length."
    if not 1 <= len(modal.get("custom_id") or "") <= 100:
        return "custom_id", "Must be between 1 and 100 in length."
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        return "components", "Must be between 1 and 5 in length."
    for i, component in enumerate(components):
        if component.get("type") == 18 and not 1 <= len(component.get("label") or "") <= 45:
            return f"components.{i}.label", "Must be between 1 and 45 in length."
        inner = component.get("component") or {}
        if inner.get("type") == 4 and int(inner.get("max_length", 4000)) > 4000:
            return f"components.{i}.component.max_length", "Must be 4000 or less."
    return None


def _known_token(world: World, token: str) -> bool:
    return any(cb["token"] == token for cb in world.interaction_callbacks.values())


async def create_followup(request: web.Request) -> web.StreamResponse:
    world = request.app[STATE].world
    token = request.match_info["token"]
    if not _known_token(world, token):
        return discord_error(404, 10015, "Unknown Webhook")
    body = await json_body(request)
    problem = message_problem(body)
    if problem:
        return invalid_form(*problem)
    message = world.create_message(
        f"interaction:{token}", application_author(world), body, nonce=None
    )
    world.webhook_messages.setdefault(token, []).append(message)
    if request.query.get("wait") in ("1", "true"):
        return discord_json(message)
    return web.Response(status=204)


async def get_original(request: web.Request) -> web.Response:
    messages = request.app[STATE].world.webhook_messages.get(request.match_info["token"])
    if not messages:
        return discord_error(404, 10008, "Unknown Message")
    return discord_json(messages[0])


async def edit_original(request: web.Request) -> web.Response:
    messages = request.app[STATE].world.webhook_messages.get(request.match_info["token"])
    if not messages:
        return discord_error(404, 10008, "Unknown Message")
    body = await json_body(request)
    problem = message_problem(body)
    if problem:
        return invalid_form(*problem)
    original = edit(messages[0], body)
    original["flags"] = int(original.get("flags", 0)) & ~128  # answered: no longer loading
    request.app[STATE].world.changed()
    return discord_json(original)


# --- gateway ------------------------------------------------------------------------------


async def gateway(request: web.Request) -> web.WebSocketResponse:
    """discord.py's gateway connection (``DiscordWebSocket.DEFAULT_GATEWAY`` aimed here)."""
    state = request.app[STATE]
    compress = request.query.get("compress")
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    if compress not in (None, "zlib-stream"):
        await ws.close(code=4000, message=f"unsupported compress={compress}".encode())
        return ws
    session = Session(ws, zlib.compressobj() if compress else None)
    await session.send({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d") or {}
            if op == HEARTBEAT:
                await session.send({"op": HEARTBEAT_ACK})
            elif op in (IDENTIFY, RESUME):
                await _start_session(state, request, session, op, data)
    finally:
        if session in state.gateway.sessions:
            state.gateway.sessions.remove(session)
    return ws


async def _start_session(
    state: SimState, request: web.Request, session: Session, op: int, data: JsonObject
) -> None:
    token = str(data.get("token", ""))
    if not token or (state.config.token is not None and token != state.config.token):
        await session.ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
        return
    if op == RESUME:
        await session.dispatch("RESUMED", {})
    else:
        intents = int(data.get("intents", 0))
        if intents & MESSAGE_CONTENT and not state.gateway.message_content_granted:
            await session.ws.close(code=CLOSE_DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        session.intents = intents
        state.gateway.identified.append(data)
        resume_url = f"ws://{request.host}/gateway"
        bot = state.world.bot_for(token)
        await session.dispatch("READY", ready_payload(bot, session, resume_url))
    state.gateway.sessions.append(session)
    state.world.changed()


# --- control API --------------------------------------------------------------------------


async def sim_stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response(
        {**state.stats.as_json(), "message_counts": state.world.message_counts()}
    )


async def sim_reset_stats(request: web.Request) -> web.Response:
    """Zero the counters (not the world): a benchmark measures each pass on its own."""
    request.app[STATE].stats = Stats()
    return web.json_response({"ok": True})


async def sim_user_messages(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].world.messages_to(request.match_info["user_id"]))


async def sim_add_fault(request: web.Request) -> web.Response:
    """``{"kind": "error"|"hang"|"rate_limit", …}`` or ``{"kind": "dms_closed"|
    "unknown_user", "user_ids": […]}``."""
    faults = request.app[STATE].faults
    body = await json_body(request)
    kind = body.get("kind")
    try:
        if kind == "dms_closed":
            faults.close_dms(*map(str, body["user_ids"]))
        elif kind == "unknown_user":
            faults.make_unknown(*map(str, body["user_ids"]))
        else:
            faults.active.append(Fault.from_json(body))
    except (KeyError, TypeError, ValueError) as exc:
        return web.json_response({"error": f"bad fault: {exc!r}"}, status=400)
    return web.json_response({"ok": True})


async def sim_clear_faults(request: web.Request) -> web.Response:
    request.app[STATE].faults.clear()
    return web.json_response({"ok": True})


def build_app(state: SimState) -> web.Application:
    app = web.Application(middlewares=[discord_edge])
    app[STATE] = state
    routes = [
        web.get(f"{API}/users/@me", get_me, name="get_me"),
        web.get(f"{API}/oauth2/applications/@me", get_application, name="get_application"),
        web.post(f"{API}/users/@me/channels", create_dm, name="create_dm"),
        web.post(f"{API}/channels/{{channel_id}}/messages", create_message, name="create_message"),
        web.patch(
            f"{API}/channels/{{channel_id}}/messages/{{message_id}}",
            edit_message,
            name="edit_message",
        ),
        web.put(
            f"{API}/channels/{{channel_id}}/messages/{{message_id}}/reactions/{{emoji}}/@me",
            add_reaction,
            name="add_reaction",
        ),
        web.put(
            f"{API}/applications/{{application_id}}/commands",
            bulk_commands,
            name="bulk_commands",
        ),
        web.get("/gateway", gateway, name="gateway"),
        web.post(
            f"{API}/interactions/{{interaction_id}}/{{token}}/callback",
            interaction_callback,
            name="interaction_callback",
        ),
        web.post(
            f"{API}/webhooks/{{application_id}}/{{token}}", create_followup, name="create_followup"
        ),
        web.get(
            f"{API}/webhooks/{{application_id}}/{{token}}/messages/@original",
            get_original,
            name="get_original",
        ),
        web.patch(
            f"{API}/webhooks/{{application_id}}/{{token}}/messages/@original",
            edit_original,
            name="edit_original",
        ),
        web.get("/_sim/stats", sim_stats, name="sim_stats"),
        web.delete("/_sim/stats", sim_reset_stats, name="sim_reset_stats"),
        web.get("/_sim/users/{user_id}/messages", sim_user_messages, name="sim_user_messages"),
        web.post("/_sim/faults", sim_add_fault, name="sim_add_fault"),
        web.delete("/_sim/faults", sim_clear_faults, name="sim_clear_faults"),
    ]
    app.add_routes(routes)
    return app
