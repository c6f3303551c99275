"""The email channel: mail in (SMTP listener, IMAP poller), the same engine, mail out in the thread.

    parsing.py / text.py / loops.py  a mail read: sender, thread, new words, attachments, automatic?
    desk.py                          one mail stored, answered, settled; recovery after a crash
    outbox.py                        replies composed in the thread, stored, sent with retries
    listener.py / imap_poller.py     the two ways mail comes in
    sign_in_link.py                  the signed link a guest gets instead of account data

`open_email_channel` starts it all when a tenant turns it on (docs/channels.md "Email").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from app.channels.email.desk import EmailDesk
from app.channels.email.imap_poller import ImapPoller
from app.channels.email.listener import smtp_listener
from app.channels.email.outbox import EmailOutbox
from app.config.tenants import TenantRegistry
from app.conversation.engine import Engine
from app.core import clock as clocks
from app.core.channels import Channels
from app.store import ConversationStore
from app.store.database import Database
from app.store.email_mail import EmailStore

log = logging.getLogger(__name__)


def email_tenants(tenants: TenantRegistry) -> list[str]:
    return [t.id for t in tenants if t.email is not None and t.email.enabled]


@asynccontextmanager
async def open_email_channel(db: Database, tenants: TenantRegistry, engine: Engine, conversations: ConversationStore,
                             channels: Channels, clock: clocks.Clock = clocks.now, *,
                             recover: bool = True) -> AsyncIterator[EmailDesk | None]:
    """The channel while the block runs, or None when no tenant turns email on. At start the
    mail a crash left stored is finished first: replies resent, unanswered mail answered."""
    if not email_tenants(tenants):
        yield None
        return
    store = EmailStore(db)
    outbox = EmailOutbox(store, tenants, clock)
    desk = EmailDesk(store, outbox, engine, conversations, tenants, clock)
    channels.add(outbox)
    async with AsyncExitStack() as stack:
        stack.callback(channels.remove, outbox.channel)
        stack.push_async_callback(desk.drain)  # mail taken is answered before the store closes
        if recover:
            await outbox.release_dead_claims()
            resent, recovered = await outbox.resend(), await desk.recover()
            if resent or recovered:
                log.info("email after restart: %d stored replies sent, %d stored mails taken up", resent, recovered)
        tasks: list[asyncio.Task[None]] = []
        every = min(t.email.outgoing.retry_seconds for t in tenants if t.email is not None and t.email.enabled)
        tasks.append(asyncio.create_task(outbox.keep_resending(every), name="email-resend"))
        for tenant in tenants:
            if tenant.email is None or not tenant.email.enabled:
                continue
            if tenant.email.listen is not None:
                await stack.enter_async_context(smtp_listener(desk, tenant))
            if tenant.email.imap is not None:
                tasks.append(asyncio.create_task(ImapPoller(desk, tenant).run(), name=f"email-imap-{tenant.id}"))
        for task in tasks:
            stack.push_async_callback(_stop, task)
        yield desk


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
