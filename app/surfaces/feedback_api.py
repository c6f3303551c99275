"""PUT/DELETE /feedback with an owner check, in place of Chainlit's own routes.

Chainlit's /feedback routes hand the data layer a message id and nothing about who asks, so
any signed-in user could rate any message of any company, and an unknown id answered 500.
These routes answer the same paths first: the signed-in customer may rate only messages of
their own conversations; anything else, unknown or someone else's, is one 404.
"""

from __future__ import annotations

import logging
from typing import Annotated

from chainlit.auth import get_current_user
from chainlit.data import get_data_layer
from chainlit.types import DeleteFeedbackRequest, UpdateFeedbackRequest
from chainlit.user import PersistedUser, User
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse

from app.surfaces.datalayer import FrontlineDataLayer

log = logging.getLogger(__name__)

CurrentUser = Annotated[User | PersistedUser | None, Depends(get_current_user)]


def _not_found() -> JSONResponse:
    return JSONResponse({"detail": "No such message or feedback in your conversations."}, status_code=404)


def _data_layer() -> FrontlineDataLayer | None:
    layer = get_data_layer()
    return layer if isinstance(layer, FrontlineDataLayer) else None


def install_feedback_routes(app: FastAPI) -> None:
    """Add the owner-checked /feedback routes ahead of Chainlit's (the first match answers)."""
    router = APIRouter()

    @router.put("/feedback")
    async def update_feedback(update: UpdateFeedbackRequest, user: CurrentUser) -> JSONResponse:
        layer = _data_layer()
        if user is None or layer is None:
            return JSONResponse({"detail": "Unauthorized"}, status_code=401)
        feedback_id = await layer.upsert_feedback(update.feedback, owner=user.identifier)
        if feedback_id is None:
            log.info("feedback refused: %s may not rate message %r", user.identifier, update.feedback.forId[:100])
            return _not_found()
        return JSONResponse({"success": True, "feedbackId": feedback_id})

    @router.delete("/feedback")
    async def delete_feedback(payload: DeleteFeedbackRequest, user: CurrentUser) -> JSONResponse:
        layer = _data_layer()
        if user is None or layer is None:
            return JSONResponse({"detail": "Unauthorized"}, status_code=401)
        if not await layer.delete_feedback(payload.feedbackId, owner=user.identifier):
            log.info("feedback removal refused: %s has no feedback %r", user.identifier, payload.feedbackId[:100])
            return _not_found()
        return JSONResponse({"success": True})

    ours = list(router.routes)
    app.router.routes[:0] = ours  # ahead of Chainlit's /feedback routes
