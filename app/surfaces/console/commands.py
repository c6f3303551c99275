"""What an agent types in the console, and the commands that only read.

Agents work by buttons (Claim, Resolve, Hand back, the editable suggested reply) or by typing:
`/queue`, `/claim <id>`, `/takeover <id>`, `/resolve`, `/handback [note]`, `/note <text>`,
`/suggest` (app/surfaces/console/work.py), `/incident ...` (app/surfaces/console/incidents.py),
`/trace`, `/report` (leads and admins: a link to the analytics page of each tenant they serve),
`/help` (approvals have their own commands, in app/surfaces/console/approvals.py). Anything
else an agent types goes to the customer of the conversation they have open.
"""

from __future__ import annotations

import chainlit as cl

from app.conversation import trace_view
from app.store.accounts import Agent
from app.surfaces.analytics_api import may_see_analytics
from app.surfaces.analytics_page import report_links
from app.surfaces.console.incidents import handle_incident
from app.surfaces.console.session import ACTIVE, HELP, say
from app.surfaces.console.view import short
from app.surfaces.console.work import add_note, claim, release, resolve_reference, send_to_customer, show_queue, suggest
from app.surfaces.runtime import RUNTIME

REPORT_HELP = " Leads and admins: `/report` links to the analytics page of each tenant you serve."
TRACE_TURNS = 3  # assistant turns `/trace` shows, the latest last


async def handle_agent_message(agent: Agent, text: str) -> None:
    command, _, argument = text.strip().partition(" ")
    command = command.lower()
    active = cl.user_session.get(ACTIVE)
    if command in ("/queue", "/q"):
        await show_queue(agent)
    elif command in ("/claim", "/takeover"):
        await claim(agent, argument, take_over=command == "/takeover")
    elif command == "/resolve":
        target = (await resolve_reference(agent, argument)) if argument else active
        await release(agent, target, "resolve")
    elif command == "/handback":
        await release(agent, active, "handback", argument)
    elif command == "/note":
        await add_note(agent, active, argument)
    elif command == "/suggest":
        await suggest(agent, active)
    elif command == "/trace":
        await show_traces(agent, argument)
    elif command == "/incident":
        await handle_incident(agent, argument)
    elif command in ("/report", "/analytics"):
        await show_report_links(agent)
    elif command in ("/help", "/?"):
        await say(HELP + (REPORT_HELP if may_see_analytics(agent) else ""))
    else:
        await send_to_customer(agent, text)


async def show_report_links(agent: Agent) -> None:
    """Leads and admins get a link to the analytics page per tenant they serve; agents are told
    who may see it (the page itself refuses them too)."""
    if not may_see_analytics(agent):
        await say("Analytics is for support leads and admins.")
        return
    tenants = sorted((t for t in RUNTIME.require().tenants if agent.serves(t.id)), key=lambda t: t.id)
    if not tenants:
        await say("You serve no configured tenant, so there is no analytics to show.")
        return
    links = report_links([(tenant.id, tenant.name) for tenant in tenants])
    await say(f"Analytics (last 30 days; pick another period on the page): {links}")


async def show_traces(agent: Agent, ref: str = "") -> None:
    """The decision traces of the last few assistant turns of the open conversation, or of
    a queued or assigned one named by `ref`."""
    conversation_id = (await resolve_reference(agent, ref)) if ref.strip() else cl.user_session.get(ACTIVE)
    if not conversation_id:
        await say(f"No waiting or assigned conversation matches `{ref.strip()}`." if ref.strip()
                  else "No conversation is open. Claim one, or name one: `/trace <id>`.")
        return
    turns = await trace_view.assistant_turns(RUNTIME.require().conversations, conversation_id)
    if not turns:
        await say(f"`{short(conversation_id)}` has no assistant turns yet.")
        return
    shown = turns[-TRACE_TURNS:]
    head = (f"**Decision traces** · `{short(conversation_id)}` · last {len(shown)} of {len(turns)} "
            "assistant turns, oldest first")
    await say(f"{head}\n\n" + "\n\n".join(trace_view.turn_markdown(turn) for turn in shown))

