"""Approvals in the agent console: see what the assistant held, approve or reject it.

`/approvals` lists what waits (with Approve and Reject buttons), `/approve <id>` carries
an action out, `/reject <id> [note]` declines it (the note is passed to the customer). The
customer hears the answer in their own chat, live if they are there and in the history if
not.
"""

from __future__ import annotations

import chainlit as cl

from app.core.errors import ApprovalError
from app.store.accounts import Agent
from app.store.actions import Approval
from app.surfaces.console.live import to_customer
from app.surfaces.console.session import say
from app.surfaces.console.view import short
from app.surfaces.live_events import LiveEvent
from app.surfaces.runtime import RUNTIME


def _line(approval: Approval) -> str:
    who = f"customer `{approval.customer_id}`" if approval.customer_id else "guest"
    return (f"- `{short(approval.id)}` · {approval.tenant} · {who} · conversation `{short(approval.conversation_id)}`"
            f"\n  **{approval.summary}** — held because {approval.why} · policy {approval.policy_version}")


def _buttons(approval: Approval) -> list[cl.Action]:
    return [cl.Action(name="approve", label=f"Approve {short(approval.id)}", payload={"approval": approval.id}),
            cl.Action(name="reject", label=f"Reject {short(approval.id)}", payload={"approval": approval.id})]


async def show_approvals(agent: Agent) -> None:
    pending = await RUNTIME.require().approvals.pending_for(agent)
    if not pending:
        await say("**Approvals** — nothing is waiting.")
        return
    lines = [f"**Approvals** — {len(pending)} waiting, oldest first"]
    actions: list[cl.Action] = []
    for approval in pending[:20]:
        lines.append(_line(approval))
        actions += _buttons(approval)
    await say("\n".join(lines), actions)


async def announce_approvals(approval_ids: tuple[str, ...]) -> None:
    """Tell every online agent who serves the tenant that an action waits for them."""
    services = RUNTIME.require()
    for approval_id in approval_ids:
        approval = await services.approvals.approvals.get(approval_id)
        if approval is None:
            continue

        await RUNTIME.live().publish(LiveEvent(
            "agents", approval.tenant, "Approval needed:\n" + _line(approval),
            conversation_id=approval.conversation_id,
            actions=tuple({"name": b.name, "label": b.label, "payload": b.payload} for b in _buttons(approval))))


async def decide(agent: Agent, ref: str, *, approve: bool, note: str | None = None) -> None:
    desk = RUNTIME.require().approvals
    try:
        approval = await desk.find(agent, ref)
        decided = await (desk.approve(approval.id, agent) if approve else desk.reject(approval.id, agent, note))
    except ApprovalError as exc:
        await say(str(exc))
        return
    if decided.result is not None:
        outcome = decided.result.outcome
        reference = f" (reference {decided.result.reference})" if decided.result.reference else ""
        text = f"Approved `{short(approval.id)}`: {approval.summary} — {outcome}{reference}."
    else:
        text = f"Rejected `{short(approval.id)}`: {approval.summary}." + (f" Note sent: “{note}”" if note else "")
    told = " The customer was told in their chat." if decided.message is not None else ""
    await say(text + told)
    if decided.message is not None:
        await to_customer(approval.conversation_id, decided.message)


async def handle_command(agent: Agent, command: str, argument: str) -> bool:
    """Run an approval command; False if `command` is not one."""
    if command == "/approvals":
        await show_approvals(agent)
    elif command == "/approve":
        await decide(agent, argument, approve=True)
    elif command == "/reject":
        ref, _, note = argument.strip().partition(" ")
        await decide(agent, ref, approve=False, note=note.strip() or None)
    else:
        return False
    return True
