"""Driving a flow: start it, read the customer's answer, confirm, then act exactly once.

Every write waits for an explicit yes, carries an idempotency key derived from the
conversation and the request, and is refused by the company's system if its own rules say
no: the flow only asks and explains, it never decides whose account or bends a rule.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from typing import Protocol

from app.conversation.flows.state import (
    CONFIRM,
    MAX_UNCLEAR_ANSWERS,
    Choice,
    FlowContext,
    FlowOutcome,
    FlowReply,
    FlowState,
    Ready,
    pick,
    read_yes_no,
    wants_to_stop,
)
from app.conversation.policy import SMALLTALK
from app.core.errors import ConnectorError
from app.core.i18n import say
from app.understanding.entities import extract_entities
from app.understanding.intents import IntentResult

log = logging.getLogger(__name__)

CLARIFY = "clarify"  # the pseudo-flow that asks which of several tasks the customer meant
SOMETHING_ELSE = "other"


class Flow(Protocol):
    name: str
    verified_only: bool  # reads or changes an account: only for a customer signed in on the site
    confirm: bool  # False for read-only flows, which answer as soon as they know enough

    async def advance(self, state: FlowState, ctx: FlowContext) -> FlowReply | Ready:
        """Fill what the message gives, ask for the next missing slot, or say what will be done."""
        ...

    def accept(self, slot: str, text: str, ctx: FlowContext) -> str | None:
        """The slot's value read from a typed answer, or None if the answer does not fit."""
        ...

    async def execute(self, state: FlowState, ctx: FlowContext, idempotency_key: str) -> FlowReply: ...


class FlowRunner:
    def __init__(self, flows: list[Flow]) -> None:
        self.flows = {flow.name: flow for flow in flows}

    @property
    def tasks(self) -> dict[str, bool]:
        """Each flow's name and whether it needs a verified customer (what the policy decides on)."""
        return {name: flow.verified_only for name, flow in self.flows.items()}

    async def start(self, name: str, ctx: FlowContext) -> FlowReply:
        return await self._advance(self.flows[name], FlowState(name, awaiting="", reason=ctx.text[:500]), ctx)

    def clarify(self, candidates: list[str], ctx: FlowContext) -> FlowReply:
        """Ask which task the customer meant; the answer starts that flow."""
        options = [Choice(say(f"task.{name}", ctx.lang), name) for name in candidates]
        options.append(Choice(say("task.other", ctx.lang), SOMETHING_ELSE))
        listing = "\n".join(f"{i}. {o.label}" for i, o in enumerate(options, 1))
        state = FlowState(CLARIFY, "task", options=options, reason=ctx.text[:500])
        return FlowReply(f"{say('clarify.which', ctx.lang)}\n\n{listing}", state, FlowOutcome.CLARIFY, tuple(options))

    async def resume(self, state: FlowState, ctx: FlowContext, intent: IntentResult) -> FlowReply | None:
        """The flow's next reply, or None when the message is about something else (the
        flow is dropped and the caller treats the message afresh)."""
        if state.name == CLARIFY:
            return await self._resume_clarify(state, ctx, intent)
        flow = self.flows.get(state.name)
        if flow is None:
            return None
        if state.awaiting == CONFIRM:
            answer = read_yes_no(ctx.text, ctx.choice)
            if answer is None:
                again = await self._advance(flow, state, ctx, prefix=say("flow.yes_or_no", ctx.lang))
                return self._unclear(state, ctx, intent, again)
            if not answer:
                return FlowReply(say("flow.declined", ctx.lang), None, FlowOutcome.DECLINED)
            return await self._execute(flow, state, ctx)
        if wants_to_stop(ctx.text):
            return FlowReply(say("flow.stopped", ctx.lang), None, FlowOutcome.STOPPED)
        value = None
        if state.options:
            choice = pick(ctx.text, state.options, ctx.choice)
            typed = None if choice else flow.accept(state.awaiting, ctx.text, ctx)
            value = choice.value if choice else typed
        else:
            value = flow.accept(state.awaiting, ctx.text, ctx)
        if value is None:
            again = await self._advance(flow, state, ctx, prefix=say("flow.not_understood", ctx.lang))
            return self._unclear(state, ctx, intent, again)
        state.slots[state.awaiting] = value
        state.unclear, state.options = 0, []
        return await self._advance(flow, state, ctx)

    async def _resume_clarify(self, state: FlowState, ctx: FlowContext, intent: IntentResult) -> FlowReply | None:
        choice = pick(ctx.text, state.options, ctx.choice)
        if choice is None:
            return None  # not an answer to the question: treat the message as a new request
        if choice.value == SOMETHING_ELSE or choice.value not in self.flows:
            return FlowReply(say("clarify.other", ctx.lang), None, FlowOutcome.CLARIFIED)
        original = replace(ctx, text=state.reason, choice=None,
                           entities=extract_entities(state.reason, today=ctx.today, language=ctx.lang))
        return await self.start(choice.value, original)

    def _unclear(self, state: FlowState, ctx: FlowContext, intent: IntentResult, again: FlowReply) -> FlowReply | None:
        if intent.name and intent.name not in (state.name, *SMALLTALK) and intent.confidence >= 0.5:
            return None  # a confident new request: let it through rather than insisting
        state.unclear += 1
        if state.unclear >= MAX_UNCLEAR_ANSWERS:
            return FlowReply(say("flow.gave_up", ctx.lang), None, FlowOutcome.ABANDONED)
        if again.state is not None:
            again.state.unclear = state.unclear
        return again

    async def _advance(self, flow: Flow, state: FlowState, ctx: FlowContext, *, prefix: str = "") -> FlowReply:
        if flow.verified_only and not ctx.identity.verified:
            return FlowReply(say("account.sign_in_needed", ctx.lang), None, FlowOutcome.SIGN_IN)
        try:
            step = await flow.advance(state, ctx)
        except ConnectorError as exc:
            log.warning("%s could not read the company's systems: %s", flow.name, exc)
            return FlowReply(say("flow.unavailable", ctx.lang), None, FlowOutcome.FAILED,
                             actions=({"tool": f"{flow.name}.lookup", "outcome": "error"},))
        if isinstance(step, FlowReply):
            return _prefixed(step, prefix)
        if not flow.confirm:
            return await self._execute(flow, state, ctx)
        state.awaiting, state.options = CONFIRM, []
        return _prefixed(self._confirm_reply(step.summary, state, ctx), prefix)

    @staticmethod
    def _confirm_reply(summary: str, state: FlowState, ctx: FlowContext) -> FlowReply:
        choices = (Choice(say("flow.yes", ctx.lang), "yes"), Choice(say("flow.no", ctx.lang), "no"))
        return FlowReply(f"{summary}\n\n{say('flow.confirm', ctx.lang)}", state, FlowOutcome.CONFIRM, choices)

    async def _execute(self, flow: Flow, state: FlowState, ctx: FlowContext) -> FlowReply:
        key = idempotency_key(ctx.conversation_id, state)
        try:
            return await flow.execute(state, ctx, key)
        except ConnectorError as exc:
            log.warning("%s failed in %s: %s", flow.name, ctx.conversation_id, exc)
            if not flow.confirm:  # a read-only flow: nothing may have half-happened
                return FlowReply(say("flow.unavailable", ctx.lang), None, FlowOutcome.FAILED,
                                 actions=({"tool": f"{flow.name}.lookup", "outcome": "error"},))
            return FlowReply(say("flow.failed", ctx.lang), None, FlowOutcome.FAILED,
                             actions=({"tool": flow.name, "outcome": "error", "idempotency_key": key},))


def idempotency_key(conversation_id: str, state: FlowState) -> str:
    """The same request in the same conversation always gets the same key."""
    request = json.dumps({"flow": state.name, "slots": state.slots}, sort_keys=True)
    return hashlib.sha256(f"{conversation_id}\n{request}".encode()).hexdigest()[:32]


def _prefixed(reply: FlowReply, prefix: str) -> FlowReply:
    if not prefix:
        return reply
    return FlowReply(f"{prefix} {reply.text}", reply.state, reply.outcome, reply.choices, reply.actions)
