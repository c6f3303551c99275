"""What changed when: each distinct version of each file that decided a tenant's replies, read
back from the stored decision traces (`versions`, app/core/trace.py VersionsTrace), with the
first and last time it decided something and how many replies it decided.

`policy` is the engine's built-in decision rules (`decision.policy_version`); the others are
content hashes of the tenant's files. Traces stored before versions were recorded count under
`policy` only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.core.trace import VersionsTrace
from app.store.database import Database
from app.store.trace_history import tenant_traces

KINDS = ("prompt", "intents", "actions", "handoff", "knowledge", "policy")


@dataclass
class VersionSpan:
    version: str
    first: str
    last: str
    replies: int


async def version_history(db: Database, tenant: str) -> dict[str, list[VersionSpan]]:
    """Per kind, its versions with the one that decided last first (after a roll-back, the old
    hash is on top again)."""
    spans: dict[str, dict[str, VersionSpan]] = {kind: {} for kind in KINDS}
    async for at, trace in tenant_traces(db, tenant):
        for kind, version in _versions(trace).items():
            span = spans[kind].get(version)
            if span is None:
                spans[kind][version] = VersionSpan(version, at, at, 1)
            else:
                span.last, span.replies = at, span.replies + 1
    return {kind: sorted(found.values(), key=lambda s: (s.last, s.first), reverse=True)
            for kind, found in spans.items()}


def _versions(trace: dict[str, Any]) -> dict[str, str]:
    raw = trace.get("versions")
    found = {kind: value for kind, value in raw.items()
             if kind in VersionsTrace.model_fields and isinstance(value, str)} if isinstance(raw, dict) else {}
    decision = trace.get("decision")
    if isinstance(decision, dict) and isinstance(decision.get("policy_version"), str):
        found["policy"] = decision["policy_version"]
    return found


def as_json(tenant: str, history: dict[str, list[VersionSpan]]) -> dict[str, Any]:
    return {"tenant": tenant, "versions": {kind: [asdict(span) for span in spans] for kind, spans in history.items()}}


def as_text(tenant: str, history: dict[str, list[VersionSpan]]) -> str:
    lines = [f"Versions that decided tenant {tenant}'s replies (the latest first):"]
    for kind, spans in history.items():
        lines.append(f"\n{kind}")
        if not spans:
            lines.append("  (not recorded)")
        for span in spans:
            plural = "reply" if span.replies == 1 else "replies"
            lines.append(f"  {span.version:<24} {span.first} → {span.last}  {span.replies} {plural}")
    return "\n".join(lines)
