"""Order flows: where an order is, cancelling one, and changing where it goes.

The rules the customer is told (only orders still "processing" can be cancelled or
redirected; a new address stays in the same country) are the help center's; the order
system enforces them again when it is asked to write.
"""

from __future__ import annotations

import re

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
    normalize,
    settled,
)
from app.conversation.flows.wording import items, money, order_label
from app.conversation.grounded import order_status
from app.core.i18n import say, status_name
from connectors.base import Order

NOT_SHIPPED = "processing"
_SUBSCRIPTION = re.compile(r"\b(subscri\w*|suscrip\w*|abo\b|abonnement\w*|plan\b|membership|mitgliedschaft|"
                           r"vertrag|contrat|contrato)", re.IGNORECASE)
_ORDER = re.compile(r"\b(orders?|pedidos?|bestellung\w*|commandes?|compras?|achats?|purchases?)\b", re.IGNORECASE)
SUBSCRIPTION = "subscription"
# how customers name the countries we ship to, in the supported languages (address-change check)
COUNTRIES = {
    "US": ("united states", "usa", "us", "estados unidos", "vereinigte staaten", "etats unis"),
    "CA": ("canada", "kanada"),
    "GB": ("united kingdom", "uk", "great britain", "england", "reino unido", "grossbritannien", "royaume uni"),
    "IE": ("ireland", "irlanda", "irland", "irlande"),
    "ES": ("spain", "espana", "spanien", "espagne"),
    "DE": ("germany", "deutschland", "alemania", "allemagne"),
    "AT": ("austria", "osterreich", "autriche"),
    "CH": ("switzerland", "schweiz", "suiza", "suisse"),
    "FR": ("france", "francia", "frankreich"),
    "BE": ("belgium", "belgica", "belgien", "belgique"),
    "NL": ("netherlands", "paises bajos", "niederlande", "pays bas"),
    "IT": ("italy", "italia", "italien", "italie"),
    "PT": ("portugal",),
}
CANCELLABLE_PLANS = ("plus", "pro")


class OrderStatus:
    """Read-only: the status, tracking and delivery estimate of the customer's orders."""

    name = "order_status"
    verified_only = True
    confirm = False

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        return Ready("")

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        return None

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply:
        wanted = ctx.entities.order_ids
        if wanted:
            found = await backend(ctx).order(customer_id(ctx), wanted[0])
            orders = [found] if found else []
        else:
            orders = await backend(ctx).orders(customer_id(ctx))
        action = {"tool": "orders.lookup", "order_ids": list(wanted), "outcome": "ok" if orders or not wanted
                  else "not_found"}
        if wanted and not orders:
            return end(say("orders.not_found", ctx.lang, order=wanted[0]), FlowOutcome.NOT_FOUND, action)
        return end(order_status(orders, ctx.lang), FlowOutcome.DONE, action)


async def _unshipped_order(state: FlowState, ctx: FlowContext, slot: str, *, none_key: str, which_key: str,
                           shipped_key: str) -> FlowReply | Order:
    """The order the customer means (named in the message, the only one not shipped, or asked
    for), as long as it has not shipped; otherwise the reply that says why not."""
    connector, customer = backend(ctx), customer_id(ctx)
    if slot not in state.slots and ctx.entities.order_ids:
        state.slots[slot] = ctx.entities.order_ids[0]
    if slot not in state.slots:
        open_orders = [o for o in await connector.orders(customer) if o.status == NOT_SHIPPED]
        if not open_orders:
            return end(say(none_key, ctx.lang), FlowOutcome.NOT_ELIGIBLE)
        if len(open_orders) > 1:
            return ask(state, slot, say(which_key, ctx.lang),
                       [Choice(order_label(o, ctx.lang), o.id) for o in open_orders[:5]])
        state.slots[slot] = open_orders[0].id
    order = await connector.order(customer, state.slots[slot])
    if order is None:
        return end(say("orders.not_found", ctx.lang, order=state.slots[slot]), FlowOutcome.NOT_FOUND)
    if order.status != NOT_SHIPPED:
        return end(say(shipped_key, ctx.lang, order=order.id, status=status_name(order.status, ctx.lang)),
                   FlowOutcome.NOT_ELIGIBLE)
    return order


class Cancellation:
    """Cancel an order that has not shipped, or stop a Plus/Pro subscription from renewing."""

    name = "cancellation"
    verified_only = True
    confirm = True

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        if "target" not in state.slots:
            asked = await self._which(state, ctx)
            if asked is not None:
                return asked
        if state.slots["target"] == SUBSCRIPTION:
            return await self._subscription(state, ctx)
        order = await _unshipped_order(state, ctx, "target", none_key="cancel.nothing", which_key="cancel.which",
                                       shipped_key="cancel.order_shipped")
        if isinstance(order, FlowReply):
            return order
        return Ready(say("cancel.confirm_order", ctx.lang, order=order.id, items=items(order),
                         total=money(order.total, order.currency, ctx.lang)))

    async def _which(self, state: FlowState, ctx: FlowContext) -> FlowReply | None:
        if ctx.entities.order_ids:
            state.slots["target"] = ctx.entities.order_ids[0]
            return None
        about_plan, about_order = bool(_SUBSCRIPTION.search(ctx.text)), bool(_ORDER.search(ctx.text))
        if about_plan and not about_order:
            state.slots["target"] = SUBSCRIPTION
            return None
        connector, customer = backend(ctx), customer_id(ctx)
        orders = [o for o in await connector.orders(customer) if o.status == NOT_SHIPPED]
        plans = [s for s in await connector.subscriptions(customer) if s.status in ("active", "past_due")]
        if about_order and not about_plan:
            plans = []
        options = [Choice(order_label(o, ctx.lang), o.id) for o in orders[:4]]
        options += [Choice(say("cancel.subscription_label", ctx.lang, plan=s.plan.title()), SUBSCRIPTION)
                    for s in plans[:1]]
        if not options:
            return end(say("cancel.nothing", ctx.lang), FlowOutcome.NOT_ELIGIBLE)
        if len(options) > 1:
            return ask(state, "target", say("cancel.which", ctx.lang), options)
        state.slots["target"] = options[0].value
        return None

    async def _subscription(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        plans = await backend(ctx).subscriptions(customer_id(ctx))
        current = next((s for s in plans if s.status in ("active", "past_due", "cancels_at_period_end")), None)
        if current is None:
            return end(say("cancel.no_subscription", ctx.lang), FlowOutcome.NOT_ELIGIBLE)
        if current.status == "cancels_at_period_end":
            return end(say("cancel.already_cancelled", ctx.lang, plan=current.plan.title(),
                           until=current.renews_at or "—"), FlowOutcome.NOT_ELIGIBLE)
        if current.plan not in CANCELLABLE_PLANS:
            return end(say("cancel.contract", ctx.lang, plan=current.plan.title(),
                           renews=current.renews_at or "—"), FlowOutcome.NOT_ELIGIBLE)
        state.slots.update(subscription_id=current.id, plan=current.plan.title(), until=current.renews_at or "—")
        return Ready(say("cancel.confirm_subscription", ctx.lang, plan=state.slots["plan"],
                         until=state.slots["until"]))

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        if ctx.entities.order_ids:
            return ctx.entities.order_ids[0]
        return SUBSCRIPTION if _SUBSCRIPTION.search(text) else None

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply:
        slots = state.slots
        if slots["target"] == SUBSCRIPTION:
            what = say("what.cancel_subscription", ctx.lang, plan=slots["plan"])
            result = await act(ctx, "cancel_subscription", idempotency_key, what,
                               subscription_id=slots["subscription_id"])
            return settled(result, ctx, say("cancel.done_subscription", ctx.lang, plan=slots["plan"],
                                            until=slots["until"]),
                           tool="cancel_subscription", idempotency_key=idempotency_key, what=what,
                           target=slots["subscription_id"])
        what = say("what.cancel_order", ctx.lang, order=slots["target"])
        result = await act(ctx, "cancel_order", idempotency_key, what, order_id=slots["target"])
        return settled(result, ctx, say("cancel.done_order", ctx.lang, order=slots["target"]),
                       tool="cancel_order", idempotency_key=idempotency_key, what=what, target=slots["target"])


_ADDRESS_MIN, _ADDRESS_MAX = 10, 200


def _country_of(text: str) -> str | None:
    plain = f" {normalize(text)} "
    for code, names in COUNTRIES.items():
        if any(f" {name} " in plain for name in names):
            return code
    return None


def same_country(address: str, current_country: str) -> bool:
    """False only when the new address names a country other than the order's."""
    named = _country_of(address.rsplit(",", 1)[-1]) if "," in address else None
    return named is None or named == _country_of(current_country)


class AddressChange:
    """Send an order that has not shipped to a new address in the same country."""

    name = "address_change"
    verified_only = True
    confirm = True

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        order = await _unshipped_order(state, ctx, "order", none_key="address.nothing", which_key="address.which",
                                       shipped_key="address.shipped")
        if isinstance(order, FlowReply):
            return order
        country = (order.shipping_address or "").rsplit(",", 1)[-1].strip() or "—"
        if "address" in state.slots and not same_country(state.slots["address"], country):
            del state.slots["address"]
            return ask(state, "address", say("address.other_country", ctx.lang, country=country))
        if "address" not in state.slots:
            return ask(state, "address", say("address.ask", ctx.lang, order=order.id,
                                             current=order.shipping_address or "—", country=country))
        return Ready(say("address.confirm", ctx.lang, order=order.id, current=order.shipping_address or "—",
                         new=state.slots["address"]))

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        if slot == "order":
            return ctx.entities.order_ids[0] if ctx.entities.order_ids else None
        address = " ".join(text.split())
        if not _ADDRESS_MIN <= len(address) <= _ADDRESS_MAX or not re.search(r"\d", address):
            return None  # a street address has a number (house or postcode) and fits on a label
        if len(re.findall(r"[^\W\d_]{2,}", address)) < 2:
            return None
        return address

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply:
        order_id, address = state.slots["order"], state.slots["address"]
        what = say("what.change_shipping_address", ctx.lang, order=order_id)
        result = await act(ctx, "change_shipping_address", idempotency_key, what, order_id=order_id, address=address)
        return settled(result, ctx, say("address.done", ctx.lang, order=order_id, new=address),
                       tool="change_shipping_address", idempotency_key=idempotency_key, what=what, target=order_id)
