"""The vocabulary of a task in progress: its stored state, one reply, and reading answers.

A flow asks for what it is missing (a slot), one question at a time, then asks the
customer to confirm before anything is written. Its state lives on the conversation in
the store, so a restart or a second server continues where the customer left off.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr

from app.actions.gate import Act, ActionRequest, ActionResult
from app.core.domain import Identity
from app.core.errors import ConnectorError
from app.core.i18n import say
from app.core.language_data import derived, register
from app.understanding.entities import Entities
from connectors.base import Connector
from guardrails.action_policy import DEFAULT_POLICY, ActionPolicy

CONFIRM = "confirm"  # the step after every slot is filled: waiting for yes or no
MAX_UNCLEAR_ANSWERS = 2  # after this many answers we can't read, the flow lets go


@dataclass(frozen=True)
class Choice:
    """A quick reply: the label the customer sees and the value a click sends back."""

    label: str
    value: str


@dataclass
class FlowState:
    name: str  # the flow, named after its intent (e.g. "refund_request")
    awaiting: str  # the slot being asked for, or CONFIRM
    slots: dict[str, str] = field(default_factory=dict)
    options: list[Choice] = field(default_factory=list)  # when the answer is one of these
    unclear: int = 0  # answers in a row that did not fit
    reason: str = ""  # the customer's own words that started the flow (e.g. why a refund)

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> FlowState | None:
        """The stored state, or None if there is none or it is not one we can read."""
        if not raw:
            return None
        try:
            options = [Choice(str(o["label"]), str(o["value"])) for o in raw.get("options", [])]
            return cls(str(raw["name"]), str(raw["awaiting"]), {str(k): str(v) for k, v in raw["slots"].items()},
                       options, int(raw.get("unclear", 0)), str(raw.get("reason", "")))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None




@dataclass(frozen=True)
class FlowContext:
    """What a flow may use for one turn. The customer id comes only from the verified identity,
    and every write goes through `act`, the action gate bound to this conversation."""

    connector: Connector | None
    identity: Identity
    conversation_id: str
    lang: str
    text: str
    entities: Entities
    today: date
    choice: str | None = None  # the value of a quick reply the customer clicked, if they clicked one
    act: Act | None = None
    # the tenant's limits, and the terms flows tell customers
    policy: ActionPolicy = field(default_factory=lambda: DEFAULT_POLICY)


class FlowOutcome(StrEnum):
    """How a flow's turn ended; stored in decision traces by value."""

    ASKED = "asked"  # a question for the next missing detail
    CONFIRM = "confirm"  # everything is known: yes or no?
    CLARIFY = "clarify"  # which of several tasks did the customer mean?
    CLARIFIED = "clarified"  # none of them: the customer wants something else
    SIGN_IN = "sign_in"  # the flow needs a verified customer
    DECLINED = "declined"  # the customer said no to the confirmation
    STOPPED = "stopped"  # the customer called it off while asked for a detail
    ABANDONED = "abandoned"  # too many answers we could not read
    DONE = "done"
    SUBMITTED = "submitted"  # accepted by the company's system, carried out later
    PENDING_APPROVAL = "pending_approval"  # held for an agent's approval
    IN_PROGRESS = "in_progress"  # the same request is already being carried out
    REFUSED = "refused"  # the action gate said no (limits, not enabled, not verified)
    REJECTED = "rejected"  # the company's system said no
    NOT_ELIGIBLE = "not_eligible"  # nothing the request could apply to
    NOT_FOUND = "not_found"
    FAILED = "failed"  # the company's system could not be reached or failed


@dataclass(frozen=True)
class FlowReply:
    text: str
    state: FlowState | None  # None: the flow is over
    outcome: FlowOutcome
    choices: tuple[Choice, ...] = ()
    actions: tuple[dict[str, Any], ...] = ()  # connector calls, for the trace and the audit log


@dataclass(frozen=True)
class Ready:
    """Every slot is filled: `summary` says exactly what will happen if the customer agrees."""

    summary: str


# Reading answers (their words: app/languages/<code>/answers.yaml) -------------------------

def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed: 'Sí, ¡adelante!' -> 'si adelante'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain.replace("'", "")).split())


def _normalized(entry: str) -> str:
    if not entry or normalize(entry) != entry:
        raise ValueError(f"{entry!r} must be written as {normalize(entry)!r} (lower case, no accents or punctuation)")
    return entry


def _single_word(entry: str) -> str:
    if " " in _normalized(entry):
        raise ValueError(f"{entry!r} has several words: put it under phrases")
    return entry


class _Answers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: list[Annotated[StrictStr, AfterValidator(_single_word)]] = []
    phrases: list[Annotated[StrictStr, AfterValidator(_normalized)]] = []


class AnswerWords(BaseModel):
    """`app/languages/<code>/answers.yaml`: how a customer says yes, no, or stop in a flow."""

    model_config = ConfigDict(extra="forbid")
    agree: _Answers = _Answers()
    decline: _Answers = _Answers()
    stop: _Answers = _Answers()


register("answers", AnswerWords)


@dataclass(frozen=True)
class _Vocabulary:
    words: frozenset[str]
    phrases: tuple[str, ...]

    def heard_in(self, text: str) -> bool:
        padded = f" {text} "
        return bool(self.words.intersection(text.split())) or any(f" {p} " in padded for p in self.phrases)


def _pooled(data: dict[str, AnswerWords]) -> dict[str, _Vocabulary]:
    """Every language's answers together: a customer may answer in another language than ours."""
    return {kind: _Vocabulary(frozenset(w for m in data.values() for w in getattr(m, kind).words),
                              tuple(dict.fromkeys(p for m in data.values() for p in getattr(m, kind).phrases)))
            for kind in ("agree", "decline", "stop")}


def read_yes_no(text: str, clicked: str | None = None) -> bool | None:
    """True for yes, False for no, None when the answer is neither or both."""
    if clicked in ("yes", "no"):  # a quick-reply button
        return clicked == "yes"
    plain = normalize(text)
    answers = derived("answers", _pooled)
    yes, no = answers["agree"].heard_in(plain), answers["decline"].heard_in(plain)
    return None if yes == no else yes


def wants_to_stop(text: str) -> bool:
    """'Cancel', 'never mind'… said while we are asking for a detail (not a yes/no question)."""
    plain = normalize(text)
    return len(plain.split()) <= 4 and derived("answers", _pooled)["stop"].heard_in(plain)


def pick(text: str, options: list[Choice], clicked: str | None = None) -> Choice | None:
    """The option the customer chose: a click, a typed id or value, or its number."""
    for option in options:
        if clicked is not None and option.value == clicked:
            return option
    plain = normalize(text)
    for option in options:
        if f" {normalize(option.value)} " in f" {plain} ":
            return option
    numbers = re.findall(r"\b(\d{1,2})\b", plain)
    if len(numbers) == 1 and 1 <= int(numbers[0]) <= len(options) and len(plain.split()) <= 3:
        return options[int(numbers[0]) - 1]
    return None


def backend(ctx: FlowContext) -> Connector:
    """The company's systems (the engine starts flows only for tenants that have them)."""
    if ctx.connector is None:
        raise ConnectorError("this tenant has no connector configured")
    return ctx.connector


def customer_id(ctx: FlowContext) -> str:
    """The verified customer's id: the only account any flow reads or changes."""
    if ctx.identity.customer_id is None:
        raise PermissionError("account flows need a verified customer")  # the runner checks first
    return ctx.identity.customer_id


def ask(state: FlowState, slot: str, question: str, options: list[Choice] | None = None) -> FlowReply:
    """Ask for `slot`; with options, list them numbered so a typed number or id answers too."""
    state.awaiting, state.options = slot, list(options or [])
    if state.options:
        question += "\n\n" + "\n".join(f"{i}. {o.label}" for i, o in enumerate(state.options, 1))
    return FlowReply(question, state, FlowOutcome.ASKED, tuple(state.options))


def end(text: str, outcome: FlowOutcome, *actions: dict[str, Any]) -> FlowReply:
    """A last word: the flow is over (done, refused by a rule, nothing to do…)."""
    return FlowReply(text, None, outcome, actions=actions)


async def act(ctx: FlowContext, action: str, idempotency_key: str, what: str, **arguments: Any) -> ActionResult:
    """Ask the action gate to carry out one write; `what` names it in the customer's language."""
    if ctx.act is None:  # flows never write around the gate
        raise ConnectorError("no action gate is bound to this conversation")
    return await ctx.act(ActionRequest(action, arguments, idempotency_key, what))


def settled(result: ActionResult, ctx: FlowContext, done: str | Callable[[ActionResult], str], *, tool: str,
            idempotency_key: str, what: str = "", **detail: Any) -> FlowReply:
    """The last word after a write: `done` if the company's system did it, otherwise what
    the gate or the system decided, and the write as traced."""
    action = {"tool": tool, **detail, "outcome": result.outcome, "reason": result.reason,
              "replayed": result.replayed, "idempotency_key": idempotency_key,
              "policy_version": result.policy_version}
    if result.approval_id:
        action["approval"] = result.approval_id
    lang = ctx.lang
    if result.outcome in ("done", "submitted"):
        return end(done(result) if callable(done) else done, FlowOutcome(result.outcome), action)
    if result.outcome == "pending_approval":
        return end(say("approval.waiting", lang, what=what), FlowOutcome.PENDING_APPROVAL, action)
    if result.outcome == "in_progress":
        return end(say("action.in_progress", lang), FlowOutcome.IN_PROGRESS, action)
    if result.outcome == "refused":
        if result.rule == "requires_verified":
            return end(say("account.sign_in_needed", lang), FlowOutcome.REFUSED, action)
        key = "action.not_enabled" if result.rule == "not_enabled" else "action.beyond_limits"
        if result.rule in ("invalid_arguments", "key_reused"):
            key = "flow.failed"
        return end(say(key, lang, what=what), FlowOutcome.REFUSED, action)
    if result.outcome == "failed":
        return end(say("flow.failed", lang), FlowOutcome.FAILED, action)
    return end(say("flow.rejected", lang), FlowOutcome.REJECTED, action)
