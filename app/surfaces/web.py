"""Frontline's HTTP routes next to Chainlit's: health, widget sessions, the demo site,
help-center article pages, and the socket.io origin policy."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import jwt
from chainlit.auth import create_jwt, set_auth_cookie
from chainlit.auth.cookie import get_token_from_cookies
from chainlit.auth.jwt import get_jwt_secret
from chainlit.user import User
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import cookie_parser

from app.config.settings import PROJECT_ROOT
from app.core.config_file import validation_problems
from app.core.errors import AuthError
from app.core.i18n import say
from app.surfaces.analytics_api import install_analytics_route
from app.surfaces.auth import customer_user_fields, sign_identity_token, verify_identity_token
from app.surfaces.feedback_api import install_feedback_routes
from app.surfaces.health import readiness
from app.surfaces.http_security import CLIENT_ADDRESS
from app.surfaces.metrics_api import install_metrics_route
from app.surfaces.sign_in import install_sign_in_throttle
from guardrails.abuse_limits import minutes
from knowledge.chunking import anchor_for

if TYPE_CHECKING:
    from app.config.tenants import Tenant
    from app.services import Services

log = logging.getLogger(__name__)
Body = TypeVar("Body", bound=BaseModel)

DEMO_SITE = PROJECT_ROOT / "demo" / "site" / "index.html"
_DOC_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,300}$")  # ids are operators' own text (knowledge/loaders/ids.py)
MAX_BODY_BYTES = 16_384


class WidgetSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64)
    identity: str | None = Field(default=None, max_length=4096)
    locale: str | None = Field(default=None, max_length=35)


def json_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


async def read_json_body(request: Request, model: type[Body], what: str,
                         max_bytes: int = MAX_BODY_BYTES) -> Body | JSONResponse:
    """The request's JSON body as `model` (no body: the model's defaults), or the error to
    answer: 413 beyond `max_bytes`, 400 naming every field that fails (after `what`).

    The body is read in chunks and reading stops one byte past the cap, so a huge or endless
    (chunked) body costs the server at most `max_bytes` of memory, whatever it declares."""
    declared = request.headers.get("content-length", "")
    too_large = json_error(413, "too_large", f"The request body exceeds {max_bytes} bytes.")
    if declared.isdigit() and int(declared) > max_bytes:
        return too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            log.info("request body to %s refused: over %d bytes", request.url.path, max_bytes)
            return too_large
    try:
        return model.model_validate_json(bytes(raw).strip() or b"{}")
    except ValidationError as exc:
        return json_error(400, "invalid_request", f"{what}: {validation_problems(exc, 'body')}")


def install_routes(app: FastAPI, services: Callable[[], Services | None]) -> None:
    """Add Frontline's routes, then move Chainlit's catch-all page route behind them."""

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        current = services()
        if current is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        ready, report = await readiness(current)
        return JSONResponse(report, status_code=200 if ready else 503)

    @app.post("/api/widget/session")
    async def widget_session(request: Request) -> Response:
        current = services()
        if current is None:
            return json_error(503, "starting", "Frontline is starting; try again in a few seconds.")
        payload = await read_json_body(request, WidgetSessionRequest, 'Expected JSON {"tenant": "<id>"}')
        if isinstance(payload, Response):
            return payload
        tenant = current.tenants.get(payload.tenant)
        if tenant is None:
            return json_error(404, "unknown_tenant", f"No tenant with id {payload.tenant!r}.")
        origin = request.headers.get("origin")
        if origin and origin not in allowed_origins(current, tenant.id):
            log.warning("widget session refused for %s from origin %s", tenant.id, origin)
            return json_error(403, "origin_not_allowed", f"The origin {origin} may not embed this widget.")
        address = CLIENT_ADDRESS.get() or (request.client.host if request.client else None)
        if wait := current.abuse.widget_sessions.admit(tenant.id, address):
            language = (payload.locale or "").split("-")[0].lower() or tenant.default_language
            response = json_error(429, "rate_limited", say("session.rate_limited", language, minutes=minutes(wait)))
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        customer_id = None
        if payload.identity is not None:
            try:
                customer_id = verify_identity_token(tenant, payload.identity)
            except AuthError as exc:
                log.info("identity token refused for tenant %s: %s", tenant.id, exc)
                return json_error(401, "invalid_identity", str(exc))
        fields = customer_user_fields(tenant, customer_id, payload.locale)
        if customer_id is None and (returning := _returning_guest(request, tenant.id)):
            fields["identifier"] = returning  # same guest after a reload: their chat resumes
        token = create_jwt(User(**fields))
        response = JSONResponse({"token": token, "verified": customer_id is not None,
                                 "user": fields["identifier"]})
        # Signed in before the widget mounts: its first /user call already succeeds.
        set_auth_cookie(request, response, token)
        return response

    @app.get("/demo")
    async def demo_site(request: Request, customer: str | None = None, lang: str | None = None) -> Response:
        current = services()
        tenant = current.tenants.get("demo") if current else None
        if tenant is None or not DEMO_SITE.is_file():
            return HTMLResponse("<h1>The demo tenant is not configured.</h1>", status_code=404)
        identity = sign_identity_token(tenant, customer) if customer else None
        snippet = widget_snippet(tenant, identity, lang)
        page = DEMO_SITE.read_text(encoding="utf-8").replace("<!-- FRONTLINE_WIDGET -->", snippet)
        return HTMLResponse(page)

    @app.get("/chat/{tenant_id}")
    async def full_page_chat(request: Request, tenant_id: str, lang: str | None = None) -> Response:
        """The full-page web UI for a guest customer: sign in as a guest, then open the chat."""
        current = services()
        tenant = current.tenants.get(tenant_id) if current else None
        if tenant is None:
            return HTMLResponse("<h1>Unknown company</h1>", status_code=404)
        token = create_jwt(User(**customer_user_fields(tenant, None, lang)))
        response = RedirectResponse("/", status_code=303)
        set_auth_cookie(request, response, token)
        return response

    @app.get("/kb/{tenant_id}/{doc_id:path}")
    async def article(tenant_id: str, doc_id: str) -> Response:
        """An ingested document as a readable page: what citations without a public URL link to."""
        current = services()
        tenant = current.tenants.get(tenant_id) if current else None
        document = (await current.knowledge.document(tenant_id, doc_id)
                    if current and tenant and _DOC_ID.match(doc_id) else None)
        if tenant is None or document is None:
            return HTMLResponse("<h1>Article not found</h1>", status_code=404)
        return HTMLResponse(render_article(tenant.name, document.title, document.body))

    install_feedback_routes(app)
    install_analytics_route(app, services)
    install_metrics_route(app, services)
    install_sign_in_throttle(app, services)
    move_catch_all_last(app)


def move_catch_all_last(app: FastAPI) -> None:
    """Chainlit serves its single-page app from `/{full_path:path}`, which would answer every
    GET added after it; put it (or the included router holding it) back at the end."""

    def holds_catch_all(entry: object) -> bool:
        if getattr(entry, "path", None) == "/{full_path:path}":
            return True
        inner = getattr(entry, "original_router", None)
        return inner is not None and any(holds_catch_all(r) for r in inner.routes)

    routes = app.router.routes
    for entry in [r for r in routes if holds_catch_all(r)]:
        routes.remove(entry)
        routes.append(entry)


def widget_snippet(tenant: Tenant, identity: str | None, locale: str | None) -> str:
    """The script a company site adds to embed the widget (the demo site uses it as is): the
    widget speaks the customer's locale and wears the company's name and colour."""
    request = {"tenant": tenant.id, "identity": identity, "locale": locale or None}
    brand = {"name": tenant.name, "color": tenant.widget.color}
    return f"""<script src="/copilot/index.js"></script>
<script src="/public/frontline-widget.js"></script>
<script>
(async function () {{
  const request = {_script_json(request)};
  if (!request.locale) request.locale = navigator.language;
  const response = await fetch("/api/widget/session", {{
    method: "POST", credentials: "include",
    headers: {{"Content-Type": "application/json"}}, body: JSON.stringify(request)
  }});
  if (!response.ok) {{ console.error("Support chat unavailable", await response.text()); return; }}
  const session = await response.json();
  // A different visitor (guest -> signed in, or another account) must not resume the last
  // chat: forget the thread id the copilot keeps in localStorage before it mounts.
  if (localStorage.getItem("frontline.user") !== session.user) {{
    localStorage.removeItem("chainlit-copilot-thread-id");
    localStorage.setItem("frontline.user", session.user);
  }}
  window.mountChainlitWidget({{
    chainlitServer: window.location.origin,
    accessToken: session.token,
    language: window.FrontlineWidget.language(request.locale),
    theme: "light"
  }});
  window.FrontlineWidget.brand({_script_json(brand)});
}})();
</script>"""


def _script_json(value: object) -> str:
    """JSON safe inside an inline <script> (a tenant name with "</script>" cannot end it)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_article(company: str, title: str, body: str) -> str:
    """A plain, readable page for an article (headings, lists, paragraphs)."""
    blocks, in_list = [], False
    for line in body.splitlines():
        stripped = line.strip()
        item = re.match(r"^(?:[-*]|\d+\.)\s+(.*)", stripped)
        if item:
            if not in_list:
                blocks.append("<ul>")
                in_list = True
            blocks.append(f"<li>{_inline(item.group(1))}</li>")
            continue
        if in_list:
            blocks.append("</ul>")
            in_list = False
        if heading := re.match(r"^(#{2,4})\s+(.*)", stripped):
            level = len(heading.group(1))
            anchor = html.escape(anchor_for(heading.group(2)))
            blocks.append(f'<h{level} id="{anchor}">{_inline(heading.group(2))}</h{level}>')
        elif stripped:
            blocks.append(f"<p>{_inline(stripped)}</p>")
    if in_list:
        blocks.append("</ul>")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)} · {html.escape(company)} Help Center</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
            "line-height:1.6;color:#1f2937}h1{color:#0f766e}</style></head><body>"
            f"<p>{html.escape(company)} Help Center</p><h1>{html.escape(title)}</h1>"
            + "\n".join(blocks) + "</body></html>")


def _inline(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


def allowed_origins(services: Services, tenant_id: str) -> set[str]:
    tenant = services.tenants.get(tenant_id)
    extra = {o.rstrip("/") for o in tenant.widget.allowed_origins} if tenant else set()
    return set(services.settings.own_origins) | extra


def socket_origin_policy(services: Callable[[], Services | None]) -> Callable[..., bool]:
    """engine.io origin check: the server's own pages, or the origins of the user's tenant."""

    def allowed(origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        if origin is None:
            return True  # not a browser: no cross-site risk, authentication still applies
        current = services()
        if current is None:
            return False
        if origin.rstrip("/") in current.settings.own_origins:
            return True
        tenant_id = _tenant_from_cookie((environ or {}).get("HTTP_COOKIE", ""))
        ok = tenant_id is not None and origin.rstrip("/") in allowed_origins(current, tenant_id)
        if not ok:
            log.warning("socket connection refused from origin %s", origin)
        return ok

    return allowed


def _session_claims(token: str | None) -> dict[str, Any] | None:
    """The claims of a Chainlit session token signed by this server, or None."""
    secret = get_jwt_secret()
    if not token or not secret:
        return None
    try:
        return dict(jwt.decode(token, secret, algorithms=["HS256"]))
    except jwt.InvalidTokenError:
        return None


def _returning_guest(request: Request, tenant_id: str) -> str | None:
    """The guest identifier in this browser's still-valid session cookie, for the same tenant."""
    claims = _session_claims(get_token_from_cookies(dict(request.cookies))) or {}
    metadata, identifier = claims.get("metadata") or {}, claims.get("identifier")
    if (isinstance(metadata, dict) and metadata.get("role") == "customer"
            and metadata.get("tenant") == tenant_id and metadata.get("customer_id") is None
            and isinstance(identifier, str) and identifier.startswith(f"guest:{tenant_id}:")):
        return identifier
    return None


def _tenant_from_cookie(cookie_header: str) -> str | None:
    claims = _session_claims(get_token_from_cookies(cookie_parser(cookie_header))) or {}
    metadata = claims.get("metadata") or {}
    return metadata.get("tenant") if isinstance(metadata, dict) else None
