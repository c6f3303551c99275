"""A connector that reads from a company's system but never writes to it.

`frontline eval` runs test conversations against the real engine, and a test conversation
may well say "yes, cancel my order". Against the demo connector that lands in a scratch copy
of its database; against a company's own system it would cancel a real order. Wrapped in
`DryRun`, lookups still reach the system (answers stay realistic), and every write returns
a receipt marked as not sent, with nothing leaving the process.
"""

from __future__ import annotations

from typing import Any

from connectors.base import Connector, Customer, Invoice, Order, Receipt, Subscription

DRY_RUN_REFERENCE = "DRY-RUN"


class DryRun:
    """Reads pass through to `inner`; writes are answered here, as "done", and recorded in `writes`."""

    def __init__(self, inner: Connector) -> None:
        self.inner = inner
        self.writes: list[tuple[str, dict[str, Any]]] = []  # (operation, arguments), in order

    def _write(self, operation: str, **arguments: Any) -> Receipt:
        self.writes.append((operation, arguments))
        return Receipt(reference=f"{DRY_RUN_REFERENCE}-{len(self.writes)}", status="done")

    # -- reads ------------------------------------------------------------------------
    async def customer(self, customer_id: str) -> Customer | None:
        return await self.inner.customer(customer_id)

    async def orders(self, customer_id: str) -> list[Order]:
        return await self.inner.orders(customer_id)

    async def order(self, customer_id: str, order_id: str) -> Order | None:
        return await self.inner.order(customer_id, order_id)

    async def invoices(self, customer_id: str) -> list[Invoice]:
        return await self.inner.invoices(customer_id)

    async def subscriptions(self, customer_id: str) -> list[Subscription]:
        return await self.inner.subscriptions(customer_id)

    # -- writes, never sent -------------------------------------------------------------
    async def cancel_order(self, customer_id: str, order_id: str, *, idempotency_key: str) -> Receipt:
        return self._write("cancel_order", customer_id=customer_id, order_id=order_id)

    async def change_shipping_address(self, customer_id: str, order_id: str, address: str, *,
                                      idempotency_key: str) -> Receipt:
        return self._write("change_shipping_address", customer_id=customer_id, order_id=order_id)

    async def send_invoice_copy(self, customer_id: str, invoice_id: str, *, idempotency_key: str) -> Receipt:
        return self._write("send_invoice_copy", customer_id=customer_id, invoice_id=invoice_id)

    async def request_refund(self, customer_id: str, *, order_id: str | None, invoice_id: str | None,
                             amount: float, reason: str, idempotency_key: str) -> Receipt:
        return self._write("request_refund", customer_id=customer_id, order_id=order_id, amount=amount)

    async def cancel_subscription(self, customer_id: str, subscription_id: str, *,
                                  idempotency_key: str) -> Receipt:
        return self._write("cancel_subscription", customer_id=customer_id, subscription_id=subscription_id)

    async def send_password_reset(self, email: str, *, idempotency_key: str) -> Receipt:
        return self._write("send_password_reset")

    async def create_ticket(self, *, customer_id: str | None, email: str | None, subject: str, body: str,
                            priority: str, idempotency_key: str) -> Receipt:
        return self._write("create_ticket", customer_id=customer_id, priority=priority)

    async def close(self) -> None:
        """The inner connector belongs to whoever opened it."""
