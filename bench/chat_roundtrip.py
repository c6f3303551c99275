"""Skeleton figures: server start-up (first run and restart) and chat round trips.

Starts the real server on a free port with a fresh data folder, then talks to it over
socket.io exactly as the web client does. Prints one line per figure.

    uv run python bench/chat_roundtrip.py [--turns 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.tenants import load_tenant
from app.surfaces.auth import sign_identity_token
from tests.support.chat import ChatClient
from tests.support.server import PROJECT_ROOT, ServerProcess

QUESTIONS = [
    "How do I reset my password?", "Can I get a refund for my annual plan?",
    "How long does shipping to Germany take?", "My hub is offline, what should I do?",
    "How do I download an invoice?", "How do I delete my account?",
    "Can I change the shipping address of my order?", "How do I cancel my subscription?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, samples: list[float]) -> None:
    print(f"{name:<34} n={len(samples):<4} p50={percentile(samples, .5):7.1f} ms  "
          f"p95={percentile(samples, .95):7.1f} ms  mean={statistics.fmean(samples):7.1f} ms")


async def round_trips(url: str, turns: int) -> None:
    tenant = load_tenant(PROJECT_ROOT / "demo" / "tenant.yaml")
    kb, orders = [], []
    chat = ChatClient(url, client_type="copilot")
    verified = ChatClient(url, client_type="copilot")
    try:
        await chat.sign_in_customer("demo")
        await chat.connect()
        await chat.wait_for(lambda e: e["type"] == "assistant_message")
        await verified.sign_in_customer("demo", identity=sign_identity_token(tenant, "cus_1001"))
        await verified.connect()
        await verified.wait_for(lambda e: e["type"] == "assistant_message")
        for i in range(turns):
            # a fresh conversation every few turns keeps the rate limiter out of the figures
            if i and i % 15 == 0:
                await chat.close()
                chat = ChatClient(url, client_type="copilot")
                await chat.sign_in_customer("demo")
                await chat.connect()
                await chat.wait_for(lambda e: e["type"] == "assistant_message")
            start = time.perf_counter()
            await chat.reply_to(QUESTIONS[i % len(QUESTIONS)])
            kb.append((time.perf_counter() - start) * 1000)
            if i < 15:
                start = time.perf_counter()
                await verified.reply_to("Where is my order?")
                orders.append((time.perf_counter() - start) * 1000)
    finally:
        await chat.close()
        await verified.close()
    report("round trip: help-center answer", kb)
    report("round trip: verified order status", orders)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(data_dir=Path(tmp) / "data", log_path=Path(tmp) / "server.log")
        start = time.perf_counter()
        server.start()
        print(f"{'start-up, first run (embeds KB)':<34} {time.perf_counter() - start:7.2f} s")
        try:
            asyncio.run(round_trips(server.url, args.turns))
        finally:
            server.stop()
        start = time.perf_counter()
        server.start()
        print(f"{'start-up, restart (KB unchanged)':<34} {time.perf_counter() - start:7.2f} s")
        server.stop()


if __name__ == "__main__":
    main()
