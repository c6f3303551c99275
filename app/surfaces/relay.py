"""Live delivery between chat sessions of this process (customer <-> agent).

Chainlit keeps sessions in memory, so the directory is in-memory too: it maps a
conversation to the customer's open sessions and an agent to theirs. Messages are always
stored before they are relayed; a session that is gone simply misses the live push and
sees the message in its history when it comes back. Pushes reach these sessions from this
process or from other replicas through a relay (app/surfaces/live_events.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from chainlit.context import init_ws_context, local_steps
from chainlit.session import WebsocketSession

log = logging.getLogger(__name__)


class SessionDirectory:
    def __init__(self) -> None:
        self._customers: dict[str, set[str]] = defaultdict(set)  # conversation -> session ids
        self._agents: dict[str, set[str]] = defaultdict(set)  # agent email -> session ids

    def add_customer(self, conversation_id: str, session_id: str) -> None:
        self._customers[conversation_id].add(session_id)

    def add_agent(self, email: str, session_id: str) -> None:
        self._agents[email].add(session_id)

    def remove_session(self, session_id: str) -> None:
        for sessions in (*self._customers.values(), *self._agents.values()):
            sessions.discard(session_id)

    def customer_sessions(self, conversation_id: str) -> list[str]:
        return sorted(self._customers.get(conversation_id, ()))

    def agent_sessions(self, email: str) -> list[str]:
        return sorted(self._agents.get(email, ()))

    def agents(self) -> list[tuple[str, list[str]]]:
        return [(email, sorted(ids)) for email, ids in self._agents.items() if ids]


async def deliver(session_id: str, action: Callable[[], Awaitable[None]]) -> bool:
    """Run `action` (which sends Chainlit messages) in the context of another live session.

    Chainlit's context is a contextvar, so the action runs in its own task where the other
    session's context is installed without touching the caller's. The task inherits the
    caller's open steps too (`local_steps`: the sender's `on_message` run), and a message sent
    under them names that step as its parent: a step the receiving page never saw, so the
    browser drops the message. Delivered messages start with no open step, top-level in the
    receiving chat, whoever calls (console, Queue API, approvals, announcements).
    """
    session = WebsocketSession.get_by_id(session_id)
    if session is None:
        return False

    async def run() -> None:
        init_ws_context(session)
        local_steps.set(None)
        await action()

    try:
        await asyncio.create_task(run())
    except Exception:
        log.exception("live delivery to session %s failed; the message is stored", session_id)
        return False
    return True
