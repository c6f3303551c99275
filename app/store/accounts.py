"""Chainlit users (customers and agents as the UI knows them) and agent credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from app.core.domain import new_id, utcnow
from app.core.errors import StoreError
from app.store.database import Database

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return hmac.compare_digest(digest, expected)


@dataclass(frozen=True)
class StoredUser:
    id: str
    identifier: str
    display_name: str | None
    metadata: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class Agent:
    email: str
    name: str
    role: str
    tenants: list[str]
    language: str = "en"  # the console shows customers' messages in it (when a translator is configured)

    def serves(self, tenant: str) -> bool:
        return "*" in self.tenants or tenant in self.tenants


class AccountStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_user(self, identifier: str) -> StoredUser | None:
        row = await self.db.fetch_one("SELECT * FROM users WHERE identifier = ?", (identifier,))
        if row is None:
            return None
        return StoredUser(row["id"], row["identifier"], row["display_name"],
                          json.loads(row["metadata"]), row["created_at"])

    async def upsert_user(self, identifier: str, display_name: str | None,
                          metadata: dict[str, Any]) -> StoredUser:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO users (id, identifier, display_name, metadata, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(identifier) DO UPDATE SET"
                " display_name = excluded.display_name, metadata = excluded.metadata",
                (new_id(), identifier, display_name, json.dumps(metadata), utcnow()),
            )
        user = await self.get_user(identifier)
        assert user is not None
        return user

    async def prune_idle_guests(self, created_before: str) -> int:
        """Delete guest users created before `created_before` (a store timestamp) who never
        started a conversation: every widget visit makes one, and most never type anything."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM users WHERE identifier LIKE 'guest:%' AND created_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_identifier = users.identifier)",
                (created_before,))
        return cursor.rowcount

    async def seed_agent(self, email: str, name: str, password: str, role: str,
                         tenants: list[str], language: str = "en") -> None:
        """Create or update an agent; the password hash changes only if the password did."""
        existing = await self.db.fetch_one(
            "SELECT password_hash FROM agents WHERE email = ?", (email.lower(),))
        password_hash = (
            existing["password_hash"]
            if existing and check_password(password, existing["password_hash"])
            else hash_password(password)
        )
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO agents (email, name, role, tenants, password_hash, updated_at, language)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO UPDATE SET name = excluded.name,"
                " role = excluded.role, tenants = excluded.tenants, language = excluded.language,"
                " password_hash = excluded.password_hash, updated_at = excluded.updated_at",
                (email.lower(), name, role, json.dumps(tenants), password_hash, utcnow(), language),
            )

    async def authenticate_agent(self, email: str, password: str) -> Agent | None:
        row = await self.db.fetch_one("SELECT * FROM agents WHERE email = ?", (email.strip().lower(),))
        if row is None or not check_password(password, row["password_hash"]):
            return None
        return _agent(row)

    async def agent(self, email: str) -> Agent | None:
        row = await self.db.fetch_one("SELECT * FROM agents WHERE email = ?", (email.lower(),))
        return _agent(row) if row is not None else None

    async def issue_token(self, email: str, label: str = "") -> str:
        """A new Queue API token for an agent. Only its hash is stored: show it once."""
        if await self.agent(email) is None:
            raise StoreError(f"No agent with email {email!r}.")
        token = "flt_" + secrets.token_urlsafe(32)
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO agent_tokens (token_hash, agent_email, label, created_at) VALUES (?, ?, ?, ?)",
                (_token_hash(token), email.lower(), label[:100], utcnow()))
        return token

    async def agent_for_token(self, token: str) -> Agent | None:
        """The agent a bearer token belongs to, unless it is unknown or revoked."""
        if not token.startswith("flt_") or len(token) > 200:
            return None
        digest = _token_hash(token)
        row = await self.db.fetch_one(
            "SELECT a.* FROM agent_tokens t JOIN agents a ON a.email = t.agent_email"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL", (digest,))
        if row is None:
            return None
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE agent_tokens SET last_used_at = ? WHERE token_hash = ?", (utcnow(), digest))
        return _agent(row)

    async def revoke_tokens(self, email: str) -> int:
        async with self.db.transaction() as tx:
            cursor = await tx.execute("UPDATE agent_tokens SET revoked_at = ? WHERE agent_email = ?"
                                      " AND revoked_at IS NULL", (utcnow(), email.lower()))
            return cursor.rowcount


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # tokens are 256-bit random: no salt or stretching needed


def _agent(row: Any) -> Agent:
    return Agent(row["email"], row["name"], row["role"], json.loads(row["tenants"]), row["language"])
