"""One inbound mail, read: who wrote, in which thread, the new text, and what is attached.

Attachments are only listed (name, type, size) for the agent; nothing in them is opened,
decoded for content or executed. A mail that cannot be read raises `Unreadable` with the
reason the log and the polite reply need.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

from app.channels.email.loops import automated
from app.channels.email.text import html_to_text, strip_reply

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
SUBJECT_CHARS = 200


class Unreadable(ValueError):
    """A mail that cannot be answered as it is: no sender, no usable body, broken structure."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int  # bytes, decoded

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.content_type, "size": self.size}


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # "<...>", the sender's, or one made from the content when missing
    sender: str  # lower-case address
    sender_name: str
    subject: str
    text: str  # the customer's new words
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    automatic: str | None = None  # why it must not be answered (app/channels/email/loops.py)
    language: str | None = None  # Content-Language, when the sender's client says it
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this mail says it follows, nearest first."""
        return tuple(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    def metadata(self) -> dict[str, Any]:
        """What the stored message keeps of the mail (the console shows subject and attachments)."""
        return {"subject": self.subject, "from": self.sender, "message_id": self.message_id,
                "attachments": [a.as_dict() for a in self.attachments]}


def message_ids(value: object) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(str(value or "")))


def read_headers(raw: bytes) -> EmailMessage:
    """Only the header block (for mail too large or too broken to read whole)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:64_000]
    return BytesParser(policy=policy.default).parsebytes(head, headersonly=True)  # type: ignore[return-value]


def sender_of(message: EmailMessage) -> tuple[str, str]:
    """(address, display name) of the sender; Reply-To wins, as a person's client would answer it."""
    for header in ("Reply-To", "From"):
        try:
            pairs = getaddresses([str(message.get(header, ""))])
        except Exception:  # a header the parser cannot split counts as absent
            continue
        for name, address in pairs:
            if "@" in address and " " not in address.strip():
                return address.strip().lower(), name.strip()
    return "", parseaddr(str(message.get("From", "")))[0]


def parse(raw: bytes, envelope_sender: str | None = None) -> InboundMail:
    try:
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    except Exception as exc:  # the parser's own errors name no field for a person
        raise Unreadable(f"the mail could not be parsed ({type(exc).__name__})") from exc
    sender, name = sender_of(message)
    reason = automated(message, envelope_sender)
    if not sender and reason is None:
        raise Unreadable("no sender address in From or Reply-To")
    try:
        subject = " ".join(str(message.get("Subject", "")).split())[:SUBJECT_CHARS]
    except Exception:  # an undecodable subject is not worth losing the mail over
        subject = ""
    ids = message_ids(message.get("Message-ID"))
    if ids:
        message_id = ids[0]
    else:
        # a mail without an id: one made from its bytes still deduplicates a redelivery
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id>"
    text, attachments = _body(message) if reason is None else ("", ())
    if reason is None and not text.strip() and not attachments:
        raise Unreadable("no text in the mail")
    language = str(message.get("Content-Language", "")).split(",")[0].strip().lower()[:2] or None
    return InboundMail(message_id, sender, name, subject, text, message_ids(message.get("In-Reply-To")),
                       message_ids(message.get("References")), attachments, reason, language,
                       {k: str(v)[:500] for k, v in message.items()[:50]})


def _body(message: EmailMessage) -> tuple[str, tuple[Attachment, ...]]:
    attachments: list[Attachment] = []
    plain: str | None = None
    markup: str | None = None
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        if disposition == "attachment" or (part.get_filename() and disposition != "inline") or \
                content_type not in {"text/plain", "text/html"}:
            payload = part.get_payload(decode=True) or b""
            attachments.append(Attachment(str(part.get_filename() or "(unnamed)")[:200], content_type, len(payload)))
            continue
        try:
            content = part.get_content()
        except Exception as exc:  # e.g. an unknown charset
            raise Unreadable(f"a {content_type} part could not be decoded ({type(exc).__name__})") from exc
        if content_type == "text/plain" and plain is None:
            plain = content
        elif content_type == "text/html" and markup is None:
            markup = content
    if plain is not None and plain.strip():
        text = plain
    elif markup is not None:
        text = html_to_text(markup)
    else:
        text = ""
    return strip_reply(text), tuple(attachments)
