"""Billing flows: a copy of an invoice, and a refund request.

Refund windows come from the tenant's action policy (`terms` of `request_refund`), with the
demo help center's as defaults: hardware within 30 days of delivery (as a return), monthly
charges within 7 days, annual charges within 14 days, Business contracts not part-way. The
flow tells the customer the truth about them and files eligible requests; the policy
decides which requests an agent approves first.
"""

from __future__ import annotations

from datetime import date

from app.actions.gate import ActionResult
from app.conversation.flows.state import (
    Choice,
    FlowContext,
    FlowOutcome,
    FlowReply,
    FlowState,
    Ready,
    act,
    ask,
    backend,
    customer_id,
    end,
    settled,
)
from app.conversation.flows.wording import invoice_label, items, masked_email, money, order_label
from app.core.i18n import say, status_name
from connectors.base import Invoice, Order

# the policy's `terms` for request_refund, and their defaults
HARDWARE_RETURN_DAYS = ("hardware_return_days", 30)
MONTHLY_REFUND_DAYS = ("monthly_charge_days", 7)
ANNUAL_REFUND_DAYS = ("annual_charge_days", 14)
SHOWN_INVOICES = 3


def _term(ctx: FlowContext, term: tuple[str, int]) -> int:
    return int(ctx.policy.term("request_refund", *term))


def _days_since(day: str | None, today: date) -> int | None:
    try:
        return (today - date.fromisoformat((day or "")[:10])).days
    except ValueError:
        return None


async def _invoice(ctx: FlowContext, invoice_id: str) -> Invoice | None:
    invoices = await backend(ctx).invoices(customer_id(ctx))
    return next((i for i in invoices if i.id.upper() == invoice_id.upper()), None)


class InvoiceCopy:
    """Email a copy of one invoice to the billing address on file (never to a typed address)."""

    name = "invoice_copy"
    verified_only = True
    confirm = True

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        if "invoice" not in state.slots and ctx.entities.invoice_ids:
            state.slots["invoice"] = ctx.entities.invoice_ids[0]
        if "invoice" not in state.slots:
            invoices = await backend(ctx).invoices(customer_id(ctx))
            if not invoices:
                return end(say("invoice.none", ctx.lang), FlowOutcome.NOT_ELIGIBLE)
            if len(invoices) > 1:
                return ask(state, "invoice", say("invoice.which", ctx.lang),
                           [Choice(invoice_label(i, ctx.lang), i.id) for i in invoices[:SHOWN_INVOICES]])
            state.slots["invoice"] = invoices[0].id
        invoice = await _invoice(ctx, state.slots["invoice"])
        if invoice is None:
            return end(say("invoice.not_found", ctx.lang, invoice=state.slots["invoice"]), FlowOutcome.NOT_FOUND)
        customer = await backend(ctx).customer(customer_id(ctx))
        email = masked_email(customer.email) if customer else "—"
        return Ready(say("invoice.confirm", ctx.lang, invoice=invoice.id, description=invoice.description,
                         amount=money(invoice.amount, invoice.currency, ctx.lang), email=email))

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        return ctx.entities.invoice_ids[0] if ctx.entities.invoice_ids else None

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply:
        invoice_id = state.slots["invoice"]
        what = say("what.send_invoice_copy", ctx.lang, invoice=invoice_id)
        result = await act(ctx, "send_invoice_copy", idempotency_key, what, invoice_id=invoice_id)
        return settled(result, ctx, say("invoice.sent", ctx.lang, invoice=invoice_id),
                       tool="send_invoice_copy", idempotency_key=idempotency_key, what=what, target=invoice_id)


class RefundRequest:
    """File a refund request: a return for a delivered order, or a recent subscription charge."""

    name = "refund_request"
    verified_only = True
    confirm = True

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        if "target" not in state.slots:
            if ctx.entities.order_ids:
                state.slots["target"] = ctx.entities.order_ids[0]
            elif ctx.entities.invoice_ids:
                state.slots["target"] = ctx.entities.invoice_ids[0]
            else:
                asked = await self._which(state, ctx)
                if asked is not None:
                    return asked
        target = state.slots["target"]
        if target.upper().startswith("INV-"):
            invoice = await _invoice(ctx, target)
            if invoice is None:
                return end(say("invoice.not_found", ctx.lang, invoice=target), FlowOutcome.NOT_FOUND)
            return self._invoice_terms(invoice, state, ctx)
        order = await backend(ctx).order(customer_id(ctx), target)
        if order is None:
            return end(say("orders.not_found", ctx.lang, order=target), FlowOutcome.NOT_FOUND)
        return self._order_terms(order, state, ctx)

    async def _which(self, state: FlowState, ctx: FlowContext) -> FlowReply | None:
        connector, customer = backend(ctx), customer_id(ctx)
        orders = [o for o in await connector.orders(customer) if _order_refusal(o, ctx) is None]
        invoices = [i for i in await connector.invoices(customer) if _invoice_refusal(i, ctx) is None]
        options = [Choice(order_label(o, ctx.lang), o.id) for o in orders[:3]]
        options += [Choice(invoice_label(i, ctx.lang), i.id) for i in invoices[:2]]
        if not options:
            return end(say("refund.nothing", ctx.lang), FlowOutcome.NOT_ELIGIBLE)
        if len(options) > 1:
            return ask(state, "target", say("refund.which", ctx.lang), options)
        state.slots["target"] = options[0].value
        return None

    @staticmethod
    def _order_terms(order: Order, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        refusal = _order_refusal(order, ctx)
        if refusal is not None:
            return end(refusal, FlowOutcome.NOT_ELIGIBLE)
        state.slots["amount"] = f"{order.total:.2f}"  # what the customer agrees to is what is requested
        state.slots["currency"] = order.currency
        return Ready(say("refund.confirm_order", ctx.lang, order=order.id, items=items(order),
                         amount=money(order.total, order.currency, ctx.lang)))

    @staticmethod
    def _invoice_terms(invoice: Invoice, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        refusal = _invoice_refusal(invoice, ctx)
        if refusal is not None:
            return end(refusal, FlowOutcome.NOT_ELIGIBLE)
        state.slots["amount"] = f"{invoice.amount:.2f}"
        state.slots["currency"] = invoice.currency
        return Ready(say("refund.confirm_invoice", ctx.lang, invoice=invoice.id, description=invoice.description,
                         amount=money(invoice.amount, invoice.currency, ctx.lang)))

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        found = ctx.entities.order_ids or ctx.entities.invoice_ids
        return found[0] if found else None

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply:
        target, amount = state.slots["target"], float(state.slots["amount"])
        is_invoice = target.upper().startswith("INV-")
        what = say("what.request_refund", ctx.lang, target=target,
                   amount=money(amount, state.slots.get("currency", ""), ctx.lang))
        charge = {"invoice_id": target} if is_invoice else {"order_id": target}
        result = await act(ctx, "request_refund", idempotency_key, what, amount=amount, reason=state.reason,
                           **charge)

        def done(result: ActionResult) -> str:
            return say("refund.submitted_invoice" if is_invoice else "refund.submitted_order", ctx.lang,
                       reference=result.reference, target=target)

        return settled(result, ctx, done, tool="request_refund", idempotency_key=idempotency_key, what=what,
                       target=target, amount=amount, reference=result.reference)


def _order_refusal(order: Order, ctx: FlowContext) -> str | None:
    """Why this order cannot be refunded now (in the customer's language), or None if it can."""
    lang = ctx.lang
    if order.status == "processing":
        return say("refund.order_not_shipped", lang, order=order.id)
    if order.status == "cancelled":
        return say("refund.order_cancelled", lang, order=order.id)
    if order.status == "returned":
        return say("refund.order_returned", lang, order=order.id)
    if order.status != "delivered":
        return say("refund.order_on_its_way", lang, order=order.id, status=status_name(order.status, lang))
    days = _days_since(order.delivered_at, ctx.today)
    if days is None or days > _term(ctx, HARDWARE_RETURN_DAYS):
        return say("refund.order_too_old", lang, order=order.id, delivered=(order.delivered_at or "—")[:10])
    return None


def _invoice_refusal(invoice: Invoice, ctx: FlowContext) -> str | None:
    lang, text = ctx.lang, invoice.description.lower()
    if "business" in text:
        return say("refund.contract", lang, invoice=invoice.id)
    if invoice.status != "paid":
        return say("refund.invoice_unpaid", lang, invoice=invoice.id)
    window = _term(ctx, ANNUAL_REFUND_DAYS if ("yearly" in text or "annual" in text) else MONTHLY_REFUND_DAYS)
    days = _days_since(invoice.issued_at, ctx.today)
    if days is None or days > window:
        return say("refund.invoice_too_old", lang, invoice=invoice.id, issued=invoice.issued_at, days=window)
    return None
