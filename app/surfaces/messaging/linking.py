"""Verifying a messaging sender with a signed sign-in link: the widget's machinery, reused.

A guest who asks for something only a verified customer may do is told to sign in (as in the
widget) and, when the tenant names a `sign_in_url`, given a link to it carrying a short-lived
state token that names the tenant and the sender (HS256 with the tenant's widget secret, its own
audience, fifteen minutes). The company's site signs the customer in as it does for the widget,
then calls POST /channels/messaging/{tenant}/link with that state and the usual identity token
for the customer (app/surfaces/auth.py). Frontline checks both signatures and links the sender
to the customer: their next message starts a verified conversation.

The site should ask "connect the chat with +1 555 ... to your account?" before calling: a link
sent to someone else and followed by them would otherwise verify the sender as that person.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import jwt

from app.config.tenants import Tenant
from app.core.errors import AuthError

AUDIENCE = "frontline-messaging-link"
LINK_TTL = 15 * 60
STATE_PARAMETER = "frontline_link"
_LEEWAY = 30


def link_state(tenant: Tenant, sender: str, now: float | None = None) -> str:
    """The state token a sign-in link carries for `sender` of `tenant`."""
    issued = int(time.time() if now is None else now)  # credentials expire on the system clock
    return jwt.encode({"sub": sender, "tenant": tenant.id, "aud": AUDIENCE, "iat": issued, "exp": issued + LINK_TTL},
                      tenant.widget.secret.get_secret_value(), algorithm="HS256")


def sign_in_link(tenant: Tenant, sender: str) -> str | None:
    """The link a guest follows to verify themselves; None when the tenant names no sign-in page."""
    if tenant.messaging is None or tenant.messaging.sign_in_url is None:
        return None
    url = tenant.messaging.sign_in_url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({STATE_PARAMETER: link_state(tenant, sender)})}"


def linked_sender(tenant: Tenant, state: str) -> str:
    """The sender a state token names, or AuthError saying why it is not good for this tenant."""
    if not isinstance(state, str) or len(state) > 4096:
        raise AuthError("The link state must be the token from the sign-in link.")
    try:
        claims = jwt.decode(state, tenant.widget.secret.get_secret_value(), algorithms=["HS256"],
                            audience=AUDIENCE, options={"require": ["sub", "exp", "aud"]}, leeway=_LEEWAY)
    except jwt.ExpiredSignatureError:
        raise AuthError("The sign-in link has expired; ask in the chat again for a fresh one.") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"The link state is not valid for this tenant ({exc}).") from None
    if claims.get("tenant") != tenant.id or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise AuthError("The link state is not valid for this tenant.")
    return str(claims["sub"])
