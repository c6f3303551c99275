"""Faster writes for the embedded Qdrant: its SQLite files in WAL mode.

qdrant-client's local mode keeps every point in memory and persists each written point to
a SQLite file per collection, in its own transaction. SQLite's default rollback journal
with full sync flushes the disk at every one of those commits: an ingest then writes ~35
chunks/s whatever the CPU. In WAL mode with `synchronous=NORMAL` a commit is an append to
the log, flushed at checkpoints: measured 6-10x faster (docs/knowledge.md). A power cut can
lose the last commits but never corrupts the file, and the index is rebuilt from the
help-center sources by the next sync anyway.

The connections are qdrant-client internals; if a future version moves them, this does
nothing (and says so in the log) rather than fail.
"""

from __future__ import annotations

import logging
import sqlite3

from qdrant_client import AsyncQdrantClient

log = logging.getLogger(__name__)

_TUNED = "_frontline_wal"


def use_wal(client: AsyncQdrantClient) -> int:
    """Put the embedded collections' SQLite files in WAL mode; returns how many were changed
    (0 for a Qdrant server, or collections already done). Call after opening a collection."""
    collections = getattr(getattr(client, "_client", None), "collections", None)
    if not isinstance(collections, dict):
        return 0
    changed = 0
    for name, collection in collections.items():
        persistence = getattr(collection, "storage", None)
        connection = getattr(persistence, "storage", None)
        if not isinstance(connection, sqlite3.Connection) or getattr(persistence, _TUNED, False):
            continue
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            setattr(persistence, _TUNED, True)
            changed += 1
        except (sqlite3.Error, AttributeError) as exc:
            log.info("embedded knowledge collection %s keeps SQLite's default journal: %s", name, exc)
    return changed
