"""The system of record: SQLite by default, PostgreSQL when FRONTLINE_DATABASE_URL is set."""

from app.store.accounts import AccountStore, Agent, StoredUser
from app.store.audit import AuditLog
from app.store.backends import database_exists, describe_database, open_database
from app.store.conversations import ConversationStore
from app.store.database import Database, Row, Transaction
from app.store.postgres_database import PostgresDatabase
from app.store.records import FeedbackStore, UsageStore
from app.store.sqlite_database import SqliteDatabase

__all__ = ["AccountStore", "Agent", "AuditLog", "ConversationStore", "Database", "FeedbackStore",
           "PostgresDatabase", "Row", "SqliteDatabase", "StoredUser", "Transaction", "UsageStore",
           "database_exists", "describe_database", "open_database"]
