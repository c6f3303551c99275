"""The follow-up for customers who are not in a web chat: "Did that solve it?" sent by email or
messaging after the tenant's `follow_up.after_minutes` of silence following an automated
resolution (app/conversation/follow_up.py asks; this finds who is due).

The web chat has a timer per open page (app/surfaces/follow_up_timer.py); a customer who
wrote by email has no page, and a timer in one process would be lost at a restart. So a
sweep looks in the store every `tick` seconds, on Frontline's clock (a moved clock is
obeyed), and hands each question to `deliver` (the server's `to_customer`, which sends it
through the conversation's channel). The question is recorded before it is sent, once per
conversation (a second replica sweeping at the same moment asks nobody twice). The customer
answers by typing Yes or No; the answer counts in the report's measured resolution rate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from app.conversation.follow_up import Asked, FollowUps
from app.conversation.turn import TenantRuntime
from app.core import clock as clocks
from app.core.domain import ConversationId, Identity, TenantId

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0
QUESTION = "follow_up.ask_reply"  # asks for a typed Yes or No

Deliver = Callable[[str, Asked], Awaitable[None]]  # conversation id, the stored question and its choices


class FollowUpSweep:
    def __init__(self, follow_ups: FollowUps, tenants: Mapping[str, TenantRuntime], clock: clocks.Clock,
                 deliver: Deliver, *, tick: float = TICK_SECONDS) -> None:
        self.follow_ups = follow_ups
        self.tenants = tenants
        self.clock = clock
        self.deliver = deliver
        self.tick = tick

    async def sweep(self) -> int:
        """Ask every conversation that is due now; how many were asked."""
        asked = 0
        for tenant_id, runtime in self.tenants.items():
            minutes = runtime.tenant.follow_up.after_minutes
            if minutes is None:
                continue
            before = clocks.stamp(self.clock() - timedelta(minutes=minutes))
            for conversation_id in await self.follow_ups.store.silent_elsewhere(tenant_id, before=before):
                asked += await self._ask(conversation_id)
        return asked

    async def _ask(self, conversation_id: str) -> int:
        conversation = await self.follow_ups.conversations.get(ConversationId(conversation_id))
        if conversation is None:
            return 0
        identity = Identity(TenantId(conversation.tenant), conversation.user_identifier,
                            customer_id=conversation.customer_id, locale=conversation.language,
                            channel=conversation.channel)
        question = await self.follow_ups.ask_after_silence(conversation.id, identity, key=QUESTION)
        if question is None:
            return 0
        try:
            await self.deliver(conversation.id, question)
        except Exception:  # stored and recorded: the customer reads it with the next message
            log.exception("follow-up for %s stored but not sent", conversation.id)
        return 1

    async def run(self) -> None:
        """Sweep until cancelled; a failed sweep is logged and the next one runs."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("follow-up sweep failed")
            await asyncio.sleep(self.tick)
