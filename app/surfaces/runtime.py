"""The running server's services, live-session directory and relay, set once at start-up.

Chainlit calls module-level handlers, so they need one place to find the services; this
is it. Nothing else in Frontline reads it: the engine and stores take their parts as
arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.config.server_record import ServerRecord
from app.services import Services
from app.surfaces.live_events import Relay
from app.surfaces.relay import SessionDirectory


@dataclass
class Runtime:
    services: Services | None = None
    sessions: SessionDirectory = field(default_factory=SessionDirectory)
    relay: Relay | None = None  # app/surfaces/chainlit_app.py installs it at import
    record: ServerRecord | None = None  # the server record written at start (app/config/server_record.py)
    # the messaging channel (app/surfaces/messaging), open while the server runs; not typed by
    # import, since that module reaches the console, which reads RUNTIME
    messaging: Any = None

    def live(self) -> Relay:
        if self.relay is None:
            raise RuntimeError("Frontline's live relay is not installed")
        return self.relay

    def require(self) -> Services:
        if self.services is None:
            raise RuntimeError("Frontline services are not started")
        return self.services


RUNTIME = Runtime()
