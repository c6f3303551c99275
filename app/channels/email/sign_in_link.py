"""A signed sign-in link for a guest who asked by email for account data.

An email address alone proves nothing (From is trivially forged), so a guest's mail never
gets account data. Like the widget, the company's site is what verifies a customer: the
link leads to its sign-in page with a short-lived token signed by the tenant's widget secret
(HS256, the key the site already shares with Frontline). The site checks the token, signs
the customer in, and can map the address to the customer (`verified_senders`) or open the
chat with a verified identity token. The token names the conversation and the address, so
it cannot be replayed for another thread.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt

from app.config.tenants import Tenant
from app.core import clock as clocks

LINK_TTL_SECONDS = 3600
PURPOSE = "email-sign-in"


def sign_in_link(tenant: Tenant, conversation_id: str, address: str, clock: clocks.Clock = clocks.now) -> str | None:
    """The link for this conversation's sender, or None when the tenant configured no sign-in page."""
    if tenant.email is None or not tenant.email.sign_in_url:
        return None
    now = int(clock().timestamp())
    token = jwt.encode({"sub": f"email:{address}", "email": address, "conversation": conversation_id,
                        "purpose": PURPOSE, "aud": tenant.id, "iat": now, "exp": now + LINK_TTL_SECONDS},
                       tenant.widget.secret.get_secret_value(), algorithm="HS256")
    parts = urlsplit(tenant.email.sign_in_url)
    query = "&".join(q for q in (parts.query, urlencode({"token": token})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def read_sign_in_token(tenant: Tenant, token: str, clock: clocks.Clock = clocks.now) -> dict[str, str]:
    """The claims of a link's token (the company's site does the same with its copy of the secret);
    raises jwt.InvalidTokenError when it is forged, expired or for another tenant or purpose."""
    claims = jwt.decode(token, tenant.widget.secret.get_secret_value(), algorithms=["HS256"], audience=tenant.id,
                        options={"require": ["exp", "sub", "conversation"], "verify_exp": False})
    if claims.get("purpose") != PURPOSE:
        raise jwt.InvalidTokenError("not an email sign-in token")
    if int(claims["exp"]) < int(clock().timestamp()):
        raise jwt.ExpiredSignatureError("the sign-in link has expired")
    return {k: str(v) for k, v in claims.items()}
