"""The running server's record in its data folder: where it listens, and a key for its operator.

`frontline serve` writes `server.json` (mode 0600: readable only by the user running it) as
it starts and removes it as it stops cleanly. A command on the same machine, run by the same
user with the same data folder, reads it to ask the running server instead of loading the
models and the index itself (`frontline kb search` does). The key is random per start, so
holding it proves the caller can read the data folder: nobody else can use the endpoints it
opens. A record left by a server that died (its process is gone) is ignored; one whose
server refuses connections is the reader's to ignore.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from app.config.data_folder import write_atomically
from app.config.settings import Settings

RECORD_FILE = "server.json"


@dataclass(frozen=True)
class ServerRecord:
    pid: int
    url: str  # where a local client reaches the server, e.g. http://127.0.0.1:8000
    token: str  # the operator's key: sent as `Authorization: Bearer <token>`
    data_dir: str
    index: str  # the knowledge index the server searches (Qdrant URL or embedded folder)


def record_path(settings: Settings) -> Path:
    return settings.data_dir / RECORD_FILE


def _index_of(settings: Settings) -> str:
    return settings.qdrant_url or str(settings.qdrant_path.resolve())


def local_url(host: str, port: int) -> str:
    """The address a client on this machine uses for a server listening on `host`."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def write_record(settings: Settings) -> ServerRecord:
    """Write this process's record (a new key each start) and return it."""
    record = ServerRecord(os.getpid(), local_url(settings.host, settings.port), secrets.token_urlsafe(32),
                          str(settings.data_dir.resolve()), _index_of(settings))
    write_atomically(record_path(settings), json.dumps(asdict(record)), mode=0o600)
    return record


def remove_record(settings: Settings, record: ServerRecord) -> None:
    """Remove the record if it is still this server's (another server may have replaced it)."""
    if read_record(settings) == record:
        with contextlib.suppress(FileNotFoundError):
            record_path(settings).unlink()


def read_record(settings: Settings) -> ServerRecord | None:
    """The record in the data folder, if there is a readable, well-formed one."""
    try:
        fields = json.loads(record_path(settings).read_text(encoding="utf-8"))
        return ServerRecord(int(fields["pid"]), str(fields["url"]), str(fields["token"]),
                            str(fields["data_dir"]), str(fields["index"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_record(settings: Settings) -> ServerRecord | None:
    """The record of a server that is running on this data folder and index, or None."""
    record = read_record(settings)
    if record is None or record.data_dir != str(settings.data_dir.resolve()) or record.index != _index_of(settings):
        return None
    return record if _is_running(record.pid) else None


def _is_running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True
