"""Beyond one machine: replicas behind HAProxy, the relay across them, and the two stores.

Starts a throwaway PostgreSQL and Redis (Debian's), Frontline replicas on them and HAProxy
in front (tests/support), then drives customers over socket.io through the proxy as the web
client does. Prints one line per figure:

- turns/s and first-reply p50/p95 for 1 and 2 replicas at 50 and 200 concurrent customers
  (each customer: sign in, connect, 3 help-center questions; first reply = send to answer);
- relay latency of an agent's message to the customer, p50/p95, with both on one replica
  and with the agent on the other replica (through Redis);
- store operations on SQLite and PostgreSQL (the same store code), per operation p50/p95.

    uv run python bench/replicas.py [--customers 50 200] [--replicas 1 2] [--relay 40] [--store 300]

On a 2-core machine the replicas, the database, Redis, the proxy and the load generator
share the same two cores: a second replica adds fault tolerance here, not throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.domain import ConversationId, Identity, Message, MessageId, Ownership, Role, TenantId, new_id
from app.store import AuditLog, ConversationStore
from app.store.actions import ActionLedger, LedgerEntry
from app.store.database import Database
from app.store.postgres_database import PostgresDatabase
from app.store.sqlite_database import SqliteDatabase
from tests.support.chat import ChatClient
from tests.support.postgres import PostgresCluster, postgres_bin
from tests.support.proxy import Proxy
from tests.support.redis_server import RedisServer
from tests.support.server import ServerProcess, demo_tenant_file, free_port

QUESTIONS = ["How do I reset my password?", "How long does shipping to Germany take?",
             "How do I download an invoice?", "Can I change the shipping address of my order?"]
SECRET = "bench-replicas-share-this-signing-secret-0123456789"
AGENT = ("agent@brightwave.example", "frontline-demo")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, samples: list[float], extra: str = "") -> None:
    print(f"{name:<44} n={len(samples):<5} p50={pct(samples, .5):8.1f} ms  p95={pct(samples, .95):8.1f} ms"
          f"{extra}", flush=True)


# -- replicas behind the proxy -------------------------------------------------------

class Deployment:
    """PostgreSQL + Redis + `count` replicas + HAProxy, all on this machine."""

    def __init__(self, folder: Path, cluster: PostgresCluster, redis_url: str, count: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in "ab"[:count]}
        self.proxy = Proxy(folder / "proxy", ports)
        env = {"FRONTLINE_DATABASE_URL": cluster.create_database(), "FRONTLINE_REDIS_URL": redis_url,
               "FRONTLINE_AUTH_SECRET": SECRET, "FRONTLINE_PUBLIC_URL": self.proxy.url,
               "FRONTLINE_TRUSTED_PROXIES": "127.0.0.1",
               "FRONTLINE_TENANTS": str(demo_tenant_file(folder))}
        self.replicas = {name: ServerProcess(data_dir=folder / name, log_path=folder / f"{name}.log", port=port,
                                             env={**env, "FRONTLINE_REPLICA_NAME": name})
                         for name, port in ports.items()}

    def __enter__(self) -> Deployment:
        for replica in self.replicas.values():
            replica.start(timeout=600)
        self.proxy.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proxy.stop()
        for replica in self.replicas.values():
            replica.stop()


async def customer_session(url: str, first_replies: list[float], failures: list[str]) -> int:
    chat = ChatClient(url, client_type="copilot")
    turns = 0
    try:
        await chat.sign_in_customer("demo")
        await chat.connect()
        await chat.wait_for(lambda e: e["type"] == "assistant_message", timeout=120)
        for question in QUESTIONS[:3]:
            start = time.perf_counter()
            await chat.reply_to(question, timeout=120)
            first_replies.append((time.perf_counter() - start) * 1000)
            turns += 1
    except Exception as exc:  # counted and shown: a bench must not hide failed customers
        failures.append(f"{type(exc).__name__}: {exc}"[:120])
    finally:
        await chat.close()
    return turns


async def load(url: str, customers: int) -> tuple[float, list[float], list[str]]:
    first_replies: list[float] = []
    failures: list[str] = []
    start = time.perf_counter()
    turns = await asyncio.gather(*(customer_session(url, first_replies, failures) for _ in range(customers)))
    return sum(turns) / (time.perf_counter() - start), first_replies, failures


async def relay(deployment: Deployment, rounds: int) -> None:
    """An agent's message to a customer: agent and customer on one replica, then on two."""
    names = list(deployment.replicas)
    pairs = [("same replica", names[0], names[0])] + ([("across replicas (Redis)", names[0], names[1])]
                                                      if len(names) > 1 else [])
    for label, customer_on, agent_on in pairs:
        customer = ChatClient(deployment.replicas[customer_on].url, client_type="copilot")
        agent = ChatClient(deployment.replicas[agent_on].url)
        try:
            await agent.sign_in_agent(*AGENT)
            await agent.connect()
            await agent.wait_for(lambda e: e["output"].startswith("**Queue**"), timeout=60)
            await customer.sign_in_customer("demo")
            await customer.connect()
            await customer.wait_for(lambda e: e["type"] == "assistant_message", timeout=60)
            await customer.reply_to("I want to talk to a human", timeout=60)
            conversation = customer.thread_id or ""
            await agent.wait_for(lambda e, c=conversation[:8]: c in e["output"], timeout=60)
            await agent.send(f"/claim {conversation[:8]}")
            await customer.wait_for(lambda e: "joined the chat" in e["output"], timeout=60)
            samples = []
            for i in range(rounds):
                mark, words = len(customer.messages), f"relay check {i}"
                start = time.perf_counter()
                await agent.send(words)
                await customer.wait_for(lambda e, w=words: w in e["output"], timeout=30, after=mark)
                samples.append((time.perf_counter() - start) * 1000)
            line(f"relay agent -> customer, {label}", samples)
            await agent.send("/resolve")
        finally:
            await customer.close()
            await agent.close()


# -- the store on both engines ---------------------------------------------------------

async def timed(samples: dict[str, list[float]], name: str, work: Awaitable[object]) -> None:
    """Time one store call (a coroutine does nothing until awaited)."""
    start = time.perf_counter()
    await work
    samples.setdefault(name, []).append((time.perf_counter() - start) * 1000)


async def store_ops(db: Database, count: int) -> dict[str, list[float]]:
    conversations, audit, ledger = ConversationStore(db), AuditLog(db), ActionLedger(db)
    samples: dict[str, list[float]] = {}
    for i in range(count):
        conversation = ConversationId(new_id())
        identity = Identity(TenantId("demo"), f"bench:{i}")
        await timed(samples, "ensure conversation", conversations.ensure(conversation, identity))
        message = Message(MessageId(new_id()), conversation, Role.CUSTOMER, "Customer", f"question {i}")
        await timed(samples, "add message", conversations.add_message(message))
        reply = Message(MessageId(new_id()), conversation, Role.ASSISTANT, "Assistant", f"answer {i}")
        await timed(samples, "add message in state", conversations.add_message_in_state(
            reply, Ownership.ASSISTANT))
        await timed(samples, "read history (2 messages)", conversations.messages(conversation))
        await timed(samples, "audit append (hash chain)", audit.record(
            "bench", "bench.event", tenant="demo", subject=conversation, detail={"i": i}))
        entry = LedgerEntry("demo", conversation, "cus_1", "bench_action", {"i": i}, None, f"bench-{conversation}",
                            "bench")
        await timed(samples, "ledger claim (idempotency)", ledger.claim(entry))
    return samples


async def stores(count: int, folder: Path, cluster: PostgresCluster | None) -> None:
    engines: list[tuple[str, Callable[[], object]]] = [
        ("sqlite", lambda: SqliteDatabase.open(folder / "bench.sqlite3"))]
    if cluster is not None:
        url = cluster.create_database()
        engines.append(("postgresql", lambda: PostgresDatabase.open(url)))
    for name, opener in engines:
        async with opener() as db:  # type: ignore[attr-defined]
            for op, samples in (await store_ops(db, count)).items():
                line(f"store {name}: {op}", samples, f"  mean={statistics.fmean(samples):6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--relay", type=int, default=40, help="agent messages timed per relay path")
    parser.add_argument("--store", type=int, default=300, help="rounds of store operations per engine")
    args = parser.parse_args()
    bin_dir = postgres_bin()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        cluster = PostgresCluster(bin_dir).start() if bin_dir else None
        if cluster is None:
            print("PostgreSQL is not installed: replicas and the PostgreSQL store are not measured")
        else:
            stack.callback(cluster.stop)
        asyncio.run(stores(args.store, folder, cluster))
        if cluster is None:
            return
        (folder / "redis").mkdir()
        redis = RedisServer(folder / "redis", free_port()).start()
        stack.callback(redis.stop)
        for count in args.replicas:
            with Deployment(folder / f"r{count}", cluster, redis.url, count) as deployment:
                for customers in args.customers:
                    rate, first_replies, failures = asyncio.run(load(deployment.proxy.url, customers))
                    line(f"{count} replica(s), {customers} customers: first reply", first_replies,
                         f"  turns/s={rate:6.1f}  failed customers={len(failures)}")
                    for failure in sorted(set(failures))[:3]:
                        print(f"    {failure}")
                asyncio.run(relay(deployment, args.relay))


if __name__ == "__main__":
    main()
