"""The system of record: SQLite through aiosqlite."""

from app.store.accounts import AccountStore, Agent, StoredUser
from app.store.audit import AuditLog
from app.store.conversations import ConversationStore
from app.store.database import Database
from app.store.records import FeedbackStore, UsageStore

__all__ = ["AccountStore", "Agent", "AuditLog", "ConversationStore", "Database",
           "FeedbackStore", "StoredUser", "UsageStore"]
