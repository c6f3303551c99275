"""Which agents are available right now, per tenant: the queue's "agents online".

An agent is online while a console session is open, and for a few minutes after each Queue
API call (a helpdesk polling the API is someone at work). Kept in memory: presence is
about this process's live connections; with FRONTLINE_REDIS_URL set, replicas share theirs
(app/handoff/shared_presence.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

API_PRESENCE_SECONDS = 300.0


@dataclass(frozen=True)
class _Seen:
    tenants: tuple[str, ...]  # "*" serves every tenant
    until: float | None  # None: while the session lasts


class Presence:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, tuple[str, _Seen]] = {}  # session id -> (agent, seen)
        self._api: dict[str, _Seen] = {}  # agent -> last API call

    def session_opened(self, session_id: str, agent: str, tenants: list[str]) -> None:
        self._sessions[session_id] = (agent, _Seen(tuple(tenants), None))

    def session_closed(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def api_call(self, agent: str, tenants: list[str]) -> None:
        self._api[agent] = _Seen(tuple(tenants), self._clock() + API_PRESENCE_SECONDS)

    def here(self) -> dict[str, set[str]]:
        """Agents online in this process now, with the tenants they serve ("*": every one)."""
        now = self._clock()
        agents: dict[str, set[str]] = {}
        for agent, seen in [*self._sessions.values(), *self._api.items()]:
            if seen.until is None or seen.until > now:
                agents.setdefault(agent, set()).update(seen.tenants)
        return agents

    def online(self, tenant: str) -> list[str]:
        """Agents serving `tenant` who are online now, sorted."""
        return sorted(agent for agent, tenants in self.here().items() if "*" in tenants or tenant in tenants)

    def count(self, tenant: str) -> int:
        return len(self.online(tenant))
