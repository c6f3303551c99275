"""Guest users who never started a conversation are removed after a retention period.

Every widget visit creates a guest user row before the visitor types anything; without
pruning, a crawler or an abuser opening sessions would grow the table without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import stamp
from app.store.accounts import AccountStore

log = logging.getLogger(__name__)


async def prune_guests(accounts: AccountStore, retention_hours: int, now: datetime) -> int:
    """Remove guests older than the retention who never started a conversation."""
    removed = await accounts.prune_idle_guests(stamp(now - timedelta(hours=retention_hours)))
    if removed:
        log.info("pruned %d guest users without a conversation (older than %d h)", removed, retention_hours)
    return removed


async def keep_pruning_guests(accounts: AccountStore, retention_hours: int, clock: Callable[[], datetime],
                              interval: float = 3600.0) -> None:
    """Prune at start-up and then every `interval` seconds, until cancelled."""
    while True:
        try:
            await prune_guests(accounts, retention_hours, clock())
        except Exception:
            log.exception("pruning guest users failed; trying again in %g s", interval)
        await asyncio.sleep(interval)
