"""Messaging channel figures: webhook acceptance latency, message -> reply at the bridge, and a
burst with nothing lost or answered twice.

Starts the real server on a free port with a fresh data folder and a tenant whose messaging
channel points at a local bridge (tests/support/bridge.py), then:

1. sends `--messages` questions one after the other, each from a new sender, and measures the
   webhook's 202 and the time until the reply is at the bridge;
2. sends a burst of `--burst` messages at once (`--senders` senders, in order per sender, plus
   every tenth one sent twice as a bridge retry would), and counts, per message, the replies at
   the bridge: none is lost, none answered twice.

    uv run python bench/messaging_channel.py [--messages 40] [--burst 500] [--senders 100] [--articles all]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.domain import new_id
from app.handoff.webhooks import sign
from tests.support.bridge import SECRET, SECRET_ENV, Bridge
from tests.support.server import ServerProcess, demo_tenant_file

QUESTIONS = [
    "How do I reset my password?", "How long does shipping to Germany take?", "My hub is offline, what should I do?",
    "How do I download an invoice?", "How do I cancel my subscription?", "Can I return a product?",
    "How do I set up two-factor authentication?", "My smart plug is not responding",
]
QUICK_ARTICLES = ("reset-your-password", "shipping-times-and-costs", "hub-offline", "download-your-invoices",
                  "cancel-your-subscription", "return-a-product", "set-up-two-factor-authentication",
                  "smart-plug-not-responding")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, samples: list[float]) -> None:
    print(f"{name:<40} n={len(samples):<4} p50={percentile(samples, .5):8.1f} ms  "
          f"p95={percentile(samples, .95):8.1f} ms  mean={statistics.fmean(samples):8.1f} ms")


async def post(http: httpx.AsyncClient, url: str, message: dict[str, str]) -> httpx.Response:
    body = json.dumps(message).encode()
    return await http.post(f"{url}/channels/messaging/demo/messages", content=body, headers={
        "Content-Type": "application/json", "X-Frontline-Signature": sign(SECRET, body, int(time.time()))})


async def wait_replies(bridge: Bridge, wanted: set[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if wanted <= {d.body.get("in_reply_to") for d in bridge.accepted()}:
            return
        await asyncio.sleep(0.05)


async def one_by_one(url: str, bridge: Bridge, count: int) -> None:
    accepted, answered = [], []
    async with httpx.AsyncClient(timeout=60) as http:
        for i in range(count):
            message = {"id": new_id(), "sender": f"+1555{new_id()[:10]}", "text": QUESTIONS[i % len(QUESTIONS)]}
            start = time.perf_counter()
            response = await post(http, url, message)
            accepted.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 202, response.text
            await wait_replies(bridge, {message["id"]}, 60)
            reply = next((d for d in bridge.accepted() if d.body.get("in_reply_to") == message["id"]), None)
            if reply is None:
                print(f"no reply to {message['id']} within 60 s")
                continue
            answered.append((reply.at - start) * 1000)
    report("webhook accepted (202)", accepted)
    report("message -> reply at the bridge", answered)


async def burst(url: str, bridge: Bridge, size: int, senders: int, drain_seconds: float) -> None:
    people = [f"+1666{new_id()[:10]}" for _ in range(senders)]
    messages = [{"id": new_id(), "sender": people[i % senders], "text": QUESTIONS[i % len(QUESTIONS)]}
                for i in range(size)]
    retries = messages[::10]
    slots = asyncio.Semaphore(50)  # a bridge's own connection pool
    statuses: Counter[str] = Counter()

    async def send(http: httpx.AsyncClient, message: dict[str, str]) -> None:
        async with slots:
            response = await post(http, url, message)
            statuses["duplicate" if response.status_code == 202 and response.json()["duplicate"]
                     else str(response.status_code)] += 1

    by_sender: dict[str, list[dict[str, str]]] = {}
    for message in messages:
        by_sender.setdefault(message["sender"], []).append(message)

    async def sender_in_order(http: httpx.AsyncClient, own: list[dict[str, str]]) -> None:
        for message in own:  # one person's messages leave their phone in order
            await send(http, message)

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=50)) as http:
        await asyncio.gather(*(sender_in_order(http, own) for own in by_sender.values()))
        accepted_in = time.perf_counter() - start
        await asyncio.gather(*(send(http, message) for message in retries))
    ids = {m["id"] for m in messages}
    await wait_replies(bridge, ids, drain_seconds)
    drained = time.perf_counter() - start
    replies = Counter(d.body.get("in_reply_to") for d in bridge.accepted() if d.body.get("in_reply_to") in ids)
    keys = Counter(d.key for d in bridge.accepted())
    lost = len(ids - set(replies))
    twice = sum(1 for n in replies.values() if n > 1) + sum(1 for n in keys.values() if n > 1)
    print(f"burst: {size} messages from {senders} senders (+{len(retries)} retried): accepted in "
          f"{accepted_in:.1f} s ({size / accepted_in:.0f}/s), all replies at the bridge in {drained:.1f} s "
          f"({size / drained:.1f}/s); answers {dict(statuses)}; lost {lost}; answered twice {twice}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--articles", choices=("all", "few"), default="all",
                        help="the whole demo help center, or only the articles the questions need (quick start)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds the burst may take to drain")
    args = parser.parse_args()
    bridge = Bridge().start()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        tenant = demo_tenant_file(folder, None if args.articles == "all" else QUICK_ARTICLES, messaging={
            "enabled": True, "bridge_url": bridge.url, "secret_env": SECRET_ENV})
        server = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                               env={"FRONTLINE_TENANTS": str(tenant), SECRET_ENV: SECRET})
        started = time.perf_counter()
        server.start(timeout=600)
        print(f"server ready in {time.perf_counter() - started:.1f} s")
        try:
            asyncio.run(one_by_one(server.url, bridge, args.messages))
            if args.burst:
                asyncio.run(burst(server.url, bridge, args.burst, args.senders, args.timeout))
        finally:
            server.stop()
            bridge.stop()


if __name__ == "__main__":
    main()
