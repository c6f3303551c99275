"""How a human agent's message reads in the customer's chat: under the person's name and team.

The widget draws every message that is not the customer's the same way (one avatar, no
author name), so without a heading a person's words look like the assistant's. The heading
is added where a message is shown to the customer (live push and history), never stored, so
transcripts, packets and the model's context keep the words as written.
"""

from __future__ import annotations

from app.core.domain import Message, Role
from app.core.i18n import say


def shown_to_customer(message: Message, company: str, language: str | None) -> str:
    """The message's text as the customer sees it: an agent's under "Alex · Brightwave team"."""
    if message.role is not Role.AGENT:
        return message.content
    heading = say("agent.heading", language, agent=message.author, company=company)
    return f"**{heading}**\n\n{message.content}"
