"""Task flows: multi-turn, slot-filling conversations that end in one confirmed action.

`default_runner()` has the built-in set; each flow is named after the intent that starts it.
"""

from __future__ import annotations

from app.conversation.flows.account import PasswordReset
from app.conversation.flows.billing import InvoiceCopy, RefundRequest
from app.conversation.flows.orders import AddressChange, Cancellation, OrderStatus
from app.conversation.flows.runner import CLARIFY, Flow, FlowRunner
from app.conversation.flows.state import Choice, FlowContext, FlowReply, FlowState

__all__ = ["CLARIFY", "Choice", "Flow", "FlowContext", "FlowReply", "FlowRunner", "FlowState", "default_runner"]


def default_runner() -> FlowRunner:
    return FlowRunner([OrderStatus(), Cancellation(), AddressChange(), InvoiceCopy(), RefundRequest(),
                       PasswordReset()])
