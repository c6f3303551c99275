"""Chainlit entry point: thin handlers that turn UI events into engine and desk calls.

Started by `frontline serve` (see app/cli/main.py), which sets the environment Chainlit reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import chainlit as cl
from chainlit.server import app as chainlit_server
from chainlit.server import sio
from starlette.middleware import Middleware

from app.config.server_record import remove_record, write_record
from app.config.settings import load_settings
from app.conversation.turn import ASSISTANT_AUTHOR, Turn
from app.core import telemetry
from app.core.domain import ConversationId, MessageId, Ownership, Role, new_id
from app.core.errors import AuthError, FrontlineError
from app.core.i18n import say
from app.services import build_services
from app.surfaces import follow_up_timer, socket_guard, step_clock
from app.surfaces.auth import ROLE_AGENT, ROLE_CUSTOMER, identity_from_user
from app.surfaces.console import approvals as console_approvals
from app.surfaces.console import commands as console
from app.surfaces.console import live as console_live
from app.surfaces.console import session as console_session
from app.surfaces.console import work as console_work
from app.surfaces.datalayer import FrontlineDataLayer
from app.surfaces.http_security import CLIENT_ADDRESS, SecurityHeaders
from app.surfaces.incident_api import install_incident_api
from app.surfaces.kb_api import install_kb_api
from app.surfaces.live_events import LocalRelay
from app.surfaces.messaging import install_messaging_routes, open_messaging
from app.surfaces.queue_api import install_queue_api
from app.surfaces.redis_relay import open_redis_relay, share_socketio
from app.surfaces.runtime import RUNTIME
from app.surfaces.web import install_routes, socket_origin_policy

log = logging.getLogger("frontline")
OWNERSHIP_CHECK_SECONDS = 0.1  # while a model streams, how often the assistant re-reads who owns the chat


# -- start-up ----------------------------------------------------------------------------

_chainlit_lifespan = chainlit_server.router.lifespan_context


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    settings = load_settings()
    async with AsyncExitStack() as stack:
        stack.callback(telemetry.start(settings.otlp_endpoint, settings.replica))  # spans flushed at exit
        try:
            services = await stack.enter_async_context(build_services(settings))
            if settings.redis_url is not None:  # replicas: live pushes and socket.io emits cross through Redis
                url = settings.redis_url.get_secret_value()
                share_socketio(sio, url)
                RUNTIME.relay = await stack.enter_async_context(
                    open_redis_relay(url, console_live.render_live, f"{settings.replica}:{new_id()[:8]}"))
                stack.callback(setattr, RUNTIME, "relay", LocalRelay(console_live.render_live))
        except FrontlineError as exc:  # an operator's problem: say it plainly, no traceback
            log.error("Frontline cannot start: %s", exc)
            raise SystemExit(1) from None
        origins = sorted(set(settings.own_origins).union(
            *(t.widget.allowed_origins for t in services.tenants)))
        import chainlit.config
        import chainlit.server
        from chainlit.config import config

        config.project.allow_origins[:] = origins  # the CORS middleware holds this list
        # Chainlit keeps session files (custom elements' props too) in one folder of the working
        # directory and deletes it at shutdown; each server keeps its own, in its data folder.
        files = settings.data_dir / "session-files"
        files.mkdir(parents=True, exist_ok=True)
        chainlit.config.FILES_DIRECTORY = chainlit.server.FILES_DIRECTORY = files
        for name, report in services.sync_reports.items():
            log.info("help center %s: %s", name, report.summary())
        RUNTIME.services = services
        stack.callback(setattr, RUNTIME, "services", None)
        if services.recovery is not None:  # what a restart recovers reaches chats that are open
            services.recovery.notify = console_live.to_customer
        RUNTIME.record = write_record(settings)  # `frontline kb search` asks this server
        stack.callback(remove_record, settings, RUNTIME.record)
        stack.callback(setattr, RUNTIME, "record", None)
        RUNTIME.messaging = await stack.enter_async_context(open_messaging(services))  # joins services.channels
        stack.callback(setattr, RUNTIME, "messaging", None)
        if services.email is not None:  # a mail in a conversation a person owns reaches their console
            services.email.to_agent, services.email.queued = console_live.to_agent, console_live.announce_queued
        if services.outreach is not None:  # incident notices: live in open chats, or out on their channel
            services.outreach.deliver = console_live.to_customer
        if any(t.follow_up.after_minutes is not None for t in services.tenants):  # email/messaging follow-ups
            sweeping = asyncio.create_task(follow_up_timer.sweep_elsewhere(services).run(), name="follow-up-sweep")
            stack.callback(sweeping.cancel)
        async with _chainlit_lifespan(app):
            log.info("Frontline is ready on http://%s:%s", settings.host, settings.port)
            try:
                yield
            finally:
                # Chainlit's own shutdown ends with os._exit(0), which would skip everything this
                # stack still holds: close it first (the store checkpoints and closes, the index
                # closes, the server record goes), then let Chainlit finish.
                log.info("Frontline is stopping")
                await stack.aclose()
                log.info("Frontline stopped cleanly")


chainlit_server.router.lifespan_context = _lifespan
RUNTIME.relay = LocalRelay(console_live.render_live)  # one process; start-up swaps in Redis when configured
install_routes(chainlit_server, lambda: RUNTIME.services)
install_queue_api(chainlit_server, lambda: RUNTIME.services)
install_kb_api(chainlit_server, lambda: RUNTIME.services, lambda: RUNTIME.record)
install_messaging_routes(chainlit_server, lambda: RUNTIME.services, lambda: RUNTIME.messaging)
install_incident_api(chainlit_server, lambda: RUNTIME.services)

sio.eio.cors_allowed_origins = socket_origin_policy(lambda: RUNTIME.services)
chainlit_server.user_middleware.append(Middleware(SecurityHeaders, services=lambda: RUNTIME.services))  # innermost
socket_guard.install(sio)
step_clock.install()  # Chainlit's messages and steps no longer sleep on the event loop


@cl.data_layer
def _data_layer() -> FrontlineDataLayer:
    return FrontlineDataLayer(RUNTIME.require)


@cl.password_auth_callback
async def _agent_login(username: str, password: str) -> cl.User | None:
    """Agents and admins sign in with email and password; customers never do. Failures are
    counted per account and per address (guardrails/abuse_limits.py); app/surfaces/sign_in.py refuses a locked
    sign-in with 429 before Chainlit calls this."""
    services = RUNTIME.require()
    address = CLIENT_ADDRESS.get()
    if services.abuse.sign_in.wait(username, address):  # app/surfaces/sign_in.py answers 429 before we get here
        return None
    agent = await services.accounts.authenticate_agent(username, password)
    if agent is None:
        locked = services.abuse.sign_in.failed(username, address)
        log.info("failed agent sign-in for %r from %s%s", username[:100], address,
                 f"; locked for {locked:.0f} s" if locked else "")
        return None
    services.abuse.sign_in.succeeded(username)
    return cl.User(identifier=agent.email, display_name=agent.name,
                   metadata={"role": ROLE_AGENT, "name": agent.name})


# -- sessions ----------------------------------------------------------------------------

def _role() -> str | None:
    user = cl.user_session.get("user")
    return (user.metadata or {}).get("role") if user else None


def _identity():  # type: ignore[no-untyped-def]
    user = cl.user_session.get("user")
    return identity_from_user(user.identifier, dict(user.metadata or {}))


@cl.on_chat_start
async def _start() -> None:
    session = cl.context.session
    if _role() == ROLE_AGENT:
        agent = await console_session.current_agent()
        if agent is None:
            return
        RUNTIME.sessions.add_agent(agent.email, session.id)
        RUNTIME.require().presence.session_opened(session.id, agent.email, agent.tenants)
        await cl.Message(content=f"Signed in as **{agent.name}**. {console_session.HELP}",
                         author=console_session.CONSOLE).send()
        await console_work.show_queue(agent)
        return
    try:
        identity = _identity()
    except AuthError:
        await cl.Message(content="This chat session is not valid. Please reload the page.",
                         author=ASSISTANT_AUTHOR).send()
        return
    RUNTIME.sessions.add_customer(session.thread_id, session.id)
    services = RUNTIME.require()
    tenant = services.tenants.get(identity.tenant)
    language = identity.locale or (tenant.default_language if tenant else "en")
    company = tenant.name if tenant else ""
    await cl.Message(content=say("welcome", language, company=company), author=ASSISTANT_AUTHOR).send()
    await _ask_follow_up(session.thread_id, identity)


async def _ask_follow_up(thread_id: str, identity: Any) -> None:
    """A returning customer whose last problem the assistant resolved is asked whether it was
    solved (app/conversation/follow_up.py); the answer is a quick reply like any other."""
    try:
        asked = await RUNTIME.require().engine.ask_follow_up(thread_id, identity)
    except Exception:  # the chat works without it; the question is simply not asked
        log.exception("follow-up question for %s failed", thread_id)
        return
    if asked is None:
        return
    message, offered = asked
    question = cl.Message(content=message.content, author=ASSISTANT_AUTHOR, id=message.id,
                          actions=[console_live.reply_button(c.label, c.value) for c in offered])
    await question.send()
    console_live.offer_choices(question.actions)


@cl.on_chat_resume
async def _resume(thread: dict[str, Any]) -> None:
    if _role() == ROLE_CUSTOMER:
        RUNTIME.sessions.add_customer(thread["id"], cl.context.session.id)


@cl.on_chat_end
async def _end() -> None:
    RUNTIME.sessions.remove_session(cl.context.session.id)
    if _role() != ROLE_AGENT:  # the question waits for the customer's next visit
        follow_up_timer.stop(cl.context.session.thread_id)
    if RUNTIME.services is not None:
        RUNTIME.services.presence.session_closed(cl.context.session.id)


# -- messages ----------------------------------------------------------------------------

@cl.on_message
async def _message(message: cl.Message) -> None:
    if _role() == ROLE_AGENT:
        agent = await console_session.current_agent()
        if agent is not None:
            command, _, argument = message.content.strip().partition(" ")
            if not await console_approvals.handle_command(agent, command.lower(), argument):
                await console.handle_agent_message(agent, message.content)
        return
    await _customer_turn(message.thread_id, message.id, message.content)


@cl.action_callback("reply")
async def _quick_reply(action: cl.Action) -> None:
    """A customer clicked one of a question's quick replies: it counts as typing its label,
    once. The question's buttons all go away; a click on a question already answered (a
    button still on screen after a reload or in another tab) is refused, never acted on."""
    if _role() == ROLE_AGENT:
        return
    thread_id = cl.context.session.thread_id
    await console_live.close_choices(action)
    if await _already_answered(thread_id, action.forId):
        await cl.Message(content=say("choice.answered", _identity().locale), author=ASSISTANT_AUTHOR).send()
        return
    label, value = str(action.payload.get("label", ""))[:200], str(action.payload.get("value", ""))[:200]
    said = cl.Message(content=label, type="user_message", author=cl.user_session.get("user").display_name)
    await said.send()
    await _customer_turn(thread_id, said.id, label, choice=value)


async def _already_answered(thread_id: str, question_id: str | None) -> bool:
    """True when the customer has written since the question (or it is not this chat's)."""
    transcript = await RUNTIME.require().conversations.messages(ConversationId(thread_id))
    ids = [m.id for m in transcript]
    if not question_id or question_id not in ids:
        return True
    return any(m.role is Role.CUSTOMER for m in transcript[ids.index(question_id) + 1:])


async def _customer_turn(thread_id: str, message_id: str, text: str, choice: str | None = None) -> None:
    services = RUNTIME.require()
    language = None
    answer = cl.Message(content="", author=ASSISTANT_AUTHOR, id=new_id())  # streamed into, in LLM mode
    streaming, silenced, checked = False, False, time.monotonic()

    async def on_token(token: str) -> None:
        """Stream the model's words, until a person takes the conversation over mid-answer."""
        nonlocal streaming, silenced, checked
        if silenced:
            return
        if time.monotonic() - checked > OWNERSHIP_CHECK_SECONDS:
            checked = time.monotonic()
            current = await services.conversations.get(ConversationId(thread_id))
            if current is not None and current.state is not Ownership.ASSISTANT:
                silenced = True
                if streaming:
                    await answer.remove()
                return
        streaming = True
        await answer.stream_token(token)

    await console_live.close_choices()
    follow_up_timer.stop(thread_id)
    try:
        identity = _identity()
        language = identity.locale
        RUNTIME.sessions.add_customer(thread_id, cl.context.session.id)
        outcome = await services.engine.handle(Turn(
            ConversationId(thread_id), MessageId(message_id), identity, text,
            reply_id=MessageId(answer.id), choice=choice), on_token=on_token)
    except Exception as exc:
        log.exception("turn failed in conversation %s", thread_id, exc_info=not isinstance(exc, FrontlineError))
        if streaming:
            await answer.remove()
        saved = await _is_stored(MessageId(message_id))  # say "saved" only when it is
        await cl.Message(content=say("error.generic" if saved else "error.unexpected", language),
                         author=ASSISTANT_AUTHOR).send()
        return
    conversation = outcome.conversation
    if outcome.reply is not None:
        answer.content = outcome.reply.content  # authoritative: replaces a stream that failed midway
        answer.actions = [cl.Action(name="reply", label=c.label, payload={"value": c.value, "label": c.label})
                          for c in outcome.choices]
        await answer.send()
        console_live.offer_choices(answer.actions)
    elif streaming and not silenced:  # a person took the conversation while the model was answering
        await answer.remove()
    if outcome.reply is not None and not outcome.queued and conversation.state is Ownership.ASSISTANT:
        follow_up_timer.restart(thread_id, identity)
    if outcome.queued:
        await console_live.announce_queued(conversation)
    if outcome.approvals:
        await console_approvals.announce_approvals(outcome.approvals)
    if outcome.relay_to_agent:
        await console_live.to_agent(conversation, outcome.incoming)


async def _is_stored(message_id: MessageId) -> bool:
    try:
        return await RUNTIME.require().conversations.has_message(message_id)
    except Exception as exc:  # the store itself is failing: the message is not known to be kept
        log.warning("could not check whether message %s was stored: %s", message_id, exc)
        return False


# -- agent console buttons --------------------------------------------------------------

async def _agent_for_action() -> Any:
    agent = await console_session.current_agent() if _role() == ROLE_AGENT else None
    if agent is None:
        await cl.Message(content="Only signed-in agents can do that.", author=console_session.CONSOLE).send()
    return agent


@cl.action_callback("claim")
async def _claim(action: cl.Action) -> None:
    if agent := await _agent_for_action():
        await console_work.claim(agent, str(action.payload.get("conversation", "")))


@cl.action_callback("open")
async def _open(action: cl.Action) -> None:
    if agent := await _agent_for_action():
        conversation = await RUNTIME.require().conversations.get(
            ConversationId(str(action.payload.get("conversation", ""))))
        if conversation is None or conversation.assigned_agent != agent.email:
            await cl.Message(content="That conversation is not yours any more.",
                             author=console_session.CONSOLE).send()
            return
        await console_work.open_conversation(agent, conversation)


@cl.action_callback("send_suggestion")
async def _send_suggestion(action: cl.Action) -> None:
    """The agent sent the suggested reply, edited in the console or as it was drafted."""
    if agent := await _agent_for_action():
        payload = action.payload
        await console_work.send_to_customer(agent, str(payload.get("text", "")),
                                       conversation_id=str(payload.get("conversation", "")) or None,
                                       suggestion_id=str(payload.get("suggestion", "")) or None)


@cl.action_callback("approve")
async def _approve(action: cl.Action) -> None:
    if agent := await _agent_for_action():
        await console_approvals.decide(agent, str(action.payload.get("approval", "")), approve=True)


@cl.action_callback("reject")
async def _reject(action: cl.Action) -> None:
    if agent := await _agent_for_action():
        await console_approvals.decide(agent, str(action.payload.get("approval", "")), approve=False)


@cl.action_callback("resolve")
async def _resolve(action: cl.Action) -> None:
    if agent := await _agent_for_action():
        await console_work.release(agent, str(action.payload.get("conversation", "")), "resolve")


@cl.action_callback("handback")
async def _handback(action: cl.Action) -> None:
    if agent := await _agent_for_action():
        await console_work.release(agent, str(action.payload.get("conversation", "")), "handback")
