"""POST /api/kb/search: `frontline kb search` answered by the running server.

The server holds the models and the index in memory, so it answers in milliseconds what a
fresh command needs seconds to load (and, with the embedded index, cannot even open while
the server holds it). It runs the very search the command runs on its own (the index's
hybrid search, shaped by knowledge/search_request.py), so the output is the same either way.

Who may ask: only a caller holding the key in the server record (app/config/server_record.py),
a file readable only by the user running the server. Anyone else gets 401 and no hits.
The endpoint reads and never writes. Errors are for the operator, in their words:
400 a question that cannot be searched, 404 an unknown tenant, 413 an oversized body.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.surfaces.web import json_error, read_json_body
from knowledge.search_request import hit_rows, query_problem, unknown_tenant

if TYPE_CHECKING:
    from app.config.server_record import ServerRecord
    from app.services import Services

log = logging.getLogger(__name__)


class KbSearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64)
    question: str
    limit: int = 5
    mode: str = "hybrid"
    language: str | None = None


def holds_key(record: ServerRecord | None, authorization: str | None) -> bool:
    """Whether the Authorization header carries this server's record key (constant time)."""
    scheme, _, offered = (authorization or "").partition(" ")
    return (record is not None and scheme.lower() == "bearer"
            and hmac.compare_digest(offered.strip().encode(), record.token.encode()))


def install_kb_api(app: FastAPI, services: Callable[[], Services | None],
                   record: Callable[[], ServerRecord | None]) -> None:
    @app.post("/api/kb/search", include_in_schema=False)
    async def kb_search(request: Request) -> Response:
        current = services()
        if current is None:
            return json_error(503, "starting", "Frontline is starting; try again in a few seconds.")
        if not holds_key(record(), request.headers.get("authorization")):
            log.warning("knowledge search refused: no valid server-record key")
            return json_error(401, "unauthorized", "Send the key from the server record in the data folder.")
        # room for the longest question a customer may send, in any script (4 bytes a character)
        room = 4 * current.settings.max_message_chars + 1024
        payload = await read_json_body(request, KbSearchRequest, "Expected a knowledge search", room)
        if isinstance(payload, Response):
            return payload
        problem = query_problem(payload.question, payload.limit, payload.mode, payload.language,
                                current.settings.max_message_chars)
        if problem is not None:
            log.info("knowledge search refused: %s", problem)
            return json_error(400, "invalid_request", problem)
        if current.tenants.get(payload.tenant) is None:
            return json_error(404, "unknown_tenant", unknown_tenant(payload.tenant))
        hits = await current.knowledge.index.search(
            payload.tenant, payload.question, payload.limit,
            mode=payload.mode, language=payload.language)  # type: ignore[arg-type]  # checked above
        return JSONResponse({"hits": hit_rows(hits)})
