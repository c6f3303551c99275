"""The connector registry: built-ins and third-party connectors register the same way.

    from connectors.registry import register

    @register("my_crm")
    async def open_my_crm(options: dict, context: ConnectorContext) -> Connector: ...

A tenant file then says `connector: {type: my_crm, options: {...}}`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import clock as clocks
from app.core.errors import ConfigError
from connectors.base import Connector


@dataclass(frozen=True)
class ConnectorContext:
    tenant: str
    tenant_root: Path  # relative option paths resolve against the tenant file's folder
    data_dir: Path  # where a connector may keep local state
    clock: clocks.Clock = clocks.now  # Frontline's one clock (app/core/clock.py), for anything dated


Factory = Callable[[dict[str, Any], ConnectorContext], Awaitable[Connector]]
_FACTORIES: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    def decorator(factory: Factory) -> Factory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise ConfigError(f"Two connectors registered under the name {name!r}")
        _FACTORIES[name] = factory
        return factory

    return decorator


async def open_connector(kind: str, options: dict[str, Any], context: ConnectorContext) -> Connector:
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise ConfigError(
            f"Tenant {context.tenant!r} uses connector type {kind!r}, which is not registered "
            f"(available: {', '.join(sorted(_FACTORIES)) or 'none'})")
    return await factory(options, context)
