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
    shipping_address: str | None = None


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


@dataclass(frozen=True)
class Invoice:
    id: str
    customer_id: str
    amount: float
    currency: str
    status: str  # paid | open | overdue
    issued_at: str
    due_at: str | None
    description: str


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    plan: str
    status: str  # active | past_due | cancelled | cancels_at_period_end
    billing_period: str  # monthly | yearly
    started_at: str | None
    renews_at: str | None


@dataclass(frozen=True)
class Receipt:
    """What a company's system did with a write request.

    `status` is "done" (carried out), "submitted" (recorded for people to review) or
    "rejected" (the system's own rules refused it; `reason` says which). `replayed` is True
    when the idempotency key had been used before: the first result is returned again and
    nothing is done twice.
    """

    reference: str
    status: str
    reason: str = ""
    replayed: bool = False


@runtime_checkable
class WriteLookup(Protocol):
    """Optional: a system that can say what became of a write, by its idempotency key. Frontline
    asks it after a crash cut a write off; a connector without it gets the same request again
    under the same key, which the system must deduplicate."""

    async def write_result(self, idempotency_key: str) -> Receipt | None:
        """The write's receipt (replayed=True), or None if the system never received it."""
        ...


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

    async def cancel_order(self, customer_id: str, order_id: str, *, idempotency_key: str) -> Receipt:
        """Cancel an order that has not shipped (rejected with reason "not_cancellable" otherwise)."""
        ...

    async def change_shipping_address(self, customer_id: str, order_id: str, address: str, *,
                                      idempotency_key: str) -> Receipt:
        """Send an order that has not shipped to a new address ("not_changeable" otherwise)."""
        ...


@runtime_checkable
class BillingSystem(Protocol):
    async def invoices(self, customer_id: str) -> list[Invoice]:
        """The customer's invoices, newest first."""
        ...

    async def subscriptions(self, customer_id: str) -> list[Subscription]: ...

    async def send_invoice_copy(self, customer_id: str, invoice_id: str, *, idempotency_key: str) -> Receipt:
        """Email a copy of the invoice to the customer's billing address on file."""
        ...

    async def request_refund(self, customer_id: str, *, order_id: str | None, invoice_id: str | None,
                             amount: float, reason: str, idempotency_key: str) -> Receipt:
        """Record a refund request (a hardware return, or a charge) for the billing team."""
        ...

    async def cancel_subscription(self, customer_id: str, subscription_id: str, *,
                                  idempotency_key: str) -> Receipt:
        """Stop renewal; the plan stays until the paid period ends."""
        ...


@runtime_checkable
class AccountSystem(Protocol):
    async def send_password_reset(self, email: str, *, idempotency_key: str) -> Receipt:
        """Email a reset link if `email` has an account. The receipt never says whether it
        had one, so the chat cannot be used to discover who is a customer."""
        ...


@runtime_checkable
class TicketSystem(Protocol):
    async def create_ticket(self, *, customer_id: str | None, email: str | None, subject: str, body: str,
                            priority: str, idempotency_key: str) -> Receipt:
        """Open a ticket in the company's helpdesk (a follow-up people answer by email).
        `customer_id` is None for a guest, who is reached at `email`; `priority` is
        "low", "normal", "high" or "urgent"."""
        ...


class Connector(CustomerDirectory, OrderSystem, BillingSystem, AccountSystem, TicketSystem, Protocol):
    """A backend that serves customers, orders, billing, accounts and tickets (CRM + OMS +
    billing + helpdesk)."""

    async def close(self) -> None: ...
