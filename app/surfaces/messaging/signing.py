"""How a bridge and Frontline prove each request to the other: HMAC-SHA256 over timestamp and body.

Both directions use the handoff webhooks' scheme (app/handoff/webhooks.py), one header:

    X-Frontline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The receiver computes the HMAC over the raw body as received, compares in constant time, and
refuses a timestamp more than five minutes from its own clock, so a captured request cannot be
replayed later (and one replayed sooner is a duplicate message id, stored once). The timestamp
is checked against the operating system's time, like every credential's expiry
(app/core/clock.py): a demo clock must not make an old signature fresh.
"""

from __future__ import annotations

import time

from app.handoff.webhooks import sign, verify

SIGNATURE_HEADER = "X-Frontline-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # outbound: the stored message's id, the same on every retry
TOLERANCE_SECONDS = 300


def refusal(secret: str, header: str | None, body: bytes, now: float | None = None) -> str | None:
    """Why a signed request is refused (a reason for the log and the 401), or None when it is good."""
    if not header:
        return f"no {SIGNATURE_HEADER} header"
    moment = int(time.time() if now is None else now)
    stamp = next((part.strip()[2:] for part in header.split(",") if part.strip().startswith("t=")), "")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        return "the signature has no valid timestamp (t=<unix seconds>)"
    if moment - int(stamp) > TOLERANCE_SECONDS:
        return f"the signature's timestamp is more than {TOLERANCE_SECONDS} s old (a replay?)"
    if int(stamp) - moment > TOLERANCE_SECONDS:
        return f"the signature's timestamp is more than {TOLERANCE_SECONDS} s in the future"
    if not verify(secret, header, body, now=moment, tolerance=TOLERANCE_SECONDS):
        return "the signature does not match the body"
    return None


def signature(secret: str, body: bytes, now: float | None = None) -> str:
    """The header value that signs `body` now."""
    return sign(secret, body, int(time.time() if now is None else now))
