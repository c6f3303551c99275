"""The in-chat follow-up: after the tenant's `follow_up.after_minutes` without a message, a chat
the assistant resolved is asked "Did that solve it?" (app/conversation/follow_up.py).

One timer per chat, restarted by every customer turn; it lives in this process only, so a
restart or a closed chat simply leaves the question for the customer's next visit.
"""

from __future__ import annotations

import asyncio
import logging

from app.core.domain import Identity
from app.surfaces.console import live as console
from app.surfaces.runtime import RUNTIME

log = logging.getLogger(__name__)
_timers: dict[str, asyncio.Task[None]] = {}


def restart(thread_id: str, identity: Identity) -> None:
    """Start (again) the silence timer of a chat whose tenant asks in the open chat."""
    stop(thread_id)
    tenant = RUNTIME.require().tenants.get(identity.tenant)
    minutes = tenant.follow_up.after_minutes if tenant is not None else None
    if minutes is None:
        return
    _timers[thread_id] = asyncio.create_task(_ask_after(thread_id, identity, minutes * 60))


def stop(thread_id: str) -> None:
    task = _timers.pop(thread_id, None)
    if task is not None:
        task.cancel()


async def _ask_after(thread_id: str, identity: Identity, seconds: float) -> None:
    await asyncio.sleep(seconds)
    _timers.pop(thread_id, None)
    try:
        asked = await RUNTIME.require().engine.follow_ups.ask_after_silence(thread_id, identity)
        if asked is not None:
            message, offered = asked
            await console.to_customer(thread_id, message, [console.reply_button(c.label, c.value) for c in offered])
    except Exception:  # the chat goes on without the question
        log.exception("in-chat follow-up for %s failed", thread_id)
