"""Who is on the other end of a socket: guests, verified customers and agents.

A customer is verified only by an identity token that the company's own site signs with
the tenant's widget secret (HS256, `sub` = customer id). Frontline then issues its own
session token for the widget; the customer id inside it is the only one the engine and
connectors will ever use for that chat.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from app.config.tenants import Tenant
from app.core.domain import Identity, TenantId
from app.core.errors import AuthError
from app.core.language_data import languages

ROLE_CUSTOMER = "customer"
ROLE_AGENT = "agent"
MAX_IDENTITY_TTL = 24 * 3600  # an identity token may not be valid for longer than a day
_ALGORITHMS = ["HS256"]
_LEEWAY = 30  # seconds of clock difference between the company's site and Frontline


def verify_identity_token(tenant: Tenant, token: str) -> str:
    """The customer id in a token signed by the tenant's site, or AuthError saying why not.

    `sub`, `iat` and `exp` are required and the token may live at most MAX_IDENTITY_TTL: a
    token without an expiry would vouch for the customer forever once it leaked."""
    if not isinstance(token, str) or len(token) > 4096:
        raise AuthError("The identity token must be a JWT string of at most 4096 characters.")
    try:
        claims = jwt.decode(
            token, tenant.widget.secret.get_secret_value(), algorithms=_ALGORITHMS,
            options={"require": ["sub", "iat", "exp"]}, leeway=_LEEWAY)
    except jwt.ExpiredSignatureError:
        raise AuthError("The identity token has expired; ask the site for a fresh one.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"The identity token has no `{exc.claim}` claim; the site must set `sub`, "
                        "`iat` (issued at) and `exp` (at most 24 hours later).") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"The identity token is not valid for this tenant ({exc}).") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 200:
        raise AuthError("The identity token's `sub` must be a non-empty customer id.")
    issued, expires = claims["iat"], claims["exp"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (issued, expires)):
        raise AuthError("The identity token's `iat` and `exp` must be numbers (seconds since 1970).")
    if expires - issued > MAX_IDENTITY_TTL or expires - time.time() > MAX_IDENTITY_TTL + _LEEWAY:
        raise AuthError("The identity token is valid for too long; `exp` may be at most 24 hours "
                        "after `iat`.")
    return subject.strip()


def sign_identity_token(tenant: Tenant, customer_id: str, ttl: int = 3600) -> str:
    """What a company's site does to vouch for a signed-in customer (used by the demo site)."""
    now = int(time.time())
    return jwt.encode({"sub": customer_id, "iat": now, "exp": now + ttl},
                      tenant.widget.secret.get_secret_value(), algorithm="HS256")


def customer_user_fields(tenant: Tenant, customer_id: str | None, locale: str | None) -> dict[str, Any]:
    """Identifier, display name and metadata of the chat user for a widget session."""
    language = (locale or "").split("-")[0].lower()
    metadata: dict[str, Any] = {
        "role": ROLE_CUSTOMER,
        "tenant": tenant.id,
        "customer_id": customer_id,
        "locale": language if language in languages() else None,
    }
    if customer_id is None:
        identifier = f"guest:{tenant.id}:{secrets.token_urlsafe(12)}"
        return {"identifier": identifier, "display_name": "Guest", "metadata": metadata}
    return {"identifier": f"customer:{tenant.id}:{customer_id}", "display_name": "Customer",
            "metadata": metadata}


def identity_from_user(identifier: str, metadata: dict[str, Any]) -> Identity:
    """The engine's view of a chat user; raises AuthError for anything but a customer."""
    if metadata.get("role") != ROLE_CUSTOMER or not metadata.get("tenant"):
        raise AuthError("This session is not a customer session.")
    return Identity(
        tenant=TenantId(str(metadata["tenant"])),
        user_identifier=identifier,
        customer_id=metadata.get("customer_id"),
        display_name="Customer" if metadata.get("customer_id") else "Guest",
        locale=metadata.get("locale"),
    )
