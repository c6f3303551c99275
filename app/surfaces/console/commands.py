"""The agent console inside the Chainlit UI: the queue, claiming, live chat, and release.

Agents work by buttons (Claim, Resolve, Hand back, the editable suggested reply) or by typing:
`/queue`, `/claim <id>`, `/takeover <id>`, `/resolve`, `/handback [note]`, `/note <text>`,
`/suggest`, `/trace`, `/report` (leads and admins: a link to the analytics page), `/help`
(approvals have their own commands, in app/surfaces/console/approvals.py).
Anything else an agent types goes to the customer of the conversation they have open,
translated into the customer's language when the tenant has a translator.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import chainlit as cl

from app.conversation import trace_view
from app.core.domain import Conversation, ConversationId, Message
from app.core.errors import OwnershipConflict
from app.handoff.desk import Released
from app.store.accounts import Agent
from app.surfaces.analytics_api import may_see_analytics
from app.surfaces.analytics_page import page_link
from app.surfaces.console.agent_label import shown_to_customer
from app.surfaces.console.view import queue_line, render_packet, short, suggestion_text
from app.surfaces.live_events import LiveEvent
from app.surfaces.relay import deliver
from app.surfaces.remote_images import without_remote_images
from app.surfaces.runtime import RUNTIME

log = logging.getLogger(__name__)

CONSOLE = "Console"
ACTIVE = "active_conversation"
HELP = ("Commands: `/queue` shows waiting customers by priority and SLA, `/claim <id>` takes one, `/takeover <id>` "
        "takes a conversation from the assistant, `/resolve` closes the open conversation (the customer is asked "
        "for a rating), `/handback [note]` returns it to the assistant (the note tells it what you did), `/note "
        "<text>` adds an internal note, `/suggest` drafts a reply, `/trace` shows why the assistant answered as it "
        "did, `/approvals` lists actions waiting for your approval (`/approve <id>`, `/reject <id> [note]`). "
        "Anything else you type is sent to the customer of the open conversation.")
REPORT_HELP = " Leads and admins: `/report` links to the analytics page of each tenant you serve."
TRACE_TURNS = 3  # assistant turns `/trace` shows, the latest last
CSAT_CHOICES = ("1", "2", "3", "4", "5")
OPEN_CHOICES = "open_choices"  # user-session key: the quick-reply buttons a customer can still click


def author_name(name: str) -> str:
    """Chainlit avatars need author names of [a-zA-Z0-9_ .-]."""
    cleaned = re.sub(r"[^a-zA-Z0-9_ .-]", "", name).strip()
    return cleaned or "Agent"


async def current_agent() -> Agent | None:
    user = cl.user_session.get("user")
    if user is None:
        return None
    return await RUNTIME.require().accounts.agent(user.identifier)


async def say(text: str, actions: list[cl.Action] | None = None) -> None:
    """Write in the console. Packets, queue lines and traces quote customers, so no image in
    them is loaded (app/surfaces/remote_images.py)."""
    await cl.Message(content=without_remote_images(text), author=CONSOLE, actions=actions or []).send()


async def show_queue(agent: Agent) -> None:
    services = RUNTIME.require()
    waiting = await services.desk.queue_for(agent)
    mine = await services.conversations.assigned_to(agent.email)
    now = services.clock()
    lines = [f"**Queue** — {len(waiting)} waiting, most urgent first"]
    actions = []
    for entry in waiting[:20]:
        lines.append(queue_line(entry, now))
        actions.append(cl.Action(name="claim", label=f"Claim {short(entry.conversation.id)}",
                                 payload={"conversation": entry.conversation.id}))
    if mine:
        lines.append(f"\n**Yours** — {len(mine)} open")
        for conversation in mine:
            lines.append(f"- `{short(conversation.id)}` · {conversation.tenant} · {conversation.language or '?'}")
            actions.append(cl.Action(name="open", label=f"Open {short(conversation.id)}",
                                     payload={"conversation": conversation.id}))
    incidents = [i for i in await services.handoffs.open_incidents() if agent.serves(i["tenant"])]
    for incident in incidents:
        lines.append(f"\n⚠ **Incident** `{short(incident['id'])}` · {incident['tenant']} · {incident['topic']} · "
                     f"{incident['customers']} customers since {incident['opened_at'][:16].replace('T', ' ')} UTC")
    if not waiting and not mine:
        lines.append("Nobody is waiting.")
    await say("\n".join(lines), actions)


async def open_conversation(agent: Agent, conversation: Conversation) -> None:
    """Show the packet, with the release buttons and an editable suggested reply."""
    services = RUNTIME.require()
    cl.user_session.set(ACTIVE, conversation.id)
    packet = await services.desk.packet(conversation.id, agent, suggest=True)
    assert packet is not None
    await say(render_packet(packet, services.clock()), release_actions(conversation.id))
    if packet.suggested_reply:
        await show_suggestion(conversation.id, packet.suggested_reply)


async def show_suggestion(conversation_id: str, suggestion: dict[str, object]) -> None:
    element = cl.CustomElement(name="SuggestedReply", display="inline", props={
        "suggestion": suggestion["id"], "conversation": conversation_id, "text": suggestion["text"],
        "language": suggestion.get("language"), "method": suggestion["method"]})
    await cl.Message(content=without_remote_images(suggestion_text(dict(suggestion))), author=CONSOLE,
                     elements=[element], actions=[cl.Action(name="send_suggestion", label="Send as is", payload={
                         "suggestion": suggestion["id"], "conversation": conversation_id,
                         "text": suggestion["text"]})]).send()


def release_actions(conversation_id: str) -> list[cl.Action]:
    return [cl.Action(name="resolve", label="Resolve", payload={"conversation": conversation_id}),
            cl.Action(name="handback", label="Hand back to assistant",
                      payload={"conversation": conversation_id})]


async def to_customer(conversation_id: str, message: Message, actions: list[cl.Action] | None = None) -> None:
    """Push a stored message live into the customer's open chat sessions, on any replica."""
    services = RUNTIME.require()
    conversation = await services.conversations.get(ConversationId(conversation_id))
    tenant = services.tenants.get(conversation.tenant) if conversation else None
    content = shown_to_customer(message, tenant.name if tenant else "", conversation.language if conversation else None)
    await RUNTIME.live().publish(LiveEvent(
        "customer", conversation_id, content, author=author_name(message.author), message_id=message.id,
        conversation_id=conversation_id, actions=tuple(_button(action) for action in actions or ())))


def _button(action: cl.Action) -> dict[str, Any]:
    return {"name": action.name, "label": action.label, "payload": action.payload}


async def render_live(event: LiveEvent) -> None:
    """Show a live event in the sessions of this process it addresses: the one rendering path
    for pushes made here and pushes relayed from another replica."""
    if event.audience == "customer":
        session_ids = RUNTIME.sessions.customer_sessions(event.target)
    elif event.audience == "agent":
        session_ids = RUNTIME.sessions.agent_sessions(event.target)
    else:  # agents serving the tenant (no session open here: nothing to look up)
        session_ids = [session_id for email, ids in RUNTIME.sessions.agents()
                       if (agent := await RUNTIME.require().accounts.agent(email)) is not None
                       and agent.serves(event.target) for session_id in ids]
    for session_id in session_ids:
        await deliver(session_id, lambda: _show(event))


async def _show(event: LiveEvent) -> None:
    """Render `event` in the current session (`deliver` installed its context)."""
    actions = [cl.Action(name=a["name"], label=a["label"], payload=a["payload"]) for a in event.actions]
    if event.audience == "customer":
        await cl.Message(content=event.content, author=event.author, id=event.message_id, actions=actions).send()
        offer_choices(actions)
    elif event.audience == "agent":
        active = cl.user_session.get(ACTIVE)
        prefix = "" if active == event.conversation_id else f"[`{short(event.conversation_id or '')}`] "
        await cl.Message(content=without_remote_images(prefix + event.content), author=event.author).send()
    else:
        await say(event.content, actions)


def offer_choices(actions: list[cl.Action]) -> None:
    """Remember the quick-reply buttons on screen in this session, to take them away at the answer."""
    cl.user_session.set(OPEN_CHOICES, [*(cl.user_session.get(OPEN_CHOICES) or []), *actions])


async def close_choices(*also: cl.Action) -> None:
    """The customer answered (by a click or by typing): no earlier button stays clickable."""
    shown = {a.id: a for a in [*(cl.user_session.get(OPEN_CHOICES) or []), *also]}
    cl.user_session.set(OPEN_CHOICES, [])
    for action in shown.values():
        await action.remove()


def reply_button(label: str, value: str) -> cl.Action:
    """A quick reply: clicking it counts as typing `label`, with `value` as the choice."""
    return cl.Action(name="reply", label=label, payload={"value": value, "label": label})


def csat_buttons() -> list[cl.Action]:
    return [reply_button(score, score) for score in CSAT_CHOICES]


async def to_agent(conversation: Conversation, message: Message) -> None:
    """Push a customer's stored message live into the owning agent's console sessions (on any
    replica), in the agent's language when it can be translated (the original is shown with it)."""
    if not conversation.assigned_agent:
        return
    services = RUNTIME.require()
    agent = await services.accounts.agent(conversation.assigned_agent)
    if agent is None:
        return
    shown = await services.desk.for_agent(message, conversation, agent)
    text = message.content
    if shown.translated:
        text = f"{shown.text}\n\n_{conversation.language}: “{message.content}”_"
    elif conversation.language and conversation.language != agent.language:
        text = f"{message.content}\n\n_({conversation.language}; no translator configured)_"

    await RUNTIME.live().publish(LiveEvent("agent", agent.email, text, author="Customer", message_id=message.id,
                                           conversation_id=conversation.id))


async def announce_queued(conversation: Conversation) -> None:
    """Tell every online agent who serves this tenant that someone is waiting."""
    services = RUNTIME.require()
    entries = [e for e in await services.handoffs.queue([conversation.tenant]) if e.conversation.id == conversation.id]
    if not entries:
        return
    line = queue_line(entries[0], services.clock())
    await RUNTIME.live().publish(LiveEvent(
        "agents", conversation.tenant, f"New in queue:\n{line}", conversation_id=conversation.id,
        actions=({"name": "claim", "label": f"Claim {short(conversation.id)}",
                  "payload": {"conversation": conversation.id}},)))


async def claim(agent: Agent, conversation_ref: str, *, take_over: bool = False) -> None:
    services = RUNTIME.require()
    conversation_id = await resolve_reference(agent, conversation_ref, live=take_over)
    if conversation_id is None:
        kind = "conversation" if take_over else "waiting conversation"
        await say(f"No {kind} matches `{conversation_ref.strip() or '…'}`.")
        return
    try:
        conversation, note = await services.desk.claim(conversation_id, agent, take_over=take_over)
    except OwnershipConflict as exc:
        await say(f"Could not claim `{short(conversation_id)}`: {exc}")
        return
    await to_customer(conversation.id, note)
    await open_conversation(agent, conversation)


async def resolve_reference(agent: Agent, ref: str, *, live: bool = False) -> str | None:
    """A full id, or the 8-character prefix the console shows, among the agent's queue and
    conversations (and, with `live`, those the assistant is handling)."""
    ref = ref.strip().strip("`")
    if len(ref) < 4:
        return None
    services = RUNTIME.require()
    candidates = [e.conversation for e in await services.desk.queue_for(agent)]
    candidates += await services.conversations.assigned_to(agent.email)
    if live:
        candidates += await services.conversations.live(None if "*" in agent.tenants else agent.tenants)
    matches = {c.id for c in candidates if c.id == ref or c.id.startswith(ref)}
    return matches.pop() if len(matches) == 1 else None


async def release(agent: Agent, conversation_id: str | None, how: str, note: str = "") -> None:
    services = RUNTIME.require()
    if not conversation_id:
        await say("No conversation is open. Claim one from `/queue` first.")
        return
    try:
        if how == "resolve":
            released = await services.desk.resolve(conversation_id, agent)
        else:
            released = await services.desk.hand_back(conversation_id, agent, note)
    except OwnershipConflict as exc:
        await say(f"Could not {how} `{short(conversation_id)}`: {exc}")
        return
    if cl.user_session.get(ACTIVE) == conversation_id:
        cl.user_session.set(ACTIVE, None)
    done = "resolved; the customer is asked for a rating" if how == "resolve" else "handed back to the assistant"
    await say(f"`{short(conversation_id)}` {done}.")
    await announce_release(released)


async def announce_release(released: Released) -> None:
    """What the customer sees live after a release: who left, and the rating question with its buttons."""
    for message in released.notes:
        await to_customer(released.conversation.id, message,
                          csat_buttons() if message.metadata.get("event") == "csat.ask" else None)


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
    tenants = sorted(t.id for t in RUNTIME.require().tenants if agent.serves(t.id))
    if not tenants:
        await say("You serve no configured tenant, so there is no analytics to show.")
        return
    links = ", ".join(f"[{tenant}]({page_link(tenant)})" for tenant in tenants)
    await say(f"Analytics (last 30 days; pick another period on the page): {links}")


async def add_note(agent: Agent, conversation_id: str | None, text: str) -> None:
    if not conversation_id:
        await say("No conversation is open, so there is nothing to note on.")
        return
    try:
        await RUNTIME.require().desk.add_note(conversation_id, agent, text)
    except OwnershipConflict as exc:
        await say(str(exc))
        return
    await say(f"Note added to `{short(conversation_id)}` (the customer does not see it).")


async def suggest(agent: Agent, conversation_id: str | None) -> None:
    services = RUNTIME.require()
    conversation = await services.conversations.get(ConversationId(conversation_id)) if conversation_id else None
    if conversation is None:
        await say("No conversation is open. Claim one first.")
        return
    transcript = await services.conversations.messages(conversation.id, limit=50)
    await show_suggestion(conversation.id, await services.desk.suggest(conversation, transcript, agent))


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


async def send_to_customer(agent: Agent, text: str, *, conversation_id: str | None = None,
                           suggestion_id: str | None = None) -> None:
    services = RUNTIME.require()
    conversation_id = conversation_id or cl.user_session.get(ACTIVE)
    if not conversation_id:
        await say("No conversation is open, so that message went nowhere. " + HELP)
        return
    if not text.strip() or len(text) > services.settings.max_message_chars:
        await say(f"Messages must be 1–{services.settings.max_message_chars} characters; nothing was sent.")
        return
    try:
        message = await services.desk.post_agent_message(conversation_id, agent, text, suggestion_id=suggestion_id)
    except OwnershipConflict as exc:
        cl.user_session.set(ACTIVE, None)
        await say(str(exc))
        return
    await to_customer(conversation_id, message)
    if message.metadata.get("original"):
        await say(f"Sent, translated for the customer: “{message.content}”")


__all__ = ["announce_queued", "announce_release", "claim", "handle_agent_message", "open_conversation", "release",
           "render_live", "send_to_customer", "show_queue", "show_traces", "to_agent", "to_customer"]
