"""Refuse request bodies over a size limit with 413 in the error shape.

Every body this api accepts is a small JSON document (the longest is a 2,000-character
note), so the body is read here up to the limit before the app sees it: a declared
``Content-Length`` over the limit is refused before reading anything, and a chunked body
is refused as soon as it grows past the limit, never buffered whole.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response

MAX_BODY_BYTES = 64 * 1024
"""Thirty times the largest body a coach can send (a 2,000-character note, escaped)."""


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, too_large=declared.isdigit())
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send, too_large=True)
                return
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, too_large: bool) -> None:
        if too_large:
            response = error_response(
                413, "payload_too_large", f"The request body is over {self.max_bytes:,} bytes."
            )
        else:
            response = error_response(400, "bad_request", "Content-Length is not a number.")
        await response(scope, receive, send)


def _replay(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the already-read body, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return replay
