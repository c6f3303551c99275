"""Mail that must never be answered: auto-replies, bounces and list traffic.

Answering an out-of-office with an answer that triggers another out-of-office is a mail loop
that can run for days; answering a bounce writes to a mailer daemon. RFC 3834 (Auto-Submitted),
the de-facto Precedence / X-Autoreply headers, list headers, delivery-status reports and the
null reverse path are all recognised; one of them is enough.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr

_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply")


def automated(message: EmailMessage, envelope_sender: str | None = None) -> str | None:
    """Why this mail is automatic (never to be answered), or None for a person's mail.
    `envelope_sender` is the SMTP MAIL FROM when known ("" is the null path of a bounce)."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-AutoReply-From"):
        value = message.get(header)
        if value is not None and (header != "X-Auto-Response-Suppress" or "all" in str(value).lower()
                                  or "autoreply" in str(value).lower()):
            return f"{header} header"
    for header in ("List-Id", "List-Unsubscribe"):
        if message.get(header) is not None:
            return f"{header} header (mailing list)"
    if message.get_content_type() == "multipart/report":
        return f"delivery report ({message.get_param('report-type') or 'unknown type'})"
    for part in message.walk():
        if part.get_content_type() in {"message/delivery-status", "message/disposition-notification"}:
            return part.get_content_type()
    return_path = message.get("Return-Path")
    if return_path is not None and parseaddr(str(return_path))[1] == "" and str(return_path).strip() in {"<>", ""}:
        return "empty Return-Path (a bounce)"
    if envelope_sender is not None and envelope_sender.strip() in {"", "<>"}:
        return "null envelope sender (a bounce)"
    local = parseaddr(str(message.get("From", "")))[1].split("@", 1)[0].lower()
    if local in _AUTOMATIC_SENDERS:
        return f"sent by {local}"
    return None
