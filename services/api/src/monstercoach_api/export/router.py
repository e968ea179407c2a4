"""``/clients/{id}/export.json`` and ``/clients/{id}/export.zip``: the full record."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import Response

from ..clock import NowDep
from ..db import ConnectionDep
from ..errors import error_responses
from ..routing import coach_router
from .schemas import ClientExport
from .service import client_export, csv_zip

router = coach_router("export")


def _attachment(response: Response, client_id: UUID, now: datetime, suffix: str) -> None:
    name = f"monstercoach-client-{client_id}-{now:%Y-%m-%d}.{suffix}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'


@router.get("/clients/{client_id}/export.json", responses=error_responses(404, 422))
async def client_export_json(
    client_id: UUID, conn: ConnectionDep, now: NowDep, response: Response
) -> ClientExport:
    """Everything recorded about the client, as one JSON document (a download)."""
    export = await client_export(conn, client_id, now)
    _attachment(response, client_id, now, "json")
    return export


@router.get(
    "/clients/{client_id}/export.zip",
    response_class=Response,
    responses={
        **error_responses(404, 422),
        200: {
            "description": "a zip of CSV files, one per section (UTF-8 with BOM)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
async def client_export_csv(client_id: UUID, conn: ConnectionDep, now: NowDep) -> Response:
    """The same record as CSV files (profile, check-ins, meals, …) in one zip."""
    response = Response(
        csv_zip(await client_export(conn, client_id, now)), media_type="application/zip"
    )
    _attachment(response, client_id, now, "zip")
    return response
