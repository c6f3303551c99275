"""What a human handoff costs: relaying messages between customer and agent, and the desk's
operations against a queue of about 200 waiting conversations.

    .venv/bin/python bench/handoff.py [--messages 200] [--reps 200] [--races 20] [--json]

Relay (the real server on a free port with a fresh data folder, talked to over socket.io as
the web client and the agent console do): a customer asks for a human, the demo agent claims
the conversation with `/claim <prefix>`, then the customer sends --messages messages one at a
time, each carrying a unique token; a message's latency runs from `send` on the customer's
socket to its arrival, authored "Customer", on the agent's socket (both clients live in this
process, so one perf_counter clock). Then the agent answers the same way. Five messages each
way go first as warm-up and are not counted.

Queue (in-process services, as bench/actions.py builds them): 200 conversations (guests and
some verified demo customers) ask for a human through `Engine.handle`, with three agents
counted online so each is placed in line with a wait. Then, --reps times, on a conversation
still waiting: `queue_for` (the full queue), `packet` (no suggested reply), `claim`,
`post_agent_message` and `hand_back`, each timed alone; the customer then asks for a human
again (not timed), so the queue stays at 199-200. Claim races: 10 agents claim one waiting
conversation at once (--races times); exactly one must win; the batch is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import Settings
from app.conversation.turn import Turn
from app.core.domain import ConversationId, Identity, MessageId, Ownership, TenantId, new_id
from app.core.errors import OwnershipConflict
from app.services import Services, build_services
from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess

WARM_UP = 5
OPEN = 200  # conversations waiting while the desk operations are timed
RACERS = 10
ASK = "I want to talk to a human"
CUSTOMERS = [f"cus_{n}" for n in range(1001, 1011)]  # verified demo customers (every tenth conversation)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3), "max": round(ordered[-1], 3)}


# -- relay over the real server -------------------------------------------------------------

async def relay(sender: ChatClient, receiver: ChatClient, author: Callable[[str], bool], count: int,
                label: str) -> list[float]:
    """Send `count` messages one at a time; ms from send to arrival at the receiver, warm-up dropped."""
    samples = []
    for i in range(WARM_UP + count):
        token = f"{label}-{i:04d}-{uuid.uuid4().hex[:10]}"
        mark = len(receiver.messages)
        started = time.perf_counter()
        await sender.send(f"Bench message {token}: the hub light blinks twice.")
        await receiver.wait_for(lambda e, t=token: t in e["output"] and author(e["name"]), after=mark)
        samples.append((time.perf_counter() - started) * 1000)
    return samples[WARM_UP:]


async def relay_figures(url: str, count: int) -> dict[str, Any]:
    agent, chat = ChatClient(url), ChatClient(url, client_type="copilot")
    try:
        await agent.sign_in_agent(AGENT_EMAIL, AGENT_PASSWORD)
        await agent.connect()
        await agent.wait_for(lambda e: e["output"].startswith("**Queue**"))
        await chat.sign_in_customer("demo")
        await chat.connect()
        await chat.wait_for(lambda e: e.get("name") == "Assistant")  # the welcome
        await chat.reply_to(ASK)
        conversation = chat.thread_id
        assert conversation, "the customer's conversation has no id"
        await agent.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
        mark = len(chat.messages)
        await agent.send(f"/claim {conversation[:8]}")
        await agent.wait_for(lambda e: "**Transcript**" in e["output"])
        await chat.wait_for(lambda e: "joined the chat" in e["output"], after=mark)
        to_agent = await relay(chat, agent, lambda name: name == "Customer", count, "c2a")
        to_customer = await relay(agent, chat, lambda name: name not in ("Assistant", "Customer"), count, "a2c")
    finally:
        await chat.close()
        await agent.close()
    return {"customer_to_agent": summary(to_agent), "agent_to_customer": summary(to_customer)}


def run_relay(count: int, folder: Path) -> dict[str, Any]:
    server = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log")
    started = time.perf_counter()
    server.start()
    try:
        return {"server_start_s": round(time.perf_counter() - started, 2)} | asyncio.run(
            relay_figures(server.url, count))
    finally:
        server.stop()


# -- desk operations against a full queue --------------------------------------------------

def identity_for(i: int) -> Identity:
    if i % 10 == 0:
        customer = CUSTOMERS[(i // 10) % len(CUSTOMERS)]
        return Identity(TenantId("demo"), f"customer:demo:{customer}", customer_id=customer,
                        display_name="Customer", locale="en")
    return Identity(TenantId("demo"), f"guest:demo:{new_id()[:16]}", display_name="Guest", locale="en")


async def ask_for_human(services: Services, conversation_id: str, identity: Identity) -> None:
    outcome = await services.engine.handle(Turn(ConversationId(conversation_id), MessageId(new_id()), identity, ASK))
    if outcome.conversation.state is not Ownership.QUEUED:
        raise RuntimeError(f"{conversation_id} was not queued: {outcome.conversation.state}, "
                           f"{outcome.reply.content if outcome.reply else ''!r}")


class FullCollections:
    """Full (generation 2) garbage collections while attached: each pauses whichever call is running."""

    def __init__(self) -> None:
        self.pauses: list[float] = []  # ms
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2 and phase == "start":
            self._started = time.perf_counter()
        elif info["generation"] == 2:
            self.pauses.append((time.perf_counter() - self._started) * 1000)


async def timed(samples: dict[str, list[float]], name: str, call: Any) -> Any:
    started = time.perf_counter()
    result = await call
    samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return result


async def queue_figures(reps: int, races: int, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    async with build_services(Settings(data_dir=folder)) as services:
        ready = time.perf_counter() - started
        services.engine.intake.agents_online = lambda _tenant: 3
        desk = services.desk
        for k in range(RACERS - 1):
            await services.accounts.seed_agent(f"racer{k}@bench.example", f"Racer {k}", "bench", "agent", ["*"])
        agent = await services.accounts.agent(AGENT_EMAIL)
        racers = [agent] + [await services.accounts.agent(f"racer{k}@bench.example") for k in range(RACERS - 1)]
        assert agent is not None and all(racers)

        started = time.perf_counter()
        people = {new_id(): identity_for(i) for i in range(OPEN)}
        for conversation_id, identity in people.items():
            await ask_for_human(services, conversation_id, identity)
        creating = time.perf_counter() - started
        ids = list(people)

        samples: dict[str, list[float]] = {}
        lengths: list[int] = []
        collections = FullCollections()
        gc.callbacks.append(collections)
        for i in range(reps):
            conversation_id = ids[i % OPEN]  # round robin: each was requeued after its last turn
            queue = await timed(samples, "queue_for", desk.queue_for(agent))
            lengths.append(len(queue))
            packet = await timed(samples, "packet", desk.packet(conversation_id, agent))
            assert packet is not None
            await timed(samples, "claim", desk.claim(conversation_id, agent))
            await timed(samples, "post_agent_message", desk.post_agent_message(
                conversation_id, agent, f"Hi, I'm looking into it now ({i})."))
            await timed(samples, "hand_back", desk.hand_back(conversation_id, agent, "Checked the account."))
            await ask_for_human(services, conversation_id, people[conversation_id])

        batches, clean = [], 0
        for r in range(races):
            conversation_id = ids[(reps + r) % OPEN]
            lengths.append(len(await desk.queue_for(agent)))
            started = time.perf_counter()
            results = await asyncio.gather(*(desk.claim(conversation_id, racer) for racer in racers),
                                           return_exceptions=True)
            batches.append((time.perf_counter() - started) * 1000)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, OwnershipConflict):
                    raise result
            winners = [racers[k] for k, result in enumerate(results) if not isinstance(result, BaseException)]
            clean += len(winners) == 1
            for winner in winners:
                await desk.hand_back(conversation_id, winner)
            await ask_for_human(services, conversation_id, people[conversation_id])
        gc.callbacks.remove(collections)
        tracked, final = len(gc.get_objects()), len(await desk.queue_for(agent))

    figures = {name: summary(values) for name, values in samples.items()}
    figures["claim_race"] = summary(batches) | {"single_winner": clean} if batches else {}
    figures["queue_length"] = {"min": min(lengths, default=final), "max": max(lengths, default=final), "after": final}
    figures["full_gc"] = {"count": len(collections.pauses), "tracked_objects": tracked,
                          "longest_ms": round(max(collections.pauses, default=0), 1)}
    figures["setup"] = {"services_s": round(ready, 2), "create_s": round(creating, 2), "created": OPEN}
    return figures


def row(label: str, f: dict[str, float], tail: str = "") -> None:
    print(f"  {label:<28} n={f['n']:<4} p50 {f['p50']:7.2f}  p95 {f['p95']:7.2f}  max {f['max']:7.2f}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="relayed messages each way")
    parser.add_argument("--reps", type=int, default=200, help="repetitions of each desk operation")
    parser.add_argument("--races", type=int, default=20, help="batches of 10 concurrent claims")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        queue_dir = Path(tmp) / "queue"
        queue_dir.mkdir()
        figures: dict[str, Any] = {"relay": run_relay(args.messages, Path(tmp)),
                                   "queue": asyncio.run(queue_figures(args.reps, args.races, queue_dir))}
    figures["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    figures["params"] = {"messages": args.messages, "warm_up": WARM_UP, "reps": args.reps, "races": args.races,
                         "racers": RACERS, "open": OPEN}
    figures["run_s"] = round(time.perf_counter() - began, 1)
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"Handoff, {os.cpu_count()} CPUs, Python {platform.python_version()}; {args.messages} messages each way "
          f"after {WARM_UP} warm-up, {args.reps} reps per desk operation, {args.races} races of {RACERS} claims (ms)")
    print(f"relay over socket.io (server start-up {figures['relay']['server_start_s']:.2f} s)")
    row("customer -> agent console", figures["relay"]["customer_to_agent"])
    row("agent -> customer", figures["relay"]["agent_to_customer"])
    q, s, n = figures["queue"], figures["queue"]["setup"], figures["queue"]["queue_length"]
    print(f"desk operations, in process (services ready in {s['services_s']:.2f} s; {s['created']} conversations "
          f"queued through the engine in {s['create_s']:.2f} s)")
    print(f"  waiting at each queue_for, packet and claim: {n['min']}-{n['max']} (one fewer while the claimed one "
          f"is handled; {n['after']} at the end)")
    for key, label in (("queue_for", "queue_for (full queue)"), ("packet", "packet (no suggestion)"),
                       ("claim", "claim"), ("post_agent_message", "post_agent_message"), ("hand_back", "hand_back")):
        if key in q:
            row(label, q[key])
    if f := q["claim_race"]:
        row(f"{RACERS} concurrent claims (batch)", f, f"  exactly one winner: {f['single_winner']}/{f['n']}")
    g = q["full_gc"]
    print(f"  full garbage collections while measuring: {g['count']}, longest {g['longest_ms']:.1f} ms "
          f"({g['tracked_objects']} objects tracked); each lands on whichever call is running")
    print(f"bench run time: {figures['run_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
