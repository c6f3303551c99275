"""What declaring and resolving an incident costs: matching the look-back's customer messages
against the topic, and storing and sending a notice per affected conversation.

    uv run python bench/outreach.py [--conversations 2000] [--share 0.1] [--json]

A fresh SQLite store holds `--conversations` customer conversations of the demo tenant (half
web, half email), of which `--share` wrote about the topic. Declaring tells them all (a
notice stored and handed to each conversation's channel outbox, through the channel registry);
resolving tells them it is fixed. Prints the wall time of each and the notices per second,
and checks that every affected conversation got exactly one notice of each kind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import Settings
from app.config.tenants import TenantRegistry
from app.core import clock as clocks
from app.core.channels import Channels
from app.core.domain import Conversation, ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.handoff.outreach import Outreach
from app.store import ConversationStore, SqliteDatabase
from app.store.incidents import IncidentStore

TOPIC = "login sign"
REPORTS = ("I cannot log in since this morning", "the login page spins forever", "sign-in fails with an error")
OTHERS = ("Where is my order?", "How do I change my tariff?", "My invoice looks wrong")


class CountingOutbox:
    channel = "email"

    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        self.sent[(conversation.id, str(message.metadata.get("event")))] += 1


async def run(conversations: int, share: float) -> dict[str, object]:
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        async with SqliteDatabase.open(Path(folder) / "frontline.sqlite3") as db:
            store = ConversationStore(db)
            affected = set()
            for i in range(conversations):
                cid = new_id()
                channel = "email" if i % 2 else "web"
                await store.ensure(cid, Identity(TenantId("demo"), f"user-{i}", channel=channel))
                reports = i < conversations * share
                text = REPORTS[i % len(REPORTS)] if reports else OTHERS[i % len(OTHERS)]
                await store.add_message(Message(MessageId(new_id()), ConversationId(cid), Role.CUSTOMER, "C", text))
                if reports:
                    affected.add(cid)
            channels, outbox = Channels(), CountingOutbox()
            channels.add(outbox)
            web: Counter[tuple[str, str]] = Counter()

            async def deliver(conversation_id: str, message: Message) -> None:
                conversation = await store.get(ConversationId(conversation_id))
                assert conversation is not None
                if not await channels.send(conversation, message, message.content):
                    web[(conversation_id, str(message.metadata.get("event")))] += 1

            outreach = Outreach(IncidentStore(db), store, TenantRegistry.from_files(Settings().tenants),
                                clock=clocks.now)
            outreach.deliver = deliver
            started = time.perf_counter()
            declared = await outreach.declare("demo", TOPIC, "A fix is on its way.", by="bench")
            declare_s = time.perf_counter() - started
            started = time.perf_counter()
            resolved = await outreach.resolve(declared.incident, by="bench", resolution="Fixed.")
            resolve_s = time.perf_counter() - started
            told = outbox.sent + web
            exact = all(told[(cid, event)] == 1 for cid in affected for event in ("incident.known", "incident.fixed"))
            return {"conversations": conversations, "affected": len(affected), "told_known": declared.told,
                    "told_fixed": resolved.told, "each_told_once": exact and len(told) == 2 * len(affected),
                    "declare_seconds": round(declare_s, 3), "resolve_seconds": round(resolve_s, 3),
                    "declare_notices_per_second": round(declared.told / declare_s, 1) if declare_s else None,
                    "resolve_notices_per_second": round(resolved.told / resolve_s, 1) if resolve_s else None,
                    "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--share", type=float, default=0.1, help="the share of conversations about the topic")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.conversations, args.share))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
