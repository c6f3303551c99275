"""The channel registry: a non-web conversation's messages go to its channel's outbox."""

from __future__ import annotations

from dataclasses import replace

from app.core.channels import Channels
from app.core.domain import Conversation, ConversationId, Message, MessageId, Ownership, Role, TenantId


def conversation(channel: str) -> Conversation:
    return Conversation(ConversationId("c1"), TenantId("demo"), "customer", "x", None, "en", Ownership.HUMAN,
                        "agent@example.com", None, 0, 0, None, "2026-01-01", "2026-01-01", channel=channel)


class RecordingOutbox:
    channel = "email"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        self.sent.append((conversation.id, shown))


MESSAGE = Message(MessageId("m1"), ConversationId("c1"), Role.AGENT, "Sam", "Hello")


async def test_only_the_conversations_own_channel_carries_a_message(caplog):
    channels, outbox = Channels(), RecordingOutbox()
    channels.add(outbox)
    assert await channels.send(conversation("email"), MESSAGE, "Sam: Hello") is True
    assert outbox.sent == [("c1", "Sam: Hello")]
    assert await channels.send(conversation("web"), MESSAGE, "Sam: Hello") is False  # the live relay's job
    assert await channels.send(replace(conversation("email"), channel="messaging"), MESSAGE, "x") is False
    assert "no messaging channel here" in caplog.text
    assert outbox.sent == [("c1", "Sam: Hello")]
    channels.remove("email")
    assert not channels.serves("email") and channels.serves("web")
