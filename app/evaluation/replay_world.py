"""The candidate side of `frontline replay` as a running world that can reach nobody: a scratch
store, index and demo system (as `frontline eval` builds them, runner.py), the tenant's
connector wrapped in `DryRun` whatever it is, no helpdesk webhooks, no crash-recovery sweep,
and a clock the replay sets to each stored turn's time, so opening hours, SLAs, refund
windows and the input rate limit read as they did when the turn was first decided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from app.config.settings import Settings
from app.config.tenants import Tenant, load_tenant
from app.conversation.turn import TenantRuntime
from app.evaluation.runner import scratch_settings
from app.services import Services, build_services
from connectors.dry_run import DryRun
from guardrails.abuse_limits import IdentityRateLimiter


class ReplayClock:
    """Reads `at`, which the replay moves to each turn's time (a turn is decided in no time)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def move_to(self, stamp: str) -> None:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        self.at = moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class CandidateWorld:
    services: Services
    runtime: TenantRuntime
    clock: ReplayClock
    dry_run: DryRun | None  # what the candidate would have written, never sent


def without_webhooks(tenant: Tenant, tenant_file: Path, folder: Path) -> tuple[Tenant, Path]:
    """The candidate tenant with its handoff policy's webhooks removed (a copy of the policy
    file in `folder`): a replayed handoff queues in the scratch store and calls no helpdesk."""
    if not tenant.handoff_policy.webhooks or tenant.handoff is None:
        return tenant, tenant_file
    policy = yaml.safe_load(tenant.resolve(tenant.handoff).read_text()) or {}
    policy.pop("webhooks", None)
    quiet = folder / "candidate-handoff.yaml"
    quiet.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False))
    raw = yaml.safe_load(tenant_file.read_text())
    raw["handoff"] = str(quiet)
    tenant_file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return load_tenant(tenant_file), tenant_file


@asynccontextmanager
async def candidate_world(settings: Settings, tenant: Tenant, tenant_file: Path, folder: Path,
                          start: str, *, grounded: bool = False) -> AsyncIterator[CandidateWorld]:
    """Services for the candidate tenant alone, in `folder`. `settings` are the operator's: their
    input limits apply, on the replay clock. `grounded`: decide without the tenant's model."""
    tenant, tenant_file = without_webhooks(tenant, tenant_file, folder)
    clock = ReplayClock(datetime.now(UTC))
    clock.move_to(start)  # the demo system seeds its relative dates from the first turn's day
    scratch = scratch_settings(settings, tenant_file, folder / "world")
    async with build_services(scratch, clock=clock, recover=False, channels=False) as services:
        runtime = services.engine.tenants[tenant.id]
        if any(t.handoff_policy.webhooks for t in services.tenants):
            raise AssertionError("a replay world must have no webhooks")  # without_webhooks removed them
        dry_run = DryRun(runtime.connector) if runtime.connector is not None else None
        runtime.connector = dry_run  # also the demo system: a replay never acts, even in a scratch copy
        if services.recovery is not None:
            services.recovery.connectors = {tenant.id: dry_run}
        if grounded:
            runtime.llm = None
        services.engine.guard.rate_limiter = IdentityRateLimiter(
            settings.limits, clock=lambda: clock().timestamp())
        yield CandidateWorld(services, runtime, clock, dry_run)

