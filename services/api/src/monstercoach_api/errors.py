"""One JSON shape for every error the api answers, and the handlers that produce it.

``{"error": {"code": "not_found", "message": "…", "details": […]}}``: ``code`` is stable
for programs, ``message`` is written for the coach reading it, ``details`` lists
field-level problems where there are any. Nothing internal (tracebacks, SQL, exception
text of unexpected errors) ever reaches a response; unexpected errors are logged whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from monstercoach_kit.log import get_logger

log = get_logger(__name__)


class ErrorDetail(BaseModel):
    field: str = Field(description="where the problem is, e.g. `body.targets.kcal`")
    message: str
    type: str = Field(description="machine-readable kind, e.g. `less_than_equal`")


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. `not_found`")
    message: str = Field(description="human-readable explanation")
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """Raise anywhere in a request to answer with the error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


# Codes for errors Starlette/FastAPI raise themselves (unknown route, wrong method…).
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}

DATABASE_UNAVAILABLE_MESSAGE = "The database is unavailable right now; try again shortly."


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error shape for ``statuses``."""
    return {
        status: {"model": ErrorResponse, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


def _field_errors(errors: Iterable[Mapping[str, Any]]) -> list[ErrorDetail]:
    return [
        ErrorDetail(
            field=".".join(str(part) for part in error.get("loc", ())),
            message=str(error.get("msg", "")),
            type=str(error.get("type", "")),
        )
        for error in errors
    ]


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


def _invalid(details: list[ErrorDetail]) -> JSONResponse:
    first = details[0] if details else None
    summary = f"{first.field}: {first.message}" if first else "the request is invalid"
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return error_response(422, "validation_error", f"Invalid request: {summary}{more}", details)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _invalid(_field_errors(exc.errors()))


# FastAPI answers 400 "There was an error parsing the body", a status no operation
# documents, when reading a JSON body fails other than by a JSONDecodeError (which it makes
# a 422). By the exception behind that 400, these are faults of the body itself: a 422
# too, in the same shape as JSON that does not parse.
_UNPARSABLE_BODY: dict[type[BaseException], str] = {
    UnicodeDecodeError: "the body is not UTF-8 JSON",
    RecursionError: "the body's JSON is nested too deeply",
}


def _unparsable_body(exc: StarletteHTTPException) -> str | None:
    if exc.status_code != 400:
        return None
    return next(
        (why for kind, why in _UNPARSABLE_BODY.items() if isinstance(exc.__cause__, kind)), None
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if (why := _unparsable_body(exc)) is not None:
        return _invalid([ErrorDetail(field="body", message=why, type="json_invalid")])
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    code = _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    return error_response(status, code, message, headers=exc.headers)


async def _database_lost(request: Request, exc: Exception) -> JSONResponse:
    # The connection went away mid-request (restart, failover): the client can retry.
    log.warning(
        "database connection lost", status="unavailable", path=request.url.path, error=repr(exc)
    )
    return error_response(503, "database_unavailable", DATABASE_UNAVAILABLE_MESSAGE)


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # Text the schemas accept but PostgreSQL cannot hold (a NUL character) or a value
    # outside a column's range: the request is at fault, and retrying cannot help.
    log.info("value refused by the database", status="invalid", path=request.url.path)
    return error_response(
        422,
        "unstorable_value",
        "The request holds a value that cannot be stored (such as a NUL character).",
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error",
        status="error",
        method=request.method,
        path=request.url.path,
        exc_info=exc,
    )
    return error_response(
        500, "internal_error", "Something went wrong on our side; it has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for lost in (
        asyncpg.PostgresConnectionError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.CannotConnectNowError,
    ):
        app.add_exception_handler(lost, _database_lost)
    app.add_exception_handler(asyncpg.DataError, _unstorable)
    # Starlette runs the handler for Exception in its outermost middleware, so even an
    # error raised by another middleware is answered in the shape.
    app.add_exception_handler(Exception, _unhandled)
