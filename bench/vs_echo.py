"""A Frontline turn side by side with a bare Chainlit echo app, both over socket.io.

Starts the Frontline server (the demo tenant, grounded mode, fresh data folder, the per-person
limits off so that load is not refused, the help center's dense vectors all in before serving)
and bench/echo_app.py on free ports, then drives both exactly as the web client does
(tests/support/chat.py) and prints, per server:

- one customer, N turns: reply-complete latency p50/p95 (send -> the reply's new_message);
- C concurrent customers x T turns: turns/s and latency p50/p95;
- a cheap turn's p50/p95 while other customers send long messages (the event loop must not
  stall the cheap one);
- server RSS before and after S idle sessions connect, and per session;
- with --profile (needs py-spy on PATH or in the environment): where Frontline's server spends
  the interpreter lock during the concurrent phase, by package. Only samples holding the lock
  count (py-spy --gil): in one process that lock is what turns wait for, and a thread waiting on
  its queue (aiosqlite's, the worker threads') or the loop waiting in epoll is not work.

    uv run python bench/vs_echo.py [--turns 20] [--customers 50] [--customer-turns 3] [--idle 200] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.chat import ChatClient
from tests.support.server import PROJECT_ROOT, ServerProcess, free_port, stop_process, wait_healthy

QUESTIONS_FILE = PROJECT_ROOT / "bench" / "data" / "demo_questions.jsonl"
OPENERS = ["", "Hi, ", "Hello! ", "Hey, ", "Quick question: ", "Good morning, ", "Hi there. ", "Please help: ",
           "Hello, I have a question. ", "Sorry to bother you, "]
CLOSERS = ["", " Thanks!", " Thank you in advance."]
CHEAP = ["hi", "thanks"]  # small talk the assistant answers at once, again and again
PER_CHAT = 10
WARM_UP = 19  # questions asked before timing starts
LONG = ("I have been trying to get my smart hub to connect to the new router for three days now and "
        "nothing works; I reset it, moved it closer, changed the channel and the password. ") * 18


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Target:
    """One server under test: how to open a customer's chat on it."""

    def __init__(self, name: str, url: str, pid: int, signs_in: bool) -> None:
        self.name, self.url, self.pid, self.signs_in = name, url, pid, signs_in

    async def customer(self) -> ChatClient:
        chat = ChatClient(self.url, client_type="copilot")
        if self.signs_in:
            await chat.sign_in_customer("demo")
        await chat.connect()
        await chat.wait_for(lambda e: e.get("type") == "assistant_message", timeout=60)  # the greeting
        return chat


def questions() -> Iterator[str]:
    """Questions a customer would ask the demo help center, none asked twice in a run (630
    before they repeat): the server remembers a recent question's vectors, so cycling a few
    texts would time a remembered embedding instead of a customer's new question. The demo's
    one-part questions, each opened and closed a few ways."""
    asked = [json.loads(line) for line in QUESTIONS_FILE.read_text().splitlines() if line.strip()]
    one_part = [q["question"] for q in asked if len(q["expected"]) == 1]
    variants = [f"{opener}{q[0].lower() + q[1:] if opener and q[1:2].islower() else q}{closer}"
                for closer in CLOSERS for opener in OPENERS for q in one_part]
    return itertools.cycle(variants)


async def timed_turn(chat: ChatClient, text: str) -> float:
    started = time.perf_counter()
    await chat.reply_to(text, timeout=120)
    return (time.perf_counter() - started) * 1000


async def one_customer(target: Target, turns: int, asking: Iterator[str]) -> list[float]:
    # not timed: a greeting, then a server that has answered some questions (a passage's
    # reranking words and a language's tables are worked out on first use, then kept)
    warm_up = ["hello", *itertools.islice(asking, WARM_UP)]
    for start in range(0, len(warm_up), PER_CHAT):
        chat = await target.customer()
        try:
            for text in warm_up[start:start + PER_CHAT]:
                await timed_turn(chat, text)
        finally:
            await chat.close()
    timings: list[float] = []
    while len(timings) < turns:
        chat = await target.customer()
        try:
            timings += [await timed_turn(chat, next(asking)) for _ in range(min(PER_CHAT, turns - len(timings)))]
        finally:
            await chat.close()
    return timings


async def many_customers(target: Target, customers: int, turns: int,
                         asking: Iterator[str]) -> tuple[list[float], float]:
    chats = await asyncio.gather(*(target.customer() for _ in range(customers)))
    try:
        async def run(chat: ChatClient) -> list[float]:
            return [await timed_turn(chat, next(asking)) for _ in range(turns)]
        started = time.perf_counter()
        results = await asyncio.gather(*(run(c) for c in chats))
        wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.close() for c in chats))
    return [ms for r in results for ms in r], wall


async def cheap_turns(target: Target, count: int) -> list[float]:
    """`count` small-talk turns, a fresh chat every PER_CHAT turns (Frontline refuses more than 20
    messages a minute in one conversation; the opening greeting is not timed)."""
    timings: list[float] = []
    while len(timings) < count:
        chat = await target.customer()
        try:
            for i in range(min(PER_CHAT, count - len(timings))):
                timings.append(await timed_turn(chat, CHEAP[i % len(CHEAP)]))
        finally:
            await chat.close()
    return timings


async def cheap_under_load(target: Target, count: int, heavy_customers: int) -> tuple[list[float], list[float]]:
    """Cheap turns alone, then while `heavy_customers` keep sending long messages."""
    alone = await cheap_turns(target, count)
    stop = asyncio.Event()

    async def keep_busy() -> None:
        while not stop.is_set():
            chat = await target.customer()
            try:
                for _ in range(PER_CHAT):
                    if stop.is_set():
                        break
                    await timed_turn(chat, LONG)
            finally:
                await chat.close()
    busy = [asyncio.create_task(keep_busy()) for _ in range(heavy_customers)]
    await asyncio.sleep(1)
    loaded = await cheap_turns(target, count)
    stop.set()
    await asyncio.gather(*busy)
    return alone, loaded


async def idle_sessions(target: Target, count: int) -> tuple[float, float]:
    await asyncio.sleep(1)
    before = rss_mb(target.pid)
    chats = []
    for _ in range(count):  # one at a time: the figure is memory, not connection speed
        chats.append(await target.customer())
    await asyncio.sleep(2)
    after = rss_mb(target.pid)
    await asyncio.gather(*(c.close() for c in chats))
    return before, after


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


def package_of(frame: str) -> str:
    """A py-spy frame ("function (file:line)") named by the part of the system it belongs to."""
    path = frame.rsplit("(", 1)[-1]
    for key, name in (("/app/", "frontline app/"), ("/knowledge/", "frontline knowledge/"),
                      ("/guardrails/", "frontline guardrails/"), ("/connectors/", "frontline connectors/"),
                      ("chainlit", "chainlit"), ("socketio", "socket.io"), ("engineio", "socket.io"),
                      ("aiosqlite", "aiosqlite"), ("sqlite3", "aiosqlite"), ("langdetect", "langdetect"),
                      ("onnxruntime", "onnxruntime"), ("fastembed", "fastembed"), ("qdrant", "qdrant"),
                      ("uvicorn", "uvicorn/starlette"), ("starlette", "uvicorn/starlette"),
                      ("asyncio", "asyncio loop"), ("numpy", "numpy"), ("pydantic", "pydantic"),
                      ("tokenizers", "tokenizers"), ("threading", "threads idle")):
        if key in path:
            return name
    where = path.rsplit(":", 1)[0].rstrip(")")
    return f"other: {Path(where).name or where}"  # named by file, so the biggest show up


def profile_summary(collapsed: Path) -> list[tuple[str, float]]:
    """Share of samples by the innermost frame's package (own time) and by the outermost
    Frontline frame (where a turn's time starts), from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        samples = int(count)
        total += samples
        own[package_of(frames[-1])] += samples
    return [(name, 100 * n / total) for name, n in own.most_common(20)] if total else []


def start_profiler(spy: str, pid: int, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                             "--output", str(output), "--nonblocking", "--gil"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(recorder: subprocess.Popen[bytes], output: Path) -> list[tuple[str, float]]:
    recorder.send_signal(2)  # py-spy writes its file on SIGINT
    recorder.wait(timeout=60)
    return profile_summary(output) if output.exists() else []


async def measure(target: Target, args: argparse.Namespace) -> dict[str, object]:
    asking = questions()  # the same texts, in the same order, for both servers
    single = await one_customer(target, args.turns, asking)
    recorder, collapsed = None, Path(tempfile.mkdtemp()) / "profile.txt"
    if args.profile and target.name == "frontline" and (spy := py_spy()):
        recorder = start_profiler(spy, target.pid, collapsed)
        await asyncio.sleep(1)
    concurrent, wall = await many_customers(target, args.customers, args.customer_turns, asking)
    profile = stop_profiler(recorder, collapsed) if recorder is not None else []
    alone, loaded = await cheap_under_load(target, args.cheap_turns, args.heavy)
    before, after = await idle_sessions(target, args.idle)
    return {"single": single, "concurrent": concurrent, "wall": wall, "alone": alone, "loaded": loaded,
            "rss": (before, after), "profile": profile}


def start_echo(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CHAINLIT_APP_ROOT": str(folder)}
    log = (folder / "echo.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "chainlit", "run", str(PROJECT_ROOT / "bench" / "echo_app.py"), "--headless",
         "--host", "127.0.0.1", "--port", str(port)], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    if not wait_healthy(url, process, 60):
        raise RuntimeError((folder / "echo.log").read_text()[-2000:])
    return process, url


def line(name: str, values: list[float]) -> str:
    return f"p50 {percentile(values, .5):7.1f} ms  p95 {percentile(values, .95):7.1f} ms  (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--customer-turns", type=int, default=3)
    parser.add_argument("--cheap-turns", type=int, default=20)
    parser.add_argument("--heavy", type=int, default=4, help="customers sending long messages meanwhile")
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vs-echo-"))
    # steady state: the help center's dense vectors are all in before the first turn is timed
    server = ServerProcess(folder / "data", folder / "frontline.log",
                           env={"FRONTLINE_VECTORS_BEFORE_SERVING": "true"}).start(timeout=300)
    echo, echo_url = start_echo(folder)
    try:
        results = {}
        for target in (Target("echo", echo_url, echo.pid, signs_in=False),
                       Target("frontline", server.url, server.process.pid, signs_in=True)):
            results[target.name] = asyncio.run(measure(target, args))
    finally:
        stop_process(echo)
        server.stop()
    echo_r, front = results["echo"], results["frontline"]
    print(f"cpus {os.cpu_count()}  load {os.getloadavg()[0]:.2f}")
    for key, title in (("single", f"1 customer x {args.turns} turns"),
                       ("concurrent", f"{args.customers} customers x {args.customer_turns} turns"),
                       ("alone", "cheap turn, nothing else running"),
                       ("loaded", f"cheap turn, {args.heavy} customers sending {len(LONG)}-char messages")):
        print(f"{title}:")
        for name, r in (("echo", echo_r), ("frontline", front)):
            print(f"  {name:<10} {line(name, r[key])}")
        if key == "single":
            ratio = percentile(front[key], .5) / percentile(echo_r[key], .5)
            print(f"  frontline / echo at p50: {ratio:.1f}x  (target <= 1.5x)")
        if key == "concurrent":
            total = args.customers * args.customer_turns
            echo_tps, front_tps = total / echo_r["wall"], total / front["wall"]
            print(f"  turns/s: echo {echo_tps:.1f}  frontline {front_tps:.1f}  "
                  f"= {100 * front_tps / echo_tps:.0f}% of the echo app (target >= 50%)")
    for name, r in (("echo", echo_r), ("frontline", front)):
        before, after = r["rss"]
        print(f"RSS {name:<10} {before:6.0f} MB -> {after:6.0f} MB with {args.idle} idle sessions "
              f"({1024 * (after - before) / max(args.idle, 1):.0f} KB per session)")
    if front["profile"]:
        print("frontline server, interpreter lock held during the concurrent phase, by package (own samples):")
        for name, share in front["profile"]:
            print(f"  {name:<24} {share:5.1f}%")
    elif args.profile:
        print("no profile: py-spy not found (uv sync --group dev installs it)")


if __name__ == "__main__":
    main()
