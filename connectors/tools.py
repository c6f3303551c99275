"""The operations Frontline can ask of a company's systems, as tools with JSON schemas.

One definition per operation serves every caller: the task flows and the agent console
act through it, the action policy names its write tools, and the model is shown the read
tools' schemas. No tool takes a customer id: whose account it is comes from the verified
identity, which the caller binds, so neither the model nor the text can choose it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connectors.base import Connector, Receipt

REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"  # order, invoice and subscription ids


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class OrderRef(Arguments):
    order_id: str = Field(pattern=REFERENCE, description="the order number, e.g. BW-10234")


class NewAddress(OrderRef):
    address: str = Field(min_length=8, max_length=300, description="the full new shipping address")


class InvoiceRef(Arguments):
    invoice_id: str = Field(pattern=REFERENCE, description="the invoice number, e.g. INV-2026-0079")


class SubscriptionRef(Arguments):
    subscription_id: str = Field(pattern=REFERENCE)


class Refund(Arguments):
    order_id: str | None = Field(default=None, pattern=REFERENCE)
    invoice_id: str | None = Field(default=None, pattern=REFERENCE)
    amount: float = Field(gt=0, le=1_000_000)
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _one_charge(self) -> Refund:
        if (self.order_id is None) == (self.invoice_id is None):
            raise ValueError("name exactly one of order_id or invoice_id")
        return self


class ResetEmail(Arguments):
    email: str = Field(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$", max_length=320)


class Ticket(Arguments):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    email: str | None = Field(default=None, max_length=320)


class NoArguments(Arguments):
    pass


class OptionalOrder(Arguments):
    order_id: str | None = Field(default=None, pattern=REFERENCE,
                                 description="an order number such as BW-10234, if the customer gave one")


Runner = Callable[[Connector, Any, Any, str], Awaitable[Any]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[Arguments]
    writes: bool
    account: bool  # reads or changes one customer's account: needs a verified customer
    run: Runner  # (connector, customer id or None, validated arguments, idempotency key)
    describe: Callable[[Any], str] = lambda args: ""  # one line for agents and the audit log

    def parse(self, raw: dict[str, Any]) -> Arguments:
        """Validated arguments; raises ToolArgumentsError with a message fit to show a caller."""
        try:
            return self.arguments.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                                 for e in exc.errors())
            raise ToolArgumentsError(f"{self.name}: {problems}") from None

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function definition a model is given."""
        parameters = self.arguments.model_json_schema()
        parameters.pop("title", None)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": parameters}}


class ToolArgumentsError(ValueError):
    pass


def _money(amount: float) -> str:
    return f"{amount:.2f}"


def _charge(refund: Refund) -> str:
    return f"order {refund.order_id}" if refund.order_id else f"invoice {refund.invoice_id}"


WRITE_TOOLS: dict[str, Tool] = {tool.name: tool for tool in (
    Tool("cancel_order", "Cancel an order that has not shipped.", OrderRef, True, True,
         lambda c, customer, a, key: c.cancel_order(customer, a.order_id, idempotency_key=key),
         lambda a: f"cancel order {a.order_id}"),
    Tool("change_shipping_address", "Send an order that has not shipped to a new address.", NewAddress, True, True,
         lambda c, customer, a, key: c.change_shipping_address(customer, a.order_id, a.address, idempotency_key=key),
         lambda a: f"change the shipping address of order {a.order_id}"),
    Tool("send_invoice_copy", "Email a copy of an invoice to the billing address on file.", InvoiceRef, True, True,
         lambda c, customer, a, key: c.send_invoice_copy(customer, a.invoice_id, idempotency_key=key),
         lambda a: f"email a copy of invoice {a.invoice_id}"),
    Tool("request_refund", "File a refund request for an order or a charge.", Refund, True, True,
         lambda c, customer, a, key: c.request_refund(customer, order_id=a.order_id, invoice_id=a.invoice_id,
                                                      amount=a.amount, reason=a.reason, idempotency_key=key),
         lambda a: f"refund {_money(a.amount)} for {_charge(a)}"),
    Tool("cancel_subscription", "Stop a subscription renewing at the end of the paid period.", SubscriptionRef,
         True, True,
         lambda c, customer, a, key: c.cancel_subscription(customer, a.subscription_id, idempotency_key=key),
         lambda a: f"cancel subscription {a.subscription_id} at period end"),
    Tool("send_password_reset", "Email a password-reset link, if the address has an account.", ResetEmail,
         True, False,
         lambda c, customer, a, key: c.send_password_reset(a.email, idempotency_key=key),
         lambda a: "send a password-reset link"),
    Tool("create_ticket", "Open a ticket for the support team to follow up by email.", Ticket, True, False,
         lambda c, customer, a, key: c.create_ticket(customer_id=customer, email=a.email, subject=a.subject,
                                                     body=a.body, priority=a.priority, idempotency_key=key),
         lambda a: f"open a {a.priority} ticket: {a.subject[:80]}"),
)}

READ_TOOLS: dict[str, Tool] = {tool.name: tool for tool in (
    Tool("get_order_status", "The signed-in customer's orders (newest first), or one order by its number.",
         OptionalOrder, False, True,
         lambda c, customer, a, key: c.order(customer, a.order_id) if a.order_id else c.orders(customer)),
    Tool("list_invoices", "The signed-in customer's invoices, newest first.", NoArguments, False, True,
         lambda c, customer, a, key: c.invoices(customer)),
    Tool("list_subscriptions", "The signed-in customer's subscriptions and their renewal dates.", NoArguments,
         False, True, lambda c, customer, a, key: c.subscriptions(customer)),
)}


def write_tool(name: str) -> Tool:
    try:
        return WRITE_TOOLS[name]
    except KeyError:
        raise ToolArgumentsError(f"there is no write tool named {name!r}") from None


__all__ = ["READ_TOOLS", "WRITE_TOOLS", "Receipt", "Tool", "ToolArgumentsError", "write_tool"]
