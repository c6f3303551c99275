"""Chainlit's data layer over Frontline's own store.

History, resume and feedback in the Chainlit UI read the system of record. Messages are
written by the engine and the handoff desk, transactionally; Chainlit's own step writes
are fire-and-forget tasks whose failures nobody would see, so they are deliberately not a
write path here. Every other write raises on failure instead of being swallowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chainlit.data.base import BaseDataLayer
from chainlit.types import Feedback, PageInfo, PaginatedResponse, Pagination, ThreadDict, ThreadFilter
from chainlit.user import PersistedUser, User

from app.core.domain import ConversationId, Ownership, Role
from app.core.errors import StoreError
from app.surfaces.auth import ROLE_CUSTOMER, identity_from_user
from app.surfaces.console.agent_label import shown_to_customer
from guardrails.input import storable_text

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

_STEP_TYPE = {Role.CUSTOMER: "user_message"}


class FrontlineDataLayer(BaseDataLayer):
    def __init__(self, services: Callable[[], Services]) -> None:
        self._services = services  # resolved per call: the services start after Chainlit loads us

    # -- users ---------------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        user = await self._services().accounts.get_user(identifier)
        if user is None:
            return None
        return PersistedUser(id=user.id, identifier=user.identifier, createdAt=user.created_at,
                             display_name=user.display_name, metadata=user.metadata)

    async def create_user(self, user: User) -> PersistedUser | None:
        stored = await self._services().accounts.upsert_user(
            user.identifier, user.display_name, dict(user.metadata))
        return PersistedUser(id=stored.id, identifier=stored.identifier, createdAt=stored.created_at,
                             display_name=stored.display_name, metadata=stored.metadata)

    async def _identifier_for(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        row = await self._services().db.fetch_one("SELECT identifier FROM users WHERE id = ?", (user_id,))
        return row["identifier"] if row else None

    # -- feedback ------------------------------------------------------------------------

    async def upsert_feedback(self, feedback: Feedback, owner: str | None = None) -> str | None:
        """The feedback's id, or None when `owner` may not rate that message (or it doesn't
        exist). Without an owner nothing is written: app/surfaces/feedback_api.py supplies the signed-in
        user, in place of Chainlit's own /feedback routes, which don't check who owns what."""
        if owner is None:
            raise StoreError("Feedback can only be given by the signed-in owner of the conversation.")
        return await self._services().feedback.upsert(
            feedback.forId, int(feedback.value), feedback.comment, owner=owner)

    async def delete_feedback(self, feedback_id: str, owner: str | None = None) -> bool:
        if owner is None:
            raise StoreError("Feedback can only be removed by the signed-in owner of the conversation.")
        return await self._services().feedback.delete(feedback_id, owner=owner)

    # -- steps and elements: not a write path (see module docstring) ---------------------

    async def create_step(self, step_dict: Any) -> None:
        return None

    async def update_step(self, step_dict: Any) -> None:
        return None

    async def delete_step(self, step_id: str) -> None:
        return None

    async def create_element(self, element: Any) -> None:
        return None

    async def get_element(self, thread_id: str, element_id: str) -> None:
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        return None

    async def get_favorite_steps(self, user_id: str) -> list[Any]:
        return []

    # -- threads = customer conversations ------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str:
        conversation = await self._services().conversations.get(ConversationId(thread_id))
        return conversation.user_identifier if conversation else ""

    async def update_thread(self, thread_id: str, name: str | None = None, user_id: str | None = None,
                            metadata: dict | None = None, tags: list[str] | None = None) -> None:
        services = self._services()
        conversation = await services.conversations.get(ConversationId(thread_id))
        if conversation is None:
            identifier = await self._identifier_for(user_id)
            user = await services.accounts.get_user(identifier) if identifier else None
            if user is None or user.metadata.get("role") != ROLE_CUSTOMER:
                return  # agent console threads are not conversations
            await services.engine.open_conversation(
                thread_id, identity_from_user(user.identifier, user.metadata))
        if name:  # Chainlit names a thread after its first message, as the customer typed it
            await services.conversations.set_name(thread_id, storable_text(name).text)

    async def delete_thread(self, thread_id: str) -> None:
        services = self._services()
        conversation = await services.conversations.get(ConversationId(thread_id))
        if conversation is None:
            return
        if conversation.state in (Ownership.QUEUED, Ownership.HUMAN):
            raise StoreError("This conversation is with our support team and can't be deleted now.")
        await services.conversations.delete(thread_id)
        await services.audit.record(conversation.user_identifier, "conversation.deleted",
                                    tenant=conversation.tenant, subject=thread_id)

    async def list_threads(self, pagination: Pagination, filters: ThreadFilter) -> PaginatedResponse[ThreadDict]:
        identifier = await self._identifier_for(filters.userId)
        if identifier is None:
            return PaginatedResponse(PageInfo(False, None, None), [])
        limit = max(1, min(pagination.first or 20, 100))
        conversations = await self._services().conversations.for_user(
            identifier, limit + 1, before=pagination.cursor, search=filters.search)
        page = conversations[:limit]
        data: list[ThreadDict] = [
            ThreadDict(id=c.id, createdAt=c.created_at, name=c.name or "Conversation",
                       userId=filters.userId, userIdentifier=c.user_identifier, tags=[],
                       metadata={}, steps=[], elements=[])
            for c in page
        ]
        end = page[-1].updated_at if page else None
        return PaginatedResponse(PageInfo(len(conversations) > limit, None, end), data)

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        services = self._services()
        conversation = await services.conversations.get(ConversationId(thread_id))
        if conversation is None:
            return None
        messages = await services.conversations.messages(conversation.id)
        feedback = await services.feedback.for_conversation(conversation.id)
        user = await services.accounts.get_user(conversation.user_identifier)
        tenant = services.tenants.get(conversation.tenant)
        company = tenant.name if tenant else ""
        steps = []
        for m in messages:
            step: dict[str, Any] = {
                "id": m.id, "threadId": m.conversation_id, "parentId": None,
                "name": m.author, "type": _STEP_TYPE.get(m.role, "assistant_message"),
                "output": shown_to_customer(m, company, conversation.language), "input": "", "createdAt": m.created_at,
                "start": m.created_at, "end": m.created_at, "streaming": False,
                "isError": False, "metadata": {"role": m.role.value}, "tags": None,
            }
            if m.id in feedback:
                step["feedback"] = feedback[m.id]
            steps.append(step)
        return ThreadDict(id=conversation.id, createdAt=conversation.created_at,
                          name=conversation.name or "Conversation",
                          userId=user.id if user else None,
                          userIdentifier=conversation.user_identifier, tags=[],
                          metadata={"tenant": conversation.tenant}, steps=steps,  # type: ignore[typeddict-item]
                          elements=[])

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        return None
