"""`frontline replay`: re-decide a tenant's stored customer turns with a candidate configuration
and report the decisions that change (replay_diff.py), acting for nobody.

The baseline is read from the real store and nothing is written there. The candidate decides
in a scratch world (replay_world.py). Each conversation is replayed in order in a scratch copy:
before a turn, the real messages that came before it (the customer's, the assistant's real
replies, an agent's) are copied in, so the engine reads the history as it was; after it, what
the candidate wrote is removed again. Task-flow state is the candidate's own: the turns the
assistant answered earlier in the conversation (also those before `--since`, uncounted) are
re-decided in order, so a flow the candidate started is pending when the customer answers it,
and a flow it never started is not. Each turn is decided as the assistant owning the
conversation, as it did when the turn was stored.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.config.settings import Settings
from app.conversation.turn import Turn
from app.core.domain import Conversation, ConversationId, Identity, Message, Role
from app.core.trace import DecisionTrace
from app.evaluation.replay_candidate import candidate_tenant
from app.evaluation.replay_diff import Decided, ReplayDiff
from app.evaluation.replay_turns import StoredTurn
from app.evaluation.replay_world import CandidateWorld, candidate_world
from app.store import ConversationStore, Database

NOT_ANSWERED = Decided("silent")  # the candidate left the turn unanswered (a person owned it)


@dataclass
class ReplayResult:
    diff: ReplayDiff
    seconds: float  # in all, with building the candidate world (loading models, indexing articles)
    deciding_seconds: float  # re-deciding the turns alone
    warm_up: int = 0  # earlier turns re-decided only to rebuild flow state, not counted
    unsent_writes: list[str] = field(default_factory=list)  # what the candidate would have written


@dataclass
class Transcript:
    """One real conversation as stored, and how far its scratch copy has caught up."""
    conversation: Conversation
    messages: list[Message]
    decided: set[str]  # the customer messages an assistant reply with a decision trace answered
    copied: int = 0  # messages[:copied] are in the scratch copy (or were re-decided there)
    real_ids: set[str] = field(default_factory=set)

    def identity(self) -> Identity:
        c = self.conversation
        return Identity(c.tenant, c.user_identifier, customer_id=c.customer_id, locale=c.language)


async def replay(settings: Settings, real: Database, tenant_file: Path, overrides: dict[str, Path],
                 turns: list[StoredTurn], *, grounded: bool = False, examples_per_kind: int = 3) -> ReplayResult:
    """Every turn re-decided with the candidate (the tenant file with `overrides`), oldest first."""
    started = time.perf_counter()
    diff = ReplayDiff(examples_per_kind)
    with tempfile.TemporaryDirectory(prefix="frontline-replay-") as scratch:
        folder = Path(scratch)
        tenant, candidate_file = candidate_tenant(tenant_file, overrides, folder)
        async with candidate_world(settings, tenant, candidate_file, folder, turns[0].created_at,
                                   grounded=grounded) as world:
            replayer = _Replayer(world, ConversationStore(real), turns)
            deciding = time.perf_counter()
            for turn in turns:
                diff.add(turn.conversation_id, turn.text, turn.baseline, await replayer.decide(turn))
            deciding = time.perf_counter() - deciding
            writes = [operation for operation, _ in world.dry_run.writes] if world.dry_run else []
    return ReplayResult(diff, time.perf_counter() - started, deciding, replayer.warm_up, writes)


class _Replayer:
    def __init__(self, world: CandidateWorld, real: ConversationStore, turns: list[StoredTurn]) -> None:
        self.world = world
        self.real = real
        self.scratch = world.services.conversations
        self.open: dict[str, Transcript] = {}
        self.remaining: dict[str, int] = {}  # turns still to replay per conversation
        for turn in turns:
            self.remaining[turn.conversation_id] = self.remaining.get(turn.conversation_id, 0) + 1
        self.warm_up = 0

    async def decide(self, turn: StoredTurn) -> Decided:
        transcript = self.open.get(turn.conversation_id) or await self._open(turn.conversation_id)
        position = next(i for i, m in enumerate(transcript.messages) if m.id == turn.message_id)
        for message in transcript.messages[transcript.copied:position]:
            if message.role is Role.CUSTOMER and message.id in transcript.decided:
                await self._decide(transcript, message)  # rebuilds the candidate's flow state
                self.warm_up += 1
            else:
                await self.scratch.add_message(message)
        decided = await self._decide(transcript, transcript.messages[position])
        transcript.copied = position + 1
        self.remaining[turn.conversation_id] -= 1
        if not self.remaining[turn.conversation_id]:
            del self.open[turn.conversation_id]  # its last turn: the transcript is not needed again
        return decided

    async def _open(self, conversation_id: str) -> Transcript:
        conversation = await self.real.get(ConversationId(conversation_id))
        assert conversation is not None, "stored_turns found messages in it"
        messages = await self.real.messages(conversation.id, limit=100_000)
        traced = {row["message_id"] for row in await self.real.db.fetch_all(
            "SELECT message_id FROM decision_traces WHERE conversation_id = ?", (conversation_id,))}
        decided, waiting = set(), None
        for message in messages:
            if message.role is Role.CUSTOMER:
                waiting = message.id
            elif waiting is not None and message.role is Role.ASSISTANT:
                if message.id in traced:
                    decided.add(waiting)
                waiting = None
        transcript = Transcript(conversation, messages, decided, real_ids={m.id for m in messages})
        await self.world.services.engine.open_conversation(conversation.id, transcript.identity())
        self.open[conversation_id] = transcript
        return transcript

    async def _decide(self, transcript: Transcript, message: Message) -> Decided:
        """The candidate's decision of one real customer message, stored under its own id; what
        the candidate wrote besides it is removed afterwards (the real replies follow instead)."""
        self.world.clock.move_to(message.created_at)
        await self._hand_back(transcript.conversation.id)
        turn = Turn(transcript.conversation.id, message.id, transcript.identity(), message.content,
                    choice=message.metadata.get("choice"))
        outcome = await self.world.services.engine.handle(turn)
        decided = NOT_ANSWERED
        if outcome.reply is not None:
            trace = DecisionTrace.load(await self.scratch.trace(outcome.reply.id))
            decided = Decided.of(trace, [c.url or c.title for c in outcome.citations])
        await self._forget_candidate_messages(transcript)
        return decided

    async def _hand_back(self, conversation_id: str) -> None:
        """The stored turn was answered by the assistant, so it owned the conversation then,
        whatever the candidate did earlier (a candidate handoff would have queued it)."""
        async with self.scratch.db.transaction() as tx:
            await tx.execute("UPDATE conversations SET state = 'assistant', assigned_agent = NULL"
                             " WHERE id = ? AND state <> 'assistant'", (conversation_id,))

    async def _forget_candidate_messages(self, transcript: Transcript) -> None:
        rows = await self.scratch.db.fetch_all(
            "SELECT id FROM messages WHERE conversation_id = ?", (transcript.conversation.id,))
        written = [row["id"] for row in rows if row["id"] not in transcript.real_ids]
        if not written:
            return
        marks = ", ".join("?" for _ in written)
        async with self.scratch.db.transaction() as tx:
            await tx.execute(f"DELETE FROM decision_traces WHERE message_id IN ({marks})", written)
            await tx.execute(f"DELETE FROM messages WHERE id IN ({marks})", written)
