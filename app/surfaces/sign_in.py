"""POST /login with a lockout check in front of Chainlit's own sign-in route.

Failed agent sign-ins are counted per account and per address (guardrails/abuse_limits.py) by the
password callback in app/surfaces/chainlit_app.py. Chainlit swallows whatever that callback raises
(a generic 401 is all it can answer), so a locked sign-in is refused here, before Chainlit
reads the password, with 429 and a sentence saying how long to wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from chainlit.server import login as chainlit_login
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from app.surfaces.http_security import CLIENT_ADDRESS
from guardrails.abuse_limits import minutes

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)


def locked_answer(wait: float) -> JSONResponse:
    count = minutes(wait)
    return JSONResponse({"detail": f"Too many attempts; try again in {count} minute{'' if count == 1 else 's'}."},
                        status_code=429, headers={"Retry-After": str(int(wait) + 1)})


def install_sign_in_throttle(app: FastAPI, services: Callable[[], Services | None]) -> None:
    """Answer POST /login first: a locked account or address gets 429, the rest goes on to Chainlit."""
    router = APIRouter()

    @router.post("/login")
    async def login(request: Request, response: Response,
                    form_data: OAuth2PasswordRequestForm = Depends()) -> Response:  # noqa: B008 (FastAPI's way)
        current = services()
        address = CLIENT_ADDRESS.get()
        wait = current.abuse.sign_in.wait(form_data.username, address) if current else 0.0
        if wait:
            log.warning("agent sign-in for %r from %s refused: locked for %.0f s more",
                        form_data.username[:100], address, wait)
            return locked_answer(wait)
        return await chainlit_login(request, response, form_data)

    app.router.routes[:0] = list(router.routes)  # ahead of Chainlit's /login
