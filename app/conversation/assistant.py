"""LLM mode: the model answers with tools (help-center search, account reads, handoff).

Every tool runs behind the same guardrails as grounded mode: account reads need a verified
customer, and the customer id always comes from the identity, never from the model's
arguments. The model holds no write tool: changes to an account go through the confirmed
task flows and the action gate in both modes. A malformed or unknown tool call is answered
with an error the model can read, so it can correct itself; too many rounds end the attempt and the engine answers in
grounded mode instead.

Reference text is data, never instructions (docs/guardrails.md, indirect prompt injection): a
help-center passage that reads as instructions is not sent at all, the others reach the model
inside spotlighted blocks with a per-request marker the system prompt names, and a string from
the company's systems that reads as instructions is withheld field by field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config.tenants import Tenant
from app.conversation.grounded import screened
from app.conversation.spotlight import Spotlight
from app.core.cpu_lane import TURN_WORK
from app.core.domain import Citation, Identity, Message, Role
from app.core.errors import ConnectorError
from app.core.language_data import language_name, languages
from app.core.trace import LlmTrace
from app.llm.client import Completion, LLMClient, ProviderError, TokenSink, ToolCall
from app.store import AuditLog
from app.understanding.triage import language_cost, read_language
from connectors.base import Connector, Customer, Invoice, Order, Subscription
from connectors.tools import READ_TOOLS, ToolArgumentsError
from guardrails.actions import verified_customer
from guardrails.injection_reference import screen_value
from guardrails.pii import KnownPii, redact, redact_value
from guardrails.pii_known import known_pii
from knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

PROMPTS = Path(__file__).parent / "prompts"
PROMPT_VERSION = "answer.v3"  # v2: search queries in the help center's language; v3: spotlighted passages
PROMPT_FILE = PROMPTS / f"{PROMPT_VERSION}.md"  # its content hash is on every LLM-mode trace (`versions.prompt`)
HISTORY_MESSAGES = 12

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "search_help_center",
        "description": "Search the company's help center. Returns the most relevant passages.",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "string", "description": "what to look for, in a few words"}},
            "required": ["query"]}}},
    *(tool.schema() for tool in READ_TOOLS.values()),
    {"type": "function", "function": {
        "name": "hand_off_to_human",
        "description": "Ask a member of the support team to take over this conversation.",
        "parameters": {"type": "object", "properties": {
            "reason": {"type": "string", "description": "why a person is needed, in one sentence"}},
            "required": ["reason"]}}},
]


@dataclass
class LLMAnswer:
    text: str
    citations: tuple[Citation, ...]
    handoff_reason: str | None
    completions: list[Completion]
    tool_log: list[dict[str, Any]] = field(default_factory=list)

    def as_trace(self) -> LlmTrace:
        last = self.completions[-1]
        costs = [c.cost_usd for c in self.completions]
        return LlmTrace(model=last.model, prompt_version=PROMPT_VERSION, rounds=len(self.completions),
                        prompt_tokens=sum(c.prompt_tokens for c in self.completions),
                        completion_tokens=sum(c.completion_tokens for c in self.completions),
                        cost_usd=None if None in costs else round(sum(c for c in costs if c is not None), 8),
                        fallback_attempts=[a for c in self.completions for a in c.attempts],
                        tools=self.tool_log)


def system_prompt(company: str, language: str, help_center_language: str = "en",
                  spotlight: Spotlight | None = None) -> str:
    """The versioned prompt. Queries go to the help center in its own language: translating
    the question first finds the right article more often than searching across languages
    (docs/knowledge.md, cross-lingual figures). It names the request's spotlight marker, so
    the model can tell the help center's blocks from anything else."""
    template = PROMPT_FILE.read_text(encoding="utf-8")
    return template.format(company=company, language_name=_prompt_language(language),
                           help_center_language=_prompt_language(help_center_language),
                           marker=(spotlight or Spotlight()).marker)


def _history(messages: list[Message], known: KnownPii | None = None) -> list[dict[str, Any]]:
    """The conversation as the model reads it. What a human agent said and noted is marked as
    theirs, so after a hand-back the assistant resumes knowing what the person did."""
    turns = []
    for message in messages[-HISTORY_MESSAGES:]:
        content = message.content
        if message.role is Role.AGENT:
            content = f"[{message.author}, a human agent of the team] {content}"
        elif message.role is Role.SYSTEM and message.metadata.get("note"):
            content = (f"[{message.metadata.get('agent_name', 'The agent')} handed the conversation back to you "
                       f"with this note: {message.metadata['note']}]")
        role = "user" if message.role is Role.CUSTOMER else "assistant"
        turns.append({"role": role, "content": redact(content, known)})  # the provider never sees PII
    return turns


def _order_view(order: Order) -> dict[str, Any]:
    return {"order": order.id, "status": order.status, "placed": order.placed_at[:10],
            "items": [f"{i.quantity}x {i.name}" for i in order.items], "carrier": order.carrier,
            "tracking_number": order.tracking_number, "estimated_delivery": order.estimated_delivery,
            "delivered": order.delivered_at, "total": f"{order.total:.2f} {order.currency}"}


def _prompt_language(code: str) -> str:
    """The English name the prompt uses; an unsupported code is answered in English."""
    return language_name(code) if code in languages() else "English"


class LLMAssistant:
    def __init__(self, knowledge: KnowledgeIndex, audit: AuditLog) -> None:
        self.knowledge = knowledge
        self.audit = audit

    async def answer(self, client: LLMClient, *, tenant: Tenant, connector: Connector | None,
                     identity: Identity, conversation_id: str, history: list[Message], question: str,
                     language: str, on_token: TokenSink | None = None,
                     customer: Customer | None = None) -> LLMAnswer:
        """`customer` is the verified customer's record as triage read it this turn (not read twice)."""
        spotlight = Spotlight()  # a fresh marker per request: a passage cannot guess it
        prompt = system_prompt(tenant.name, language, tenant.default_language, spotlight)
        known = await known_pii(connector, identity.customer_id, customer=customer)  # their own details, typed any way
        messages: list[dict[str, Any]] = [{"role": "system", "content": prompt}, *_history(history, known),
                                          {"role": "user", "content": redact(question, known)}]
        answer = LLMAnswer("", (), None, [])
        citations: dict[str, Citation] = {}
        # the help-center search also sees what the customer said before (knowledge/context.py)
        earlier = [m.content for m in history if m.role is Role.CUSTOMER and m.content.strip()]
        for _ in range(client.config.max_tool_rounds):
            completion = await client.complete(messages, TOOLS, on_token)
            answer.completions.append(completion)
            if not completion.tool_calls:
                answer.text = completion.text.strip()
                answer.citations = tuple(c for c in citations.values() if c.url in answer.text) or tuple(
                    citations.values())[:1]
                if not answer.text:
                    raise ProviderError("The model returned an empty answer.", completion.attempts)
                return answer
            messages.append({"role": "assistant", "content": completion.text or None, "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in completion.tool_calls]})
            for call in completion.tool_calls:
                result = await self._run(call, tenant, connector, identity, conversation_id, citations, answer,
                                         spotlight, known, earlier)
                messages.append({"role": "tool", "tool_call_id": call.id,
                                 "content": json.dumps(result, ensure_ascii=False)})
        raise ProviderError(f"No answer after {client.config.max_tool_rounds} tool rounds.",
                            [{"model": answer.completions[-1].model, "error": "too many tool rounds"}])

    async def _run(self, call: ToolCall, tenant: Tenant, connector: Connector | None, identity: Identity,
                   conversation_id: str, citations: dict[str, Citation], answer: LLMAnswer,
                   spotlight: Spotlight, known: KnownPii | None = None,
                   earlier: Sequence[str] = ()) -> dict[str, Any]:
        entry: dict[str, Any] = {"tool": call.name}
        answer.tool_log.append(entry)
        try:
            arguments = json.loads(call.arguments or "{}")
            if not isinstance(arguments, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            entry["outcome"] = "malformed"
            log.info("malformed tool call %s: %s", call.name, exc)
            return {"error": f"Your arguments were not valid JSON ({exc}). Call the tool again."}
        if call.name == "search_help_center":
            query = str(arguments.get("query") or "").strip()[:500]
            if not query:
                entry["outcome"] = "malformed"
                return {"error": "A non-empty `query` is required."}
            language = (await TURN_WORK.run(read_language, query, cost=language_cost(query)))[0] or "en"
            hits, dropped = screened(await self.knowledge.search(tenant.id, query, 4, language=language,
                                                                 earlier=earlier))
            good = [h for h in hits if h.similarity >= (tenant.knowledge.min_score or h.floor)]
            if dropped:
                entry["dropped"] = dropped
            for hit in good:
                citations.setdefault(hit.url, Citation(hit.title, hit.url, hit.heading))
            entry |= {"outcome": "ok", "query": query, "hits": [h.doc_id for h in good]}
            return {"results": [{"title": h.title, "section": h.heading, "url": h.url,
                                 "text": spotlight.document(h.text, f"id={h.point_id}")} for h in good]}
        if call.name in READ_TOOLS:
            return await self._read(call.name, arguments, tenant, connector, identity, conversation_id, entry, known)
        if call.name == "hand_off_to_human":
            answer.handoff_reason = str(arguments.get("reason") or "The assistant asked for a person.")[:300]
            entry["outcome"] = "ok"
            return {"status": "A member of the support team has been asked to join."}
        entry["outcome"] = "unknown_tool"
        return {"error": f"There is no tool named {call.name!r}."}

    async def _read(self, name: str, arguments: dict[str, Any], tenant: Tenant, connector: Connector | None,
                    identity: Identity, conversation_id: str, entry: dict[str, Any],
                    known: KnownPii | None = None) -> dict[str, Any]:
        """An account read for the signed-in customer; the model cannot name another account."""
        tool = READ_TOOLS[name]
        verdict = verified_customer(identity)
        customer_id = identity.customer_id  # never from the model's arguments
        if not verdict.allowed or customer_id is None:
            entry["outcome"] = "refused_unverified"
            return {"error": "The customer is not signed in, so no account data can be shown. "
                             "Ask them to sign in on the website."}
        if "customer_id" in arguments:
            entry["outcome"] = "malformed"
            return {"error": "There is no customer_id argument: account tools always read the signed-in "
                             "customer's own account."}
        try:
            parsed = tool.parse(arguments)
        except ToolArgumentsError as exc:
            entry["outcome"] = "malformed"
            return {"error": f"Invalid arguments ({exc}). Call the tool again."}
        if connector is None:
            entry["outcome"] = "unavailable"
            return {"error": "The company's systems are not connected."}
        try:
            found = await tool.run(connector, customer_id, parsed, "")
            screened_view, withheld = screen_value(_view(name, found, parsed))  # read before redaction hides links
            result = redact_value(screened_view, known)
            if withheld:
                log.warning("%s for %s: %s withheld from the model, read as a prompt injection",
                            name, tenant.id, ", ".join(withheld))
                entry["withheld"] = withheld
            entry["outcome"] = "ok" if "error" not in result else "not_found"
        except ConnectorError as exc:
            log.warning("%s failed for %s: %s", name, tenant.id, exc)
            entry["outcome"] = "error"
            result = {"error": "The company's systems are not answering right now."}
        await self.audit.record("assistant", name, tenant=tenant.id, subject=conversation_id, outcome=entry["outcome"],
                                detail={"customer_id": customer_id, **parsed.model_dump(exclude_none=True),
                                        "mode": "llm"})
        return result


def _view(name: str, found: Any, arguments: Any) -> dict[str, Any]:
    """What a read returns to the model: the fields that answer questions, nothing else."""
    if name == "get_order_status":
        orders = [found] if isinstance(found, Order) else ([] if found is None else list(found)[:5])
        if not orders and getattr(arguments, "order_id", None):
            return {"error": f"No order {arguments.order_id} on this customer's account."}
        return {"orders": [_order_view(o) for o in orders]}
    if name == "list_invoices":
        return {"invoices": [_invoice_view(i) for i in list(found)[:10]]}
    return {"subscriptions": [_subscription_view(s) for s in list(found)]}


def _invoice_view(invoice: Invoice) -> dict[str, Any]:
    return {"invoice": invoice.id, "amount": f"{invoice.amount:.2f} {invoice.currency}", "status": invoice.status,
            "issued": invoice.issued_at, "due": invoice.due_at, "description": invoice.description}


def _subscription_view(subscription: Subscription) -> dict[str, Any]:
    return {"plan": subscription.plan, "status": subscription.status, "billing": subscription.billing_period,
            "renews": subscription.renews_at}
