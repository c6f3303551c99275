"""A lease: chores for the whole deployment, done by one replica at a time.

Replicas sharing a store would otherwise all do the same background work at once: answer
the turn a dead replica left (twice), or post the same webhook (twice). The replica whose
`hold` succeeds does the chore and keeps renewing the lease while it runs; when it dies, the
lease expires and another replica's next `hold` takes it over. One process alone needs no
lease (None).
"""

from __future__ import annotations

from typing import Protocol


class Lease(Protocol):
    async def hold(self, name: str, seconds: float) -> bool:
        """Take the lease `name` for `seconds`, or renew it if this holder has it; False if
        another holder has it (or it cannot be reached: then nobody does the chore this round)."""
        ...
