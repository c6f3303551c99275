"""Wiring: every long-lived part of Frontline is built here, in one place, and closed in order."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from app.actions.approvals import ApprovalDesk
from app.actions.gate import GuardedActions
from app.channels.email import open_email_channel
from app.channels.email.desk import EmailDesk
from app.config.settings import Settings
from app.config.tenants import Tenant, TenantRegistry, tenant_versions
from app.conversation.assistant import PROMPT_FILE
from app.conversation.engine import Engine
from app.conversation.escalation import Escalator
from app.conversation.recovery import Recovery
from app.conversation.turn import TenantRuntime
from app.core import clock as clocks
from app.core import language_data
from app.core.channels import Channels
from app.core.domain import ConversationId, Message
from app.handoff.desk import HandoffDesk
from app.handoff.intake import HandoffIntake
from app.handoff.outreach import Outreach
from app.handoff.presence import Presence
from app.handoff.shared_state import open_shared_state
from app.handoff.webhooks import WebhookDispatcher
from app.llm.client import LLMClient
from app.store import AccountStore, AuditLog, ConversationStore, Database, FeedbackStore, UsageStore, open_database
from app.store.actions import ActionLedger, ApprovalStore
from app.store.guest_retention import keep_pruning_guests
from app.store.handoffs import HandoffStore
from app.store.incidents import IncidentStore
from app.store.webhooks import WebhookOutbox
from app.understanding.intents import IntentClassifier
from connectors.registry import ConnectorContext, open_connector
from guardrails.abuse_limits import AbuseGuards
from knowledge.context import ContextFusion
from knowledge.embedder import Embedder, open_embedders
from knowledge.index import KnowledgeIndex, SyncReport
from knowledge.loaders import load_folder
from knowledge.loaders.language import with_default_language
from knowledge.rerank import Reranker
from knowledge.retrieval import Retriever

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    tenants: TenantRegistry
    db: Database
    accounts: AccountStore
    conversations: ConversationStore
    feedback: FeedbackStore
    audit: AuditLog
    knowledge: Retriever  # the index, searched through the retrieval pipeline
    engine: Engine
    desk: HandoffDesk
    approvals: ApprovalDesk
    sync_reports: dict[str, SyncReport]
    handoffs: HandoffStore
    presence: Presence
    webhooks: WebhookOutbox
    abuse: AbuseGuards
    clock: clocks.Clock = clocks.system_clock
    recovery: Recovery | None = None  # set `recovery.notify` to push its messages into open chats
    channels: Channels = field(default_factory=Channels)  # email, messaging ...: app/core/channels.py
    email: EmailDesk | None = None  # the email channel, when a tenant turns it on (app/channels/email/)
    outreach: Outreach | None = None  # declared incidents (set `outreach.deliver` to push its notices)


async def sync_help_center(index: KnowledgeIndex, tenants: TenantRegistry, *,
                           wait_for_vectors: bool = True) -> dict[str, SyncReport]:
    """Sync each tenant's configured help-center folders; their articles are served at /kb/.
    Without `wait_for_vectors`, the dense vectors are left to the background (the documents
    are searchable by their words meanwhile); chunks a crash left without them are filled too."""
    reports = {}
    for tenant in tenants:
        for folder in tenant.knowledge.paths:
            resolved = tenant.resolve(folder)
            documents, skipped = load_folder(resolved)
            documents = with_default_language(documents, tenant.default_language)
            urls = {doc.doc_id: tenant.article_url(doc.doc_id) for doc in documents}
            report = await index.sync(tenant.id, documents, urls, skipped, origin=str(resolved),
                                      wait_for_vectors=wait_for_vectors)
            reports[f"{tenant.id}:{folder}"] = report
    for tenant in tenants:
        await index.resume_vectors(tenant.id)
    if wait_for_vectors:
        await index.wait_for_vectors()
    return reports


def build_classifier(tenant: Tenant, embedder: Embedder, multilingual: Embedder | None,
                     cache_dir: Path) -> IntentClassifier:
    """The tenant's intent classifier, as the server and `frontline triage` both build it."""
    if not tenant.intents:
        return IntentClassifier(embedder, {})
    return IntentClassifier.from_file(embedder, tenant.resolve(tenant.intents),
                                      multilingual=multilingual, cache_dir=cache_dir)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


def check_configuration(settings: Settings) -> TenantRegistry:
    """The operator's files, read and validated before anything starts: the tenant files and
    the language files (every domain the modules imported above registered). A broken one
    raises a ConfigError that names the file and the field."""
    language_data.check_all()
    return TenantRegistry.from_files(settings.tenants)


@asynccontextmanager
async def build_services(settings: Settings, clock: clocks.Clock = clocks.system_clock, *,
                         recover: bool = True, channels: bool = True) -> AsyncIterator[Services]:
    """Everything, on one clock: `clock` is the time every part reads (tests pass a fixed start).
    `recover` False leaves out the crash-recovery sweep, for a scratch world (replay) that writes
    unanswered customer messages on purpose. `channels` False starts no channel (no mail
    listener, no mailbox polled, nothing mailed): a scratch world (eval, replay) reaches nobody."""
    tenants = check_configuration(settings)
    async with AsyncExitStack() as stack:
        previous = clocks.install(clock)
        stack.callback(clocks.install, previous)
        db = await stack.enter_async_context(open_database(settings))
        accounts = AccountStore(db)
        for agent in settings.agents:
            await accounts.seed_agent(agent.email, agent.name, agent.password.get_secret_value(),
                                      agent.role, agent.tenants, agent.language)
        conversations, audit = ConversationStore(db), AuditLog(db)
        pruning = asyncio.create_task(keep_pruning_guests(  # unused guest rows must not pile up
            accounts, settings.limits.guest_retention_hours, clock), name="guest-pruning")
        stack.callback(pruning.cancel)

        embedder, multilingual = open_embedders(
            settings.model_dir, settings.embedding_model, settings.multilingual_model)
        index = await KnowledgeIndex.open(
            embedder, path=settings.qdrant_path, url=settings.qdrant_url, multilingual=multilingual,
            api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None,
            vector_cache=settings.vector_cache)
        stack.push_async_callback(index.close)
        # every search: split, rerank, fuse a follow-up with the earlier turns, merge
        knowledge = Retriever(index, Reranker.from_file(), context=ContextFusion.from_file())
        reports = await sync_help_center(index, tenants, wait_for_vectors=settings.vectors_before_serving)

        runtimes = {}
        intent_cache = settings.vector_cache or settings.data_dir / "intent-vectors"
        for tenant in tenants:
            connector = None
            if tenant.connector is not None:
                connector = await open_connector(
                    tenant.connector.type, tenant.connector.options,
                    ConnectorContext(tenant.id, tenant.root, settings.data_dir, clock))
                stack.push_async_callback(connector.close)
            classifier = build_classifier(tenant, embedder, multilingual, intent_cache)
            llm = LLMClient(tenant.llm, tenant=tenant.id) if tenant.llm is not None else None
            runtimes[tenant.id] = TenantRuntime(tenant, classifier, connector, llm,
                                                versions=tenant_versions(tenant, PROMPT_FILE))

        approvals = ApprovalStore(db)
        actions = GuardedActions(ActionLedger(db, clock), approvals, audit)
        shared = await stack.enter_async_context(open_shared_state(settings))  # in-process, or Redis for replicas
        handoffs, presence, outbox = HandoffStore(db), shared.presence, WebhookOutbox(db)
        dispatcher = WebhookDispatcher(
            outbox, clock=lambda: clock().timestamp(), private_allowed=lambda tenant_id: bool(
                (tenant := tenants.get(tenant_id)) and tenant.handoff_policy.allow_private_webhooks),
            lease=shared.lease)
        stack.push_async_callback(dispatcher.close)
        if any(tenant.handoff_policy.webhooks for tenant in tenants):  # nothing to poll for otherwise
            delivery = asyncio.create_task(dispatcher.run(), name="webhook-delivery")
            stack.callback(delivery.cancel)

        async def emit(tenant_id: str, event: str, payload: dict[str, Any]) -> None:
            """Queue a handoff event for the tenant's webhooks; delivery retries until they answer."""
            tenant = tenants.get(tenant_id)
            if tenant is not None and tenant.handoff_policy.webhooks:
                await outbox.enqueue(tenant_id, event, payload, tenant.handoff_policy.webhooks)
                dispatcher.wake()

        engine = Engine(conversations, knowledge, runtimes, audit, UsageStore(db), actions,
                        handoffs=handoffs, intake=HandoffIntake(handoffs, presence.count, conversations, audit, emit),
                        escalator=Escalator(handoffs), max_message_chars=settings.max_message_chars,
                        rate_limiter=shared.rate_limiter, clock=clock)
        recovery = Recovery(actions, conversations, engine,
                            {tenant_id: runtime.connector for tenant_id, runtime in runtimes.items()}, clock,
                            lease=shared.lease)
        registry = Channels()
        recovery.notify = partial(_to_channel, conversations, registry)  # the UI layer adds open web chats
        email = await stack.enter_async_context(open_email_channel(
            db, tenants, engine, conversations, registry, clock, recover=recover)) if channels else None
        if recover:
            sweeping = asyncio.create_task(recovery.run(), name="crash-recovery")
            stack.push_async_callback(_cancel, sweeping)  # before the store and connectors close
        # The models, the index and the caches are built once and live as long as the process:
        # keep them out of the collector's full passes, which otherwise stall a turn for ~150 ms.
        gc.freeze()
        desk = HandoffDesk(conversations, handoffs, audit, tenants, runtimes, knowledge, emit)
        yield Services(settings, tenants, db, accounts, conversations, FeedbackStore(db), audit, knowledge,
                       engine, desk,
                       ApprovalDesk(approvals, actions, conversations, audit,
                                    {tenant_id: runtime.connector for tenant_id, runtime in runtimes.items()}),
                       reports, handoffs, presence, outbox, shared.abuse, clock, recovery, registry, email,
                       outreach=Outreach(IncidentStore(db), conversations, tenants, clock))


async def _to_channel(conversations: ConversationStore, channels: Channels, conversation_id: str,
                      message: Message) -> None:
    """What crash recovery says reaches an email or messaging customer through their channel."""
    conversation = await conversations.get(ConversationId(conversation_id))
    if conversation is not None:
        await channels.send(conversation, message, message.content)
