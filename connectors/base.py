"""What Frontline needs from a company's business systems, as small protocols.

A connector is always called with the customer id from the verified identity token, never
with an id taken from the conversation text or the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price: float


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    status: str
    placed_at: str
    total: float
    currency: str
    carrier: str | None = None
    tracking_number: str | None = None
    estimated_delivery: str | None = None
    delivered_at: str | None = None
    items: tuple[OrderItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    plan: str
    annual_contract_value: float
    renewal_date: str | None
    sla_tier: str
    language: str | None = None


@runtime_checkable
class CustomerDirectory(Protocol):
    async def customer(self, customer_id: str) -> Customer | None: ...


@runtime_checkable
class OrderSystem(Protocol):
    async def orders(self, customer_id: str) -> list[Order]:
        """The customer's orders, newest first."""
        ...

    async def order(self, customer_id: str, order_id: str) -> Order | None:
        """One order, only if it belongs to `customer_id`."""
        ...


class Connector(CustomerDirectory, OrderSystem, Protocol):
    """A backend that serves customers and orders (CRM + order management)."""

    async def close(self) -> None: ...
