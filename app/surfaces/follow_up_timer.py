"""The in-chat follow-up: after the tenant's `follow_up.after_minutes` without a message, a chat
the assistant resolved is asked "Did that solve it?" (app/conversation/follow_up.py).

One timer per chat, restarted by every customer turn; it lives in this process only, so a
restart or a closed chat simply leaves the question for the customer's next visit. The wait
is measured on Frontline's clock (app/core/clock.py), not by sleeping the minutes away: the
timer wakes at least every `tick` seconds and asks once the clock has passed the deadline,
so a clock that is set or moved (a demo, a test) is obeyed like the system's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.conversation.follow_up import Asked
from app.conversation.follow_up_sweep import FollowUpSweep
from app.core.clock import Clock
from app.core.domain import Identity

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)
TICK_SECONDS = 15.0  # the longest nap between two looks at the clock

Ask = Callable[[str, Identity], Awaitable[Asked | None]]  # the engine's ask_after_silence
Deliver = Callable[[str, Asked], Awaitable[None]]  # shows the stored question in the open chat


class SilenceTimers:
    """The open chats' timers: `restart` after each assistant reply, `stop` when the customer
    writes or leaves. Each timer is a task this object owns until it ends or is stopped."""

    def __init__(self, clock: Clock, ask: Ask, deliver: Deliver, *, tick: float = TICK_SECONDS) -> None:
        self.clock, self.ask, self.deliver, self.tick = clock, ask, deliver, tick
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def restart(self, thread_id: str, identity: Identity, minutes: float | None) -> None:
        """Start (again) the chat's timer; `minutes` None (the tenant does not ask in the chat)
        only stops it."""
        self.stop(thread_id)
        if minutes is not None:
            due = self.clock() + timedelta(minutes=minutes)
            self._tasks[thread_id] = asyncio.create_task(self._ask_at(thread_id, identity, due),
                                                         name=f"follow-up-{thread_id}")

    def stop(self, thread_id: str) -> None:
        task = self._tasks.pop(thread_id, None)
        if task is not None:
            task.cancel()

    def stop_all(self) -> None:
        for thread_id in list(self._tasks):
            self.stop(thread_id)

    def waiting(self, thread_id: str) -> bool:
        return thread_id in self._tasks

    async def _ask_at(self, thread_id: str, identity: Identity, due: datetime) -> None:
        left = (due - self.clock()).total_seconds()
        while left > 0:  # naps, not one long sleep: the clock may be moved meanwhile
            await asyncio.sleep(min(left, self.tick))
            left = (due - self.clock()).total_seconds()
        self._tasks.pop(thread_id, None)
        try:
            asked = await self.ask(thread_id, identity)  # re-checks: still silent, still a resolution
            if asked is not None:
                await self.deliver(thread_id, asked)
        except Exception:  # the chat goes on without the question
            log.exception("in-chat follow-up for %s failed", thread_id)


_server: SilenceTimers | None = None


def _server_timers() -> SilenceTimers:
    """The server's timers, on the running services' clock and engine, shown through the console's
    push into the customer's live sessions. Chainlit is imported here, when the server first uses
    a timer, so that `SilenceTimers` itself can be used (and tested) without it."""
    global _server
    if _server is None:
        from app.surfaces.console import live as console
        from app.surfaces.runtime import RUNTIME

        async def deliver(thread_id: str, asked: Asked) -> None:
            message, offered = asked
            await console.to_customer(thread_id, message, [console.reply_button(c.label, c.value) for c in offered])

        async def ask(thread_id: str, identity: Identity) -> Asked | None:
            return await RUNTIME.require().engine.follow_ups.ask_after_silence(thread_id, identity)

        _server = SilenceTimers(lambda: RUNTIME.require().clock(), ask, deliver)
    return _server


def restart(thread_id: str, identity: Identity) -> None:
    """Start (again) the silence timer of a chat whose tenant asks in the open chat."""
    from app.surfaces.runtime import RUNTIME

    tenant = RUNTIME.require().tenants.get(identity.tenant)
    _server_timers().restart(thread_id, identity, tenant.follow_up.after_minutes if tenant is not None else None)


def stop(thread_id: str) -> None:
    _server_timers().stop(thread_id)


def sweep_elsewhere(services: Services) -> FollowUpSweep:
    """The sweep that asks email and messaging customers (app/conversation/follow_up_sweep.py),
    sending through the console's push, which hands a non-web message to its channel."""
    from app.surfaces.console import live as console

    async def deliver(conversation_id: str, asked: Asked) -> None:
        message, offered = asked
        await console.to_customer(conversation_id, message, [console.reply_button(c.label, c.value) for c in offered])

    return FollowUpSweep(services.engine.follow_ups, services.engine.tenants, services.clock, deliver)
