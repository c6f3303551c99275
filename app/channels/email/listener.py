"""Inbound SMTP: a small aiosmtpd server the company's mail system forwards support mail to.

It runs on the server's own event loop, one per tenant that configures `email.listen`, and
answers 250 once the mail is stored (the turn runs after), so a sending server never retries
a mail Frontline already has. Mail up to twice the tenant's `max_bytes` is taken and refused
politely by the desk (beyond that, 552 at DATA: the sender's server bounces it to them), and
a failure to store answers 451, which makes the sender retry later: nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiosmtpd.smtp import SMTP, Envelope, Session

from app.channels.email.desk import EmailDesk
from app.config.tenants import Tenant

log = logging.getLogger(__name__)


class _Handler:
    def __init__(self, desk: EmailDesk, tenant: Tenant) -> None:
        self.desk = desk
        self.tenant = tenant

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        try:
            receipt = await self.desk.submit(self.tenant.id, raw, envelope.mail_from)
        except Exception:
            log.exception("mail from %r for %s could not be stored; the sender will retry",
                          envelope.mail_from, self.tenant.id)
            return "451 4.3.0 Temporary failure, please retry"
        return f"250 2.0.0 Message {receipt.status}"


@asynccontextmanager
async def smtp_listener(desk: EmailDesk, tenant: Tenant) -> AsyncIterator[asyncio.Server]:
    """Listen on the tenant's `email.listen` address while the block runs."""
    assert tenant.email is not None and tenant.email.listen is not None
    listen, limit = tenant.email.listen, 2 * tenant.email.max_bytes  # between: read, refused politely
    handler = _Handler(desk, tenant)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=limit, hostname=tenant.email.domain,  # type: ignore[union-attr]
                     ident="Frontline", loop=loop),
        host=listen.host, port=listen.port)
    log.info("email for %s: listening for SMTP on %s:%s", tenant.id, listen.host, listen.port)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()
