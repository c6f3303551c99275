"""Readiness: is every part a customer's session depends on usable right now?

/healthz used to answer ok as soon as the process was up, even while every sign-in failed
(an empty signing secret) or the database could not be read. Each component is checked for
real on every call: the store with a query on the tables a turn uses, the index with a count
per tenant, the session secret by length. Any failure makes the answer 503, with the reason
per component, so a load balancer stops sending customers to a server that can't serve them. The answer
names the replica (FRONTLINE_REPLICA_NAME), so behind a balancer one can tell who answered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chainlit.auth.jwt import get_jwt_secret

from app.config.data_folder import MIN_SECRET_CHARS

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)
OK = "ok"


async def store_status(services: Services) -> str:
    try:
        await services.db.fetch_one("SELECT count(*) FROM schema_migrations")
        await services.db.fetch_one("SELECT id FROM conversations LIMIT 1")
        await services.db.fetch_one("SELECT id FROM messages LIMIT 1")
        await services.db.fetch_one("SELECT id FROM users LIMIT 1")
    except Exception as exc:
        return f"unavailable: {exc}"
    return OK


def secret_status() -> str:
    secret = (get_jwt_secret() or "").strip()
    if len(secret) < MIN_SECRET_CHARS:
        return (f"unusable: the session signing secret is {len(secret)} characters long "
                f"(at least {MIN_SECRET_CHARS} needed); sign-ins would fail")
    return OK


async def readiness(services: Services) -> tuple[bool, dict[str, Any]]:
    """(ready, the body /healthz answers): each component's status, and the knowledge counts."""
    sections: dict[str, int] = {}
    index = OK
    try:
        for tenant in services.tenants:
            sections[tenant.id] = await services.knowledge.count(tenant.id)
    except Exception as exc:
        index = f"unavailable: {exc}"
    components = {"store": await store_status(services), "index": index, "secret": secret_status()}
    ready = all(status == OK for status in components.values())
    if not ready:
        log.warning("not ready: %s", "; ".join(f"{k} {v}" for k, v in components.items() if v != OK))
    return ready, {"status": "ok" if ready else "unavailable", "replica": services.settings.replica,
                   "components": components,
                   "tenants": sorted(t.id for t in services.tenants), "knowledge_sections": sections}
