"""Mail out: replies composed in the customer's thread, stored, then sent, until the relay takes them.

Each reply is stored (app/store/email_mail.py) before the first attempt, under the id of the
message it carries, so pushing the same message twice (a retried agent reply, the recovery
sweep after a crash) sends one mail. Its Message-ID is made from that id: if the process dies
after the relay accepted it but before the row says so, the resend carries the same
Message-ID, which mail clients show once. Replies carry In-Reply-To and References, so the
customer's client threads them, and the assistant's own replies say `Auto-Submitted:
auto-replied` (RFC 3834), so well-behaved auto-responders never answer them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from app.config.email_channel import EmailConfig
from app.config.tenants import TenantRegistry
from app.core import clock as clocks
from app.core.clock import stamp
from app.core.domain import Conversation, Message, Role
from app.store.email_mail import EmailStore, OutboundRow

log = logging.getLogger(__name__)

CHANNEL = "email"
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|rv|r|réf)\s*:", re.IGNORECASE)
SMTP_TIMEOUT = 30.0
STALE_SEND = timedelta(minutes=2)  # a claim this old on a shared store: its sender died


def reply_subject(subject: str) -> str:
    """"Re: <subject>", once."""
    subject = subject.strip() or "(no subject)"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def header_id(message_id: str, config: EmailConfig) -> str:
    return f"<{message_id}@{config.domain}>"


class EmailOutbox:
    """The email channel's `Outbox` (app/core/channels.py)."""

    channel = CHANNEL

    def __init__(self, store: EmailStore, tenants: TenantRegistry, clock: clocks.Clock = clocks.now) -> None:
        self.store = store
        self.tenants = tenants
        self.clock = clock
        self.on_sent: Callable[[OutboundRow], None] | None = None  # the benchmark's timer

    def config(self, tenant_id: str) -> EmailConfig | None:
        tenant = self.tenants.get(tenant_id)
        return tenant.email if tenant is not None and tenant.email is not None and tenant.email.enabled else None

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        """Reply in the conversation's mail thread (the Outbox seam: agent replies, notices)."""
        config = self.config(conversation.tenant)
        latest = await self.store.latest_inbound(conversation.id)
        if config is None or latest is None:
            log.warning("message %s in %s is stored but not mailed: %s", message.id, conversation.id,
                        "the tenant's email channel is off" if config is None else "no mail to reply to")
            return
        references = await self.store.thread_ids(conversation.id)
        tenant = self.tenants.get(conversation.tenant)
        mail = self.compose(config, tenant.name if tenant else "", latest.sender, latest.subject, shown,
                            message_id=header_id(message.id, config), in_reply_to=latest.message_id,
                            references=references, automatic=message.role is not Role.AGENT)
        await self.store.queue(message.id, conversation.tenant, conversation.id, mail["Message-ID"], latest.sender,
                               mail.as_string())
        await self.deliver(message.id)

    async def send_direct(self, tenant_id: str, row_id: str, recipient: str, subject: str, text: str,
                          in_reply_to: str) -> None:
        """A reply outside any conversation (a mail that could not be read): stored, sent once."""
        config = self.config(tenant_id)
        if config is None:
            return
        tenant = self.tenants.get(tenant_id)
        mail = self.compose(config, tenant.name if tenant else "", recipient, subject, text,
                            message_id=header_id(row_id, config), in_reply_to=in_reply_to,
                            references=[in_reply_to], automatic=True)
        await self.store.queue(row_id, tenant_id, None, mail["Message-ID"], recipient, mail.as_string())
        await self.deliver(row_id)

    def compose(self, config: EmailConfig, company: str, recipient: str, subject: str, text: str, *,
                message_id: str, in_reply_to: str, references: list[str], automatic: bool) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr((config.display_name or company, config.address))
        mail["To"] = recipient
        mail["Subject"] = reply_subject(subject)
        mail["Date"] = format_datetime(self.clock())
        mail["Message-ID"] = message_id
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = " ".join(dict.fromkeys([*references, in_reply_to]))
        if automatic:
            mail["Auto-Submitted"] = "auto-replied"
        mail.set_content(text)
        return mail

    def stale_before(self) -> str:
        """Claims older than this belong to a sender that died. On SQLite every sender is in this
        process (`release_dead_claims` freed the older ones at start), so none is; on a shared
        store, a claim older than STALE_SEND."""
        if self.store.db.backend == "sqlite":
            return ""
        return stamp(self.clock() - STALE_SEND)

    async def release_dead_claims(self) -> int:
        """At start on SQLite (one process): a mail claimed before this process began was being
        sent when the last one stopped; it is sent again (with the same Message-ID)."""
        return await self.store.release_claims() if self.store.db.backend == "sqlite" else 0

    async def deliver(self, row_id: str) -> bool:
        """One attempt to hand a stored mail to the relay; True once it is sent (now or before)."""
        row = await self.store.claim(row_id, self.stale_before())
        if row is None:  # sent already, given up, or another sender has it now
            current = await self.store.outbound(row_id)
            return current is not None and current.status == "sent"
        config = self.config(row.tenant)
        if config is None:
            await self.store.failed_attempt(row_id, "the tenant's email channel is off")
            return False
        out = config.outgoing
        try:
            await aiosmtplib.send(
                row.mail.encode(), sender=config.address, recipients=[row.recipient], hostname=out.host,
                port=out.port, start_tls=out.starttls, use_tls=False, username=out.user,
                password=out.password.get_secret_value() if out.password else None, timeout=SMTP_TIMEOUT)
        except asyncio.CancelledError:  # stopping mid-send: the next sweep or start sends it
            await self.store.release_claims(row_id)
            raise
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            give_up = row.attempts + 1 >= out.attempts
            log.warning("mail %s to %s not sent (attempt %d of %d): %s", row.message_id, row.recipient,
                        row.attempts + 1, out.attempts, exc)
            await self.store.failed_attempt(row_id, f"{type(exc).__name__}: {exc}", give_up=give_up)
            if give_up:
                log.error("mail %s to %s given up after %d attempts; it stays stored", row.message_id,
                          row.recipient, out.attempts)
            return False
        await self.store.sent(row_id)
        if self.on_sent is not None:
            self.on_sent(row)
        return True

    async def resend(self) -> int:
        """Send every stored mail not sent yet (at start: those a crash left; later: retries)."""
        count = 0
        for row in await self.store.pending(self.stale_before()):
            count += await self.deliver(row.id)
        return count

    async def keep_resending(self, every: float) -> None:
        while True:
            try:
                await self.resend()
            except Exception:  # the sweep must survive a store hiccup; it runs again
                log.exception("resending stored mail failed")
            await asyncio.sleep(every)
