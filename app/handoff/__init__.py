"""People: placing a conversation in a queue, the handoff packet, the desk agents work from, webhooks."""
