"""`frontline triage` and `frontline trace`: what the assistant understands, and why it acted.

    frontline triage "Where is my order BW-10234?" --tenant demo --customer cus_1001 --json
    frontline trace 3f2a9c1e

`triage` runs one message through the same triage and policy as the engine, without
answering or storing anything. It builds only what triage needs (the tenant's classifier
and connector, and the store for history), never the knowledge index, so it runs beside a
live server. `trace` only reads the store (SQLite in WAL mode), so it does too.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import AsyncExitStack
from typing import Any

from app.config.settings import Settings
from app.config.tenants import Tenant, TenantRegistry
from app.conversation.assistant import HISTORY_MESSAGES
from app.conversation.policy import decide
from app.conversation.trace_view import UNDERSTOOD_FIELDS, Row, as_text, assistant_turns, rows, turn_text
from app.core.domain import Conversation, ConversationId, Identity, Ownership, TenantId, utcnow
from app.core.errors import FrontlineError
from app.core.language_data import languages
from app.core.trace import DecisionTrace
from app.services import build_classifier
from app.store import ConversationStore, database_exists, describe_database, open_database
from app.surfaces.auth import customer_user_fields
from app.understanding.triage import triage
from connectors.base import Connector, Customer
from connectors.registry import ConnectorContext, open_connector
from knowledge.embedder import open_embedders
from knowledge.model_files import ModelFilesError


class CommandError(FrontlineError):
    """The command line names something that does not exist or cannot go together."""


def add_parser(commands: Any) -> None:
    check = commands.add_parser(
        "triage", help="show how a message is understood and what the policy decides",
        description="Run one customer message through triage (language, intent, entities, "
                    "sentiment, priority) and the policy, as the assistant would. Nothing is "
                    "answered or stored.")
    check.add_argument("text", metavar="TEXT", help="the customer's message")
    check.add_argument("--tenant", required=True)
    check.add_argument("--customer", metavar="ID",
                       help="treat the message as coming from this customer of the tenant, "
                            "verified (an operator tool: no identity token is needed)")
    check.add_argument("--conversation", metavar="ID",
                       help="triage the message as the next turn of this stored conversation "
                            "(its language, misses and history); an id or its 8-character prefix")
    check.add_argument("--locale", help="the widget locale that seeds a new conversation's "
                                        "language, e.g. es or es-ES (default: the tenant's)")
    check.add_argument("--json", action="store_true", help="print one JSON object")

    trace = commands.add_parser(
        "trace", help="show the stored decision traces of a conversation",
        description="Print the decision trace stored with every assistant turn of a "
                    "conversation, oldest first.")
    trace.add_argument("conversation", metavar="CONVERSATION_ID",
                       help="a conversation id, or the 8-character prefix the console shows")
    trace.add_argument("--json", action="store_true", help="print one JSON object")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.command == "trace":
            return await _trace(settings, args)
        return await _triage(settings, args)
    except ModelFilesError as exc:
        raise CommandError(f"{exc} (run `frontline setup`)") from None


# -- shared ------------------------------------------------------------------------------

def _tenant(settings: Settings, tenant_id: str) -> Tenant:
    registry = TenantRegistry.from_files(settings.tenants)
    tenant = registry.get(tenant_id)
    if tenant is None:
        known = ", ".join(sorted(t.id for t in registry))
        raise CommandError(f"no tenant {tenant_id!r} (known: {known})")
    return tenant


async def _conversation(conversations: ConversationStore, ref: str, settings: Settings) -> Conversation:
    """The conversation with id `ref`, or the only one whose id starts with it."""
    ref = ref.strip()
    found = await conversations.get(ConversationId(ref))
    if found is None and len(ref) >= 4:
        pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = await conversations.db.fetch_all(
            "SELECT id FROM conversations WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (pattern,))
        if len(matches) > 1:
            raise CommandError(f"more than one conversation starts with {ref!r}; give more of its id")
        if matches:
            found = await conversations.get(ConversationId(matches[0]["id"]))
    if found is None:
        raise CommandError(f"no conversation {ref!r} in {describe_database(settings)}")
    return found


# -- frontline triage --------------------------------------------------------------------

def _locale(value: str | None) -> str | None:
    if value is None:
        return None
    language = value.split("-")[0].split("_")[0].lower()
    if language not in languages():
        raise CommandError(f"--locale {value!r} is not a supported language "
                           f"({', '.join(languages())}; e.g. es or es-ES)")
    return language


def _customer_json(customer_id: str | None, customer: Customer | None) -> dict[str, Any] | None:
    if customer_id is None:
        return None
    if customer is None:
        return {"id": customer_id, "found": False}
    return {"id": customer.id, "found": True, "plan": customer.plan,
            "annual_contract_value": customer.annual_contract_value,
            "sla_tier": customer.sla_tier, "renewal_date": customer.renewal_date}


async def _triage(settings: Settings, args: argparse.Namespace) -> int:
    tenant = _tenant(settings, args.tenant)
    if not args.text.strip():
        raise CommandError("the message is empty")
    locale = _locale(args.locale)
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(open_database(settings))
        conversations = ConversationStore(db)
        stored = None
        if args.conversation:
            if locale is not None:
                raise CommandError("--locale seeds a new conversation; a stored one keeps its language")
            stored = await _conversation(conversations, args.conversation, settings)
            if stored.tenant != tenant.id:
                raise CommandError(f"conversation {stored.id} belongs to tenant {stored.tenant!r}, "
                                   f"not {tenant.id!r}")
            if args.customer is not None and args.customer != stored.customer_id:
                whose = f"customer {stored.customer_id!r}" if stored.customer_id else "a guest"
                raise CommandError(f"conversation {stored.id} is {whose}'s, not customer "
                                   f"{args.customer!r}'s; leave out --customer to use its own")

        connector: Connector | None = None
        if tenant.connector is not None:
            connector = await open_connector(tenant.connector.type, tenant.connector.options,
                                             ConnectorContext(tenant.id, tenant.root, settings.data_dir))
            stack.push_async_callback(connector.close)
        customer_id = stored.customer_id if stored else args.customer
        customer = None
        if customer_id is not None and connector is not None:
            customer = await connector.customer(customer_id)
            if customer is None and stored is None:
                raise CommandError(f"tenant {tenant.id!r} has no customer {customer_id!r}")
        elif customer_id is not None:
            print(f"note: tenant {tenant.id!r} has no connector; customer {customer_id!r} counts as "
                  "verified, without account data", file=sys.stderr)

        if stored is not None:
            conversation = stored
            identity = Identity(TenantId(tenant.id), stored.user_identifier, stored.customer_id)
            history = await conversations.messages(stored.id, limit=HISTORY_MESSAGES)
        else:
            fields = customer_user_fields(tenant, customer_id, locale)
            identity = Identity(TenantId(tenant.id), fields["identifier"], customer_id,
                                fields["display_name"], locale)
            conversation = _new_conversation(identity, locale or tenant.default_language)
            history = []

        embedder, multilingual = open_embedders(
            settings.model_dir, settings.embedding_model, settings.multilingual_model)
        classifier = build_classifier(tenant, embedder, multilingual,
                                      settings.vector_cache or settings.data_dir / "intent-vectors")
        understood = await triage(
            args.text, classifier=classifier, connector=connector, conversations=conversations,
            identity=identity, conversation=conversation, history=history,
            default_language=tenant.default_language)
        decision = decide(understood.intent, identity, conversation, tenant)

    trace = DecisionTrace(decision=decision.as_trace())
    trace.understood(understood.as_trace())
    report: dict[str, Any] = {
        "tenant": tenant.id,
        "customer": _customer_json(customer_id, customer),
        "conversation": None if stored is None else {
            "id": stored.id, "state": stored.state.value, "language": stored.language,
            "misses": stored.misses, "history_messages": len(history)},
        **trace.stored(),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(as_text(_context_rows(report, conversation) + rows(trace, UNDERSTOOD_FIELDS)))
    return 0


def _new_conversation(identity: Identity, language: str) -> Conversation:
    """The conversation a first message would open; held in memory only, never stored."""
    now = utcnow()
    return Conversation(ConversationId("new"), identity.tenant, "customer", identity.user_identifier,
                        identity.customer_id, language, Ownership.ASSISTANT, None, None, 0, 0, None,
                        now, now)


def _context_rows(report: dict[str, Any], conversation: Conversation) -> list[Row]:
    customer = report["customer"]
    if customer is None:
        who = "guest (not signed in)"
    elif not customer.get("found"):
        who = f"verified customer {customer['id']} (no account data)"
    else:
        who = (f"verified customer {customer['id']} · plan {customer['plan']} · value "
               f"{customer['annual_contract_value']:,.0f}/year · sla {customer['sla_tier']}")
        if customer.get("renewal_date"):
            who += f" · renews {customer['renewal_date']}"
    stored = report["conversation"]
    if stored is None:
        where = f"new · language {conversation.language}"
    else:
        where = (f"{stored['id']} · {stored['state']} · language {stored['language'] or '?'} · "
                 f"{stored['misses']} unanswered in a row · {stored['history_messages']} earlier messages")
        if conversation.state in (Ownership.QUEUED, Ownership.HUMAN):
            where += " (a person owns it: the assistant would stay silent)"
    return [("tenant", report["tenant"]), ("customer", who), ("conversation", where)]


# -- frontline trace ---------------------------------------------------------------------

async def _trace(settings: Settings, args: argparse.Namespace) -> int:
    if not database_exists(settings):
        raise CommandError(f"no conversation {args.conversation!r}: there is no database at"
                           f" {describe_database(settings)}")
    async with open_database(settings) as db:
        conversations = ConversationStore(db)
        conversation = await _conversation(conversations, args.conversation, settings)
        turns = await assistant_turns(conversations, conversation.id)
    about = {"id": conversation.id, "tenant": conversation.tenant, "state": conversation.state.value,
             "language": conversation.language, "customer_id": conversation.customer_id,
             "created_at": conversation.created_at}
    if args.json:
        print(json.dumps({"conversation": about, "turns": [t.as_json() for t in turns]},
                         ensure_ascii=False, indent=2))
        return 0
    who = f"verified customer {conversation.customer_id}" if conversation.customer_id else "guest"
    print(f"conversation {conversation.id} · {conversation.tenant} · {who} · {conversation.state.value}"
          f" · language {conversation.language or '?'}")
    print(f"{len(turns)} assistant turn{'s' if len(turns) != 1 else ''}")
    for number, turn in enumerate(turns, start=1):
        print()
        print(turn_text(turn, number))
    return 0
