"""Transports that carry conversations beyond the web chat (email, ...): each reads what a
customer sent, hands it to the engine as a turn, and delivers replies through its `Outbox`
(app/core/channels.py). They sit below app/services.py, which wires them, and above the
engine and the handoff desk they use."""
