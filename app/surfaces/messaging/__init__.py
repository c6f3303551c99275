"""The messaging channel: a signed-webhook API that a WhatsApp or Telegram bridge (or any chat
app) calls with a customer's message, and the signed POSTs that carry every answer back to it
(docs/channels.md, "Messaging channel")."""

from app.surfaces.messaging.channel import MessagingChannel, open_messaging
from app.surfaces.messaging.routes import install_messaging_routes

__all__ = ["MessagingChannel", "install_messaging_routes", "open_messaging"]
