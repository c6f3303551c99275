"""The data folder before anything uses it: writable, and holding a usable signing secret.

A full disk once left a 0-byte `auth-secret` behind; Chainlit then signed every session with
an empty key and every sign-in failed with 500 while /healthz said ok. So the secret is
written atomically (a temp file, fsync, rename: there is either the old file or a complete
new one), and an empty or short secret stops start-up with one line saying what to do. A
folder Frontline cannot write to stops every command that needs it the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from app.config.settings import Settings
from app.core.errors import ConfigError

MIN_SECRET_CHARS = 32
SECRET_FILE = "auth-secret"


def check_writable(folder: Path) -> None:
    """Create the folder if needed and prove a file can be written, synced and removed in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"the data folder {folder} cannot be created ({exc.strerror or exc}); "
                          "set FRONTLINE_DATA_DIR to a writable folder") from None
    probe = folder / f".write-check-{os.getpid()}"
    try:
        with probe.open("wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ConfigError(f"the data folder {folder} is not writable ({exc.strerror or exc}); "
                          "make it writable for this user or set FRONTLINE_DATA_DIR") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    for name in ("frontline.sqlite3", "frontline.sqlite3-wal", SECRET_FILE):
        path = folder / name
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError(f"{path} is not readable and writable by this user; fix its owner or mode")


def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` with `text` all at once: readers see the old content or the whole new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a crash
        finally:
            os.close(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ConfigError(f"cannot write {path} ({exc.strerror or exc}); free some disk space or "
                          "make the data folder writable") from None


def auth_secret(settings: Settings) -> str:
    """The signing secret for chat session tokens: configured, or generated once and kept."""
    if settings.auth_secret is not None:
        secret = settings.auth_secret.get_secret_value().strip()
        if len(secret) < MIN_SECRET_CHARS:
            raise ConfigError(f"FRONTLINE_AUTH_SECRET is {len(secret)} characters long; use at least "
                              f"{MIN_SECRET_CHARS} random characters")
        return secret
    path = settings.data_dir / SECRET_FILE
    if path.exists():
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the session signing secret {path} ({exc}); fix or delete it") from None
        if len(secret) < MIN_SECRET_CHARS:
            raise ConfigError(
                f"the session signing secret {path} is {'empty' if not secret else 'too short'} "
                f"({len(secret)} characters, at least {MIN_SECRET_CHARS} needed), probably left by a full "
                "disk; delete it to have a new one generated (everyone signs in again) or set "
                "FRONTLINE_AUTH_SECRET")
        return secret
    secret = secrets.token_urlsafe(48)
    write_atomically(path, secret)
    return secret
