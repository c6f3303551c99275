"""`/incident` in the agent console: leads and admins declare and resolve incidents; any agent
lists them and links a conversation the topic words missed (app/handoff/outreach.py).

    /incident declare [@tenant] <topic words> | <message customers read>
    /incident resolve <id> [| <message customers read>]
    /incident link <id> [<conversation id>]       (default: the conversation you have open)
    /incident list
"""

from __future__ import annotations

import chainlit as cl

from app.core.errors import IncidentError
from app.handoff.outreach import Outreach
from app.store.accounts import Agent
from app.store.incidents import DeclaredIncident
from app.surfaces.analytics_api import may_see_analytics
from app.surfaces.console.session import ACTIVE, say
from app.surfaces.console.view import short
from app.surfaces.console.work import resolve_reference
from app.surfaces.runtime import RUNTIME

USAGE = ("Incidents: `/incident declare [@tenant] <topic words> | <message customers read>`, "
         "`/incident resolve <id> [| <message>]`, `/incident link <id> [<conversation>]`, `/incident list`.")
LEADS_ONLY = "Declaring and resolving incidents is for support leads and admins; ask one, or `/incident link` it."
LISTED = 10


async def handle_incident(agent: Agent, argument: str) -> None:
    """Run one `/incident` command; every refusal says why, in the console."""
    action, _, rest = argument.strip().partition(" ")
    outreach = RUNTIME.require().outreach
    assert outreach is not None
    try:
        if action == "declare":
            await _declare(agent, outreach, rest)
        elif action == "resolve":
            await _resolve(agent, outreach, rest)
        elif action == "link":
            await _link(agent, outreach, rest)
        elif action in ("list", ""):
            await _list(agent, outreach)
        else:
            await say(f"No `/incident {action[:20]}`. {USAGE}")
    except IncidentError as exc:
        await say(str(exc))


def tenant_for(agent: Agent, named: str | None) -> str:
    """The tenant a lead declares for: the one named with @, or the only one they serve."""
    configured = sorted(t.id for t in RUNTIME.require().tenants)
    served = [t for t in configured if agent.serves(t)]
    if named is not None:
        if named not in served:
            raise IncidentError(f"You serve no tenant `{named[:40]}` (yours: {', '.join(served) or 'none'}).")
        return named
    if len(served) != 1:
        raise IncidentError(f"You serve {len(served)} tenants; name one first: `/incident declare @"
                            f"{served[0] if served else 'tenant'} <topic words> | <message>`.")
    return served[0]


async def _declare(agent: Agent, outreach: Outreach, rest: str) -> None:
    if not may_see_analytics(agent):
        await say(LEADS_ONLY)
        return
    named = None
    if rest.startswith("@"):
        named, _, rest = rest[1:].partition(" ")
    topic, bar, message = rest.partition("|")
    if not bar:
        raise IncidentError(f"Separate the topic from the message with `|`. {USAGE}")
    outcome = await outreach.declare(tenant_for(agent, named), topic, message, by=agent.email)
    incident = outcome.incident
    await say(f"⚠ Incident `{short(incident.id)}` declared for {incident.tenant} (topic: {incident.topic}). "
              f"{_customers(outcome.told)} who reported it told it is known. `/incident resolve {short(incident.id)}` "
              "tells them it is fixed.")


async def _resolve(agent: Agent, outreach: Outreach, rest: str) -> None:
    if not may_see_analytics(agent):
        await say(LEADS_ONLY)
        return
    reference, _, message = rest.partition("|")
    incident = await outreach.find(reference, agent.serves)
    outcome = await outreach.resolve(incident, by=agent.email, resolution=message)
    await say(f"✓ Incident `{short(incident.id)}` resolved. {_customers(outcome.told)} told it is fixed.")


async def _link(agent: Agent, outreach: Outreach, rest: str) -> None:
    reference, _, conversation_ref = rest.strip().partition(" ")
    incident = await outreach.find(reference, agent.serves)
    conversation_ref = conversation_ref.strip().strip("`")
    conversation_id = ((await resolve_reference(agent, conversation_ref, live=True) or conversation_ref)
                       if conversation_ref else cl.user_session.get(ACTIVE))
    if not conversation_id:
        raise IncidentError("Name the conversation (`/incident link <id> <conversation>`) or open one first.")
    outcome = await outreach.link(incident, conversation_id)
    await say(f"Linked `{short(conversation_id)}` to incident `{short(incident.id)}`: "
              + ("the customer is told it is known and will be told the fix." if outcome.told
                 else "they knew already; they will be told the fix."))


async def _list(agent: Agent, outreach: Outreach) -> None:
    served = [t.id for t in RUNTIME.require().tenants if agent.serves(t.id)]
    incidents = (await outreach.listed(served))[:LISTED]
    if not incidents:
        await say(f"No declared incidents. {USAGE}")
        return
    lines = ["**Declared incidents**, newest first"]
    for incident in incidents:
        lines.append(await _line(outreach, incident))
    await say("\n".join(lines))


async def _line(outreach: Outreach, incident: DeclaredIncident) -> str:
    counts = await outreach.store.counts(incident.id)
    state = "open" if incident.is_open else f"resolved {(incident.resolved_at or '')[:16].replace('T', ' ')}"
    return (f"- `{short(incident.id)}` · {incident.tenant} · {incident.topic} · {state} · told {counts.told}, "
            f"subscribed {counts.subscribed}, told fixed {counts.fixed}")


def _customers(count: int) -> str:
    return "1 customer" if count == 1 else f"{count} customers"
