"""Channels other than the web chat: how a stored message reaches a customer who has no page open.

A web customer sees a message through the live relay (app/surfaces/live_events.py). A customer
who wrote by email or from a messaging app is reached through that channel's `Outbox`, which the
channel registers here when it starts. Every path that speaks to a customer outside a turn (an
agent's reply, a release note, a recovery notice, a follow-up, an incident update) calls
`Channels.send`, so a new channel needs no change in any of them.
"""

from __future__ import annotations

import logging
from typing import Protocol

from app.core.domain import Conversation, Message

log = logging.getLogger(__name__)

WEB = "web"


class Outbox(Protocol):
    """Sends one stored message to the customer of a conversation on one channel."""

    channel: str

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        """`shown` is the text as the customer reads it (headed, translated); `message` is the
        stored row, for its id (threading, de-duplication) and metadata."""
        ...


class Channels:
    """The outboxes of the channels this process serves, by channel name."""

    def __init__(self) -> None:
        self._outboxes: dict[str, Outbox] = {}

    def add(self, outbox: Outbox) -> None:
        self._outboxes[outbox.channel] = outbox

    def remove(self, channel: str) -> None:
        self._outboxes.pop(channel, None)

    def serves(self, channel: str) -> bool:
        return channel == WEB or channel in self._outboxes

    async def send(self, conversation: Conversation, message: Message, shown: str) -> bool:
        """Send to a non-web customer; False for a web conversation (the live relay shows it) or a
        channel this process does not serve (logged: the message stays stored either way)."""
        if conversation.channel == WEB:
            return False
        outbox = self._outboxes.get(conversation.channel)
        if outbox is None:
            log.warning("no %s channel here: message %s to conversation %s is stored, not sent",
                        conversation.channel, message.id, conversation.id)
            return False
        await outbox.send(conversation, message, shown)
        return True
