"""The agent console's session: who is signed in, which conversation they have open, the
command list, and how the console writes (every console message goes through `say`)."""

from __future__ import annotations

import chainlit as cl

from app.store.accounts import Agent
from app.surfaces.remote_images import without_remote_images
from app.surfaces.runtime import RUNTIME

CONSOLE = "Console"
ACTIVE = "active_conversation"  # user-session key: the conversation the agent has open
HELP = ("Commands: `/queue` shows waiting customers by priority and SLA, `/claim <id>` takes one, `/takeover <id>` "
        "takes a conversation from the assistant, `/resolve` closes the open conversation (the customer is asked "
        "for a rating), `/handback [note]` returns it to the assistant (the note tells it what you did), `/note "
        "<text>` adds an internal note, `/suggest` drafts a reply, `/trace` shows why the assistant answered as it "
        "did, `/incident list` shows declared incidents (`/incident link <id>` ties the open conversation to one; "
        "leads: `/incident declare <topic words> | <message>`, `/incident resolve <id>`), `/approvals` lists "
        "actions waiting for your approval (`/approve <id>`, `/reject <id> [note]`). "
        "Anything else you type is sent to the customer of the open conversation.")


async def current_agent() -> Agent | None:
    user = cl.user_session.get("user")
    if user is None:
        return None
    return await RUNTIME.require().accounts.agent(user.identifier)


async def say(text: str, actions: list[cl.Action] | None = None) -> None:
    """Write in the console. Packets, queue lines and traces quote customers, so no image in
    them is loaded (app/surfaces/remote_images.py)."""
    await cl.Message(content=without_remote_images(text), author=CONSOLE, actions=actions or []).send()

