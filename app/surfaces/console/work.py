"""Working a conversation from the console: the queue, claiming (by id or its short prefix),
the packet with its suggested reply, resolving or handing back, internal notes, and what the
agent writes to the customer (translated when the tenant has a translator)."""

from __future__ import annotations

import chainlit as cl

from app.core.domain import Conversation, ConversationId
from app.core.errors import OwnershipConflict
from app.store.accounts import Agent
from app.surfaces.console.live import announce_release, to_customer
from app.surfaces.console.session import ACTIVE, CONSOLE, HELP, say
from app.surfaces.console.view import queue_line, render_packet, short, suggestion_text
from app.surfaces.remote_images import without_remote_images
from app.surfaces.runtime import RUNTIME


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

