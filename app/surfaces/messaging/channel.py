"""The messaging channel as one running part: its store, its outbox to the bridges, and the
worker that runs inbound turns, started together and stopped in order.

It is opened by the server's start-up (app/surfaces/chainlit_app.py) right after the services:
the channel lives in the surfaces layer (it drives the console's live pushes), which
app/services.py sits below. Opening it registers the outbox in `services.channels`, so an
agent's reply or any later notice to a messaging customer goes to the bridge with no change
anywhere else; closing it removes the outbox before the store closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.store.messaging import MessagingStore
from app.surfaces.messaging.delivery import CHANNEL, BridgeOutbox
from app.surfaces.messaging.inbox import InboxWorker

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessagingChannel:
    store: MessagingStore
    outbox: BridgeOutbox
    worker: InboxWorker


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


@asynccontextmanager
async def open_messaging(services: Services) -> AsyncIterator[MessagingChannel]:
    """The channel for `services`; its background work runs only if a tenant turns it on."""
    store = MessagingStore(services.db)
    outbox = BridgeOutbox(store, services.tenants, services.clock)
    channel = MessagingChannel(store, outbox, InboxWorker(services, store, outbox))
    async with AsyncExitStack() as stack:
        stack.push_async_callback(outbox.close)
        enabled = [t.id for t in services.tenants if t.messaging is not None and t.messaging.enabled]
        if enabled:
            services.channels.add(outbox)
            stack.callback(services.channels.remove, CHANNEL)
            delivery = asyncio.create_task(outbox.run(), name="messaging-delivery")
            stack.push_async_callback(_stop, delivery)
            turns = asyncio.create_task(channel.worker.run(), name="messaging-turns")
            stack.push_async_callback(_stop, turns)
            log.info("messaging channel on for %s", ", ".join(enabled))
            for tenant in services.tenants:
                config = tenant.messaging
                if config is not None and config.enabled and not os.environ.get(config.secret_env):
                    log.error("messaging channel of %s: environment variable %s (the bridge's shared secret) is"
                              " not set; its webhook answers 503 and nothing is sent until it is",
                              tenant.id, config.secret_env)
        yield channel
