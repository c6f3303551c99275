"""Opening the system of record the settings name: PostgreSQL when FRONTLINE_DATABASE_URL is
set, otherwise SQLite in the data folder (the zero-install default)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.config.settings import Settings
from app.store.database import Database
from app.store.postgres_database import PostgresDatabase, masked
from app.store.sqlite_database import SqliteDatabase


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The migrated database, closed when the block ends; a StoreError says why it cannot open."""
    if settings.database_url is not None:
        async with PostgresDatabase.open(settings.database_url.get_secret_value()) as db:
            yield db
    else:
        async with SqliteDatabase.open(settings.database_path) as sqlite:
            yield sqlite


def describe_database(settings: Settings) -> str:
    """Where the records are, for messages to an operator (the password masked)."""
    if settings.database_url is not None:
        return f"the PostgreSQL database {masked(settings.database_url.get_secret_value())}"
    return str(settings.database_path)


def database_exists(settings: Settings) -> bool:
    """Whether there is a database to read: always for a server, a file for SQLite."""
    return settings.database_url is not None or settings.database_path.is_file()


async def probe_database(settings: Settings) -> None:
    """Open (and migrate) the database once and close it: a bad FRONTLINE_DATABASE_URL stops a
    command before anything else starts, as a StoreError naming the setting and the reason."""
    async with open_database(settings):
        pass
