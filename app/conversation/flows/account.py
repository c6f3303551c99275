"""Account flows: a password reset link.

A signed-in customer gets the link at the address on file. A guest (who may be locked out)
gives an email address and is told the same thing whether or not it has an account, so
the chat cannot be used to find out who is a customer.
"""

from __future__ import annotations

from app.conversation.flows.state import (
    FlowContext,
    FlowOutcome,
    FlowReply,
    FlowState,
    Ready,
    act,
    ask,
    backend,
    end,
    settled,
)
from app.conversation.flows.wording import masked_email
from app.core.i18n import say
from app.understanding.entities import extract_entities


class PasswordReset:
    name = "password_reset"
    verified_only = False
    confirm = True

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        if ctx.identity.verified:
            customer = await backend(ctx).customer(ctx.identity.customer_id or "")
            if customer is None:
                return end(say("flow.unavailable", ctx.lang), FlowOutcome.FAILED)
            state.slots["email"] = customer.email
            return Ready(say("password.confirm", ctx.lang, email=masked_email(customer.email)))
        if "email" not in state.slots and ctx.entities.emails:
            state.slots["email"] = ctx.entities.emails[0]
        if "email" not in state.slots:
            return ask(state, "email", say("password.ask_email", ctx.lang))
        return Ready(say("password.confirm", ctx.lang, email=state.slots["email"]))

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        emails = ctx.entities.emails or extract_entities(text).emails
        return emails[0] if emails else None

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply:
        what = say("what.send_password_reset", ctx.lang)
        result = await act(ctx, "send_password_reset", idempotency_key, what, email=state.slots["email"])
        key = "password.sent" if ctx.identity.verified else "password.sent_if_known"
        # no address in the action: traces and the audit log stay free of personal data
        return settled(result, ctx, say(key, ctx.lang, email=state.slots["email"]),
                       tool="send_password_reset", idempotency_key=idempotency_key, what=what)
