"""The running server's services and live-session directory, set once at start-up.

Chainlit calls module-level handlers, so they need one place to find the services; this
is it. Nothing else in Frontline reads it: the engine and stores take their parts as
arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.services import Services
from app.surfaces.relay import SessionDirectory


@dataclass
class Runtime:
    services: Services | None = None
    sessions: SessionDirectory = field(default_factory=SessionDirectory)

    def require(self) -> Services:
        if self.services is None:
            raise RuntimeError("Frontline services are not started")
        return self.services


RUNTIME = Runtime()
