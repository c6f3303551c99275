"""Live pushes between the console and customers' chats: a stored message shown at once in the
customer's or the agent's open sessions (on any replica, through the live relay), the
"New in queue" notice to every agent serving the tenant, and the quick-reply buttons a
customer can click (the CSAT scores among them).
"""

from __future__ import annotations

import re
from typing import Any

import chainlit as cl

from app.core.domain import Conversation, ConversationId, Message
from app.handoff.desk import Released
from app.surfaces.console.agent_label import shown_to_customer
from app.surfaces.console.session import ACTIVE, say
from app.surfaces.console.view import mail_line, queue_line, short
from app.surfaces.live_events import LiveEvent
from app.surfaces.relay import deliver
from app.surfaces.remote_images import without_remote_images
from app.surfaces.runtime import RUNTIME

CSAT_CHOICES = ("1", "2", "3", "4", "5")
OPEN_CHOICES = "open_choices"  # user-session key: the quick-reply buttons a customer can still click


def author_name(name: str) -> str:
    """Chainlit avatars need author names of [a-zA-Z0-9_ .-]."""
    cleaned = re.sub(r"[^a-zA-Z0-9_ .-]", "", name).strip()
    return cleaned or "Agent"


async def to_customer(conversation_id: str, message: Message, actions: list[cl.Action] | None = None) -> None:
    """Push a stored message live into the customer's open chat sessions, on any replica, or out
    on the channel the customer wrote from (app/core/channels.py)."""
    services = RUNTIME.require()
    conversation = await services.conversations.get(ConversationId(conversation_id))
    tenant = services.tenants.get(conversation.tenant) if conversation else None
    content = shown_to_customer(message, tenant.name if tenant else "", conversation.language if conversation else None)
    if conversation is not None and await services.channels.send(conversation, message, content):
        return  # an email or messaging customer: their channel carries it
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

    text += mail_line(message.metadata.get("email"))
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


async def announce_release(released: Released) -> None:
    """What the customer sees live after a release: who left, and the rating question with its buttons."""
    for message in released.notes:
        await to_customer(released.conversation.id, message,
                          csat_buttons() if message.metadata.get("event") == "csat.ask" else None)

