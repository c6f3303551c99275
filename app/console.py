"""The agent console inside the Chainlit UI: the queue, claiming, live chat, and release.

Agents work by buttons (Claim, Resolve, Hand back) or by typing commands:
`/queue`, `/claim <id>`, `/resolve`, `/handback`, `/trace`, `/help` (approvals have their
own commands, in app/console_approvals.py). Anything else an agent
types goes to the customer of the conversation they have open.
"""

from __future__ import annotations

import logging
import re

import chainlit as cl

from app import trace_view
from app.domain import Conversation, Message
from app.errors import OwnershipConflict
from app.handoff import HandoffPacket
from app.relay import deliver
from app.runtime import RUNTIME
from app.store.accounts import Agent

log = logging.getLogger(__name__)

CONSOLE = "Console"
ACTIVE = "active_conversation"
HELP = ("Commands: `/queue` shows waiting customers, `/claim <id>` takes one, `/resolve` closes "
        "the open conversation, `/handback` returns it to the assistant, `/trace` shows why the "
        "assistant answered as it did, `/approvals` lists actions waiting for your approval "
        "(`/approve <id>`, `/reject <id> [note]`; the note goes to the customer). Anything else you "
        "type is sent to the customer of the open conversation.")
TRACE_TURNS = 3  # assistant turns `/trace` shows, the latest last


def author_name(name: str) -> str:
    """Chainlit avatars need author names of [a-zA-Z0-9_ .-]."""
    cleaned = re.sub(r"[^a-zA-Z0-9_ .-]", "", name).strip()
    return cleaned or "Agent"


def short(conversation_id: str) -> str:
    return conversation_id[:8]


async def current_agent() -> Agent | None:
    user = cl.user_session.get("user")
    if user is None:
        return None
    return await RUNTIME.require().accounts.agent(user.identifier)


async def show_queue(agent: Agent) -> None:
    services = RUNTIME.require()
    queued = await services.desk.queue_for(agent)
    mine = await services.conversations.assigned_to(agent.email)
    lines = [f"**Queue** — {len(queued)} waiting"]
    actions = []
    for conversation in queued[:20]:
        reason = await services.conversations.latest_handoff_reason(conversation.id) or ""
        lines.append(f"- `{short(conversation.id)}` · {conversation.tenant} · priority "
                     f"{conversation.priority} · {conversation.language or '?'} · {reason}")
        actions.append(cl.Action(name="claim", label=f"Claim {short(conversation.id)}",
                                 payload={"conversation": conversation.id}))
    if mine:
        lines.append(f"\n**Yours** — {len(mine)} open")
        for conversation in mine:
            lines.append(f"- `{short(conversation.id)}` · {conversation.tenant}")
            actions.append(cl.Action(name="open", label=f"Open {short(conversation.id)}",
                                     payload={"conversation": conversation.id}))
    if not queued and not mine:
        lines.append("Nobody is waiting.")
    await cl.Message(content="\n".join(lines), author=CONSOLE, actions=actions).send()


def render_packet(packet: HandoffPacket) -> str:
    c = packet.conversation
    who = f"verified customer `{c.customer_id}`" if c.customer_id else "guest (not signed in)"
    lines = [f"**Conversation `{short(c.id)}`** · {c.tenant} · {who} · language {c.language or '?'}",
             f"Reason: {packet.reason or '—'} · last intent: {packet.last_intent or '—'}", ""]
    if packet.last_trace:
        lines += [trace_view.understood_markdown(packet.last_trace), ""]
    lines.append("**Transcript**")
    for message in packet.transcript[-30:]:
        text = message.content if len(message.content) < 600 else message.content[:600] + " …"
        lines.append(f"- **{message.author}** ({message.role.value}): {text}")
    return "\n".join(lines)


async def open_conversation(agent: Agent, conversation: Conversation) -> None:
    services = RUNTIME.require()
    cl.user_session.set(ACTIVE, conversation.id)
    packet = await services.desk.packet(conversation.id)
    assert packet is not None
    await cl.Message(content=render_packet(packet), author=CONSOLE, actions=release_actions(conversation.id)).send()


def release_actions(conversation_id: str) -> list[cl.Action]:
    return [cl.Action(name="resolve", label="Resolve", payload={"conversation": conversation_id}),
            cl.Action(name="handback", label="Hand back to assistant",
                      payload={"conversation": conversation_id})]


async def to_customer(conversation_id: str, message: Message) -> None:
    """Push a stored message live into the customer's open chat sessions."""
    author = author_name(message.author)

    async def send() -> None:
        await cl.Message(content=message.content, author=author, id=message.id).send()

    for session_id in RUNTIME.sessions.customer_sessions(conversation_id):
        await deliver(session_id, send)


async def to_agent(conversation: Conversation, message: Message) -> None:
    """Push a customer's stored message live into the owning agent's console sessions."""
    if not conversation.assigned_agent:
        return

    async def send() -> None:
        active = cl.user_session.get(ACTIVE)
        prefix = "" if active == conversation.id else f"[`{short(conversation.id)}`] "
        await cl.Message(content=prefix + message.content, author="Customer").send()

    for session_id in RUNTIME.sessions.agent_sessions(conversation.assigned_agent):
        await deliver(session_id, send)


async def announce_queued(conversation: Conversation) -> None:
    """Tell every online agent who serves this tenant that someone is waiting."""
    services = RUNTIME.require()
    reason = await services.conversations.latest_handoff_reason(conversation.id) or ""

    async def send() -> None:
        await cl.Message(
            content=f"New in queue: `{short(conversation.id)}` · {conversation.tenant} · "
                    f"priority {conversation.priority} · {reason}",
            author=CONSOLE,
            actions=[cl.Action(name="claim", label=f"Claim {short(conversation.id)}",
                               payload={"conversation": conversation.id})]).send()

    for email, session_ids in RUNTIME.sessions.agents():
        agent = await services.accounts.agent(email)
        if agent is not None and agent.serves(conversation.tenant):
            for session_id in session_ids:
                await deliver(session_id, send)


async def claim(agent: Agent, conversation_ref: str) -> None:
    services = RUNTIME.require()
    conversation_id = await resolve_reference(agent, conversation_ref)
    if conversation_id is None:
        await cl.Message(content=f"No waiting conversation matches `{conversation_ref}`.",
                         author=CONSOLE).send()
        return
    try:
        conversation, note = await services.desk.claim(conversation_id, agent)
    except OwnershipConflict as exc:
        await cl.Message(content=f"Could not claim `{short(conversation_id)}`: {exc}",
                         author=CONSOLE).send()
        return
    await open_conversation(agent, conversation)
    await to_customer(conversation.id, note)


async def resolve_reference(agent: Agent, ref: str) -> str | None:
    """A full id, or the 8-character prefix the console shows."""
    ref = ref.strip().strip("`")
    if len(ref) < 4:
        return None
    services = RUNTIME.require()
    candidates = await services.desk.queue_for(agent) + await services.conversations.assigned_to(agent.email)
    matches = {c.id for c in candidates if c.id == ref or c.id.startswith(ref)}
    return matches.pop() if len(matches) == 1 else None


async def release(agent: Agent, conversation_id: str | None, how: str) -> None:
    services = RUNTIME.require()
    if not conversation_id:
        await cl.Message(content="No conversation is open. Claim one from `/queue` first.",
                         author=CONSOLE).send()
        return
    try:
        if how == "resolve":
            conversation, note = await services.desk.resolve(conversation_id, agent)
        else:
            conversation, note = await services.desk.hand_back(conversation_id, agent)
    except OwnershipConflict as exc:
        await cl.Message(content=f"Could not {how} `{short(conversation_id)}`: {exc}",
                         author=CONSOLE).send()
        return
    if cl.user_session.get(ACTIVE) == conversation_id:
        cl.user_session.set(ACTIVE, None)
    done = "resolved" if how == "resolve" else "handed back to the assistant"
    await cl.Message(content=f"`{short(conversation.id)}` {done}.", author=CONSOLE).send()
    await to_customer(conversation.id, note)


async def handle_agent_message(agent: Agent, text: str) -> None:
    command, _, argument = text.strip().partition(" ")
    command = command.lower()
    if command in ("/queue", "/q"):
        await show_queue(agent)
    elif command == "/claim":
        await claim(agent, argument)
    elif command in ("/resolve", "/handback"):
        target = (await resolve_reference(agent, argument)) if argument else cl.user_session.get(ACTIVE)
        await release(agent, target, command[1:])
    elif command == "/trace":
        await show_traces(agent, argument)
    elif command in ("/help", "/?"):
        await cl.Message(content=HELP, author=CONSOLE).send()
    else:
        await send_to_customer(agent, text)


async def show_traces(agent: Agent, ref: str = "") -> None:
    """The decision traces of the last few assistant turns of the open conversation, or of
    a queued or assigned one named by `ref`."""
    conversation_id = (await resolve_reference(agent, ref)) if ref.strip() else cl.user_session.get(ACTIVE)
    if not conversation_id:
        text = (f"No waiting or assigned conversation matches `{ref.strip()}`." if ref.strip()
                else "No conversation is open. Claim one, or name one: `/trace <id>`.")
        await cl.Message(content=text, author=CONSOLE).send()
        return
    turns = await trace_view.assistant_turns(RUNTIME.require().conversations, conversation_id)
    if not turns:
        await cl.Message(content=f"`{short(conversation_id)}` has no assistant turns yet.",
                         author=CONSOLE).send()
        return
    shown = turns[-TRACE_TURNS:]
    head = (f"**Decision traces** · `{short(conversation_id)}` · last {len(shown)} of {len(turns)} "
            "assistant turns, oldest first")
    body = "\n\n".join(trace_view.turn_markdown(turn) for turn in shown)
    await cl.Message(content=f"{head}\n\n{body}", author=CONSOLE).send()


async def send_to_customer(agent: Agent, text: str) -> None:
    services = RUNTIME.require()
    conversation_id = cl.user_session.get(ACTIVE)
    if not conversation_id:
        await cl.Message(content="No conversation is open, so that message went nowhere. "
                         + HELP, author=CONSOLE).send()
        return
    if not text.strip() or len(text) > services.settings.max_message_chars:
        await cl.Message(content=f"Messages must be 1–{services.settings.max_message_chars} "
                         "characters; nothing was sent.", author=CONSOLE).send()
        return
    try:
        message = await services.desk.post_agent_message(conversation_id, agent, text)
    except OwnershipConflict as exc:
        cl.user_session.set(ACTIVE, None)
        await cl.Message(content=str(exc), author=CONSOLE).send()
        return
    await to_customer(conversation_id, message)


__all__ = ["announce_queued", "claim", "handle_agent_message", "open_conversation",
           "release", "show_queue", "show_traces", "to_agent", "to_customer"]
