"""The engine's own time per turn: grounded mode by stage, and LLM mode's time on top of the model.

Grounded mode: the demo tenant without a model, with the real store, embedded Qdrant (synced
with demo/helpcenter), both embedding models and the demo CRM, in a fresh data folder. A
seeded mix of short conversations (help-center questions in en/es/de/fr, order questions
from verified customers and guests, greetings, questions the help center cannot answer) goes
through `Engine.handle` directly: no server, no socket. Each turn's wall time is taken around
handle(); its stages come from the decision trace's `latency_ms`. "persist" is what follows
the last stage mark: saving the reply and trace in one transaction, re-reading the
conversation, auditing a handoff. Turns are grouped by what the engine did with them.

LLM mode: the same tenant with an `llm:` section pointing at the scripted OpenAI-compatible
server of the tests (tests/support/fake_llm.py, run in a child process), which litellm talks
to over HTTP, streaming as the web UI does. The server records when each request arrived and
when its last byte went out; a turn's "model" time is the sum over its requests, and the
engine's overhead is the turn's wall time minus that. Measured for a plain answer (one model
call) and for a tool call (search_help_center, then the answer: two calls and a help-center
search), on help-center questions the engine sends to the model (those it routes to a task
flow or a sign-in request are counted, not measured); and for one model call through
LLMClient alone: the client's (litellm's) share. The server answers at once by default, so
all of the client's work on the streamed chunks shows as overhead; with --chunk-ms the
answer streams at a model's pace and that work overlaps with generation.

    uv run python bench/turn_latency.py [--turns 200] [--llm-turns 60] [--chunk-ms 0] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from app.config.settings import PROJECT_ROOT, Settings
from app.conversation.assistant import TOOLS, system_prompt
from app.conversation.engine import Engine
from app.conversation.turn import Turn
from app.core.domain import ConversationId, Identity, MessageId, TenantId, new_id
from app.llm.client import LLMClient, LLMConfig
from app.services import build_services
from tests.support.fake_llm import FakeLLM, call, reply

DEMO = PROJECT_ROOT / "demo"
TENANT = "demo"
SESSION_TURNS = 3  # turns per conversation: well under the rate limit (20 a minute)
STAGES = ("store_input", "guard_input", "triage", "llm", "retrieve", "act", "compose")  # the usual order

HELP = {
    "en": ["How do I reset my password?", "Can I get a refund for my annual plan?",
           "How long does shipping to Germany take?", "My hub shows as offline, what can I do?",
           "Where can I download my invoices?", "How do I turn on two-factor authentication?",
           "My smart plug is not responding", "How do I change the email address on my account?",
           "What happens to my data if I cancel?", "How do I send a product back?"],
    "es": ["¿Cómo restablezco mi contraseña?", "¿Puedo pedir un reembolso de mi plan anual?",
           "¿Cómo descargo mis facturas?", "Mi hub aparece desconectado, ¿qué hago?",
           "¿Cómo cancelo mi suscripción?"],
    "de": ["Wie setze ich mein Passwort zurück?", "Wie lade ich meine Rechnungen herunter?",
           "Mein Hub ist offline, was kann ich tun?", "Wie kündige ich mein Abo?",
           "Wie lange dauert der Versand nach Deutschland?"],
    "fr": ["Comment réinitialiser mon mot de passe ?", "Comment télécharger mes factures ?",
           "Mon hub est hors ligne, que faire ?", "Comment résilier mon abonnement ?",
           "Puis-je être remboursé de mon abonnement annuel ?"],
}
ORDERS = {"en": "Any news on my order? I ordered last week.", "es": "¿Ya enviaron mi pedido?",
          "de": "Ist meine Bestellung schon unterwegs?", "fr": "Quand est-ce que ma commande arrive ?"}
ORDER_BY_ID = "Is order {order} on its way?"
GREETINGS = {"en": "Hi there!", "es": "¡Hola, buenas tardes!", "de": "Guten Tag!", "fr": "Bonjour !"}
MISSES = {"en": "Do you sell solar panels for boats?", "es": "¿Tienen una tienda física en Madrid?",
          "de": "Kann ich mit Bitcoin bezahlen?", "fr": "Organisez-vous des visites de votre usine ?"}
LLM_ANSWERED = "answered by the model"
LANGUAGES = (("en", 0.55), ("es", 0.15), ("de", 0.15), ("fr", 0.15))

LLM_ANSWER = ("You can reset it yourself: on the sign-in page choose **Forgot password?**, enter the email "
              "address of your account and follow the link we send you within a few minutes. The link is "
              "valid for one hour; if it has expired, simply request a new one. "
              "Source: [Reset your password](/kb/demo/reset-your-password)")


# -- the conversations --------------------------------------------------------------------

@dataclass
class Session:
    language: str
    customer: str | None  # a verified customer's id, or None for a guest
    orders: list[str]
    texts: list[str] = field(default_factory=list)


def sessions(seed: int, *, help_only: bool = False) -> Iterator[Session]:
    """Short conversations, endlessly; the same sequence for a given seed."""
    rng = random.Random(seed)
    crm = json.loads((DEMO / "crm.json").read_text(encoding="utf-8"))
    orders: dict[str, list[str]] = defaultdict(list)
    for order in crm["orders"]:
        orders[order["customer_id"]].append(order["id"])
    customers = sorted(orders)
    while True:
        language = rng.choices([lang for lang, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        customer = rng.choice(customers) if rng.random() < 0.35 else None
        session = Session(language, customer, orders.get(customer or "", []))
        for position in range(SESSION_TURNS):
            if help_only:
                session.texts.append(rng.choice(HELP[language]))
                continue
            roll = rng.random()
            if position == 0 and roll < 0.25:
                session.texts.append(GREETINGS[language])
            elif position == SESSION_TURNS - 1 and roll < 0.15:  # last: a second miss would hand off
                session.texts.append(MISSES[language])
            elif roll < 0.80:
                session.texts.append(rng.choice(HELP[language]))
            elif language == "en" and session.orders and roll < 0.88:
                session.texts.append(ORDER_BY_ID.format(order=rng.choice(session.orders)))
            else:
                session.texts.append(ORDERS[language])
        yield session


def turns(made: Iterable[Session]) -> Iterator[tuple[Session, Turn]]:
    for session in made:
        conversation = ConversationId(new_id())
        if session.customer:
            identity = Identity(TenantId(TENANT), f"customer:{TENANT}:{session.customer}",
                                customer_id=session.customer, display_name="Customer",
                                locale=session.language)
        else:
            identity = Identity(TenantId(TENANT), f"guest:{TENANT}:{new_id()[:16]}", display_name="Guest",
                                locale=session.language)
        for text in session.texts:
            yield session, Turn(conversation, MessageId(new_id()), identity, text, reply_id=MessageId(new_id()))


async def _sink(_token: str) -> None:  # the web UI streams tokens to the browser; here they go nowhere
    return None


def kind_of(trace: dict[str, Any], language: str, cited: bool) -> str:
    """What the engine did with the turn, from its decision trace."""
    decision = trace.get("decision", {})
    action, rule = decision.get("action"), decision.get("rule")
    if action == "answer":
        if trace.get("mode") == "llm":
            return LLM_ANSWERED
        if cited:
            return "help-center answer, " + ("en" if language == "en" else "es/de/fr")
        return "no help-center answer"
    if action == "task":  # rule: task_<flow> to start one, continue_<flow> for its next step
        step, _, flow = str(rule).partition("_")
        return f"task: {flow}" + (", next step" if step == "continue" else "")
    return {"ask_sign_in": "asked to sign in", "smalltalk": "greeting", "clarify": "clarifying question",
            "order_status": "order status, verified"}.get(action, f"{action} ({rule})")


# -- measuring ----------------------------------------------------------------------------

Script = Callable[[str], list[Any]]  # the scripted server's steps for a turn's text


@dataclass
class Sample:
    kind: str
    total: float  # ms, wall time around Engine.handle
    stages: dict[str, float]
    model: float = 0.0  # ms the scripted server spent on this turn's requests
    calls: int = 0


def _serve(connection: Connection) -> None:
    """The scripted server's process: it answers HTTP on its own threads and commands here."""
    fake = FakeLLM().start()
    connection.send(fake.url)
    while True:
        command, argument = connection.recv()
        if command == "script":  # the steps for the next turn; returns where its requests start
            fake.script.clear()
            fake.queue(*argument)
            connection.send((len(fake.requests), len(fake.served)))
        elif command == "since":  # the requests served from that mark on, in seconds
            requests, served = argument
            deadline = time.monotonic() + 5
            # a request is recorded just after its last byte, possibly after the client read it
            while len(fake.served) - served < len(fake.requests) - requests and time.monotonic() < deadline:
                time.sleep(0.0005)
            connection.send([s.seconds for s in fake.served[served:]])
        else:
            fake.stop()
            connection.send(None)
            return


class ScriptedModel:
    """tests.support.fake_llm's server, run in a child process so that its work neither takes
    the engine's interpreter lock nor waits for it: its time is the model's time alone."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.url: str = self._connection.recv()

    def script(self, steps: list[Any]) -> tuple[int, int]:
        self._connection.send(("script", steps))
        mark: tuple[int, int] = self._connection.recv()
        return mark

    def since(self, mark: tuple[int, int]) -> list[float]:
        self._connection.send(("since", mark))
        seconds: list[float] = self._connection.recv()
        return seconds

    def stop(self) -> None:
        self._connection.send(("stop", None))
        self._connection.recv()
        self._process.join(5)


async def run_turn(engine: Engine, session: Session, turn: Turn, model: ScriptedModel | None = None,
                   steps: list[Any] | None = None) -> Sample | None:
    mark = model.script(steps or []) if model else (0, 0)
    started = time.perf_counter()
    outcome = await engine.handle(turn, on_token=_sink)
    total = (time.perf_counter() - started) * 1000
    served = model.since(mark) if model else []
    if outcome.reply is None:  # a person owns the conversation: nothing was composed
        return None
    trace = await engine.conversations.trace(outcome.reply.id)
    assert trace is not None, "every reply is stored with its decision trace"
    stages = dict(trace["latency_ms"])
    stages["persist"] = max(total - sum(stages.values()), 0.0)
    sample = Sample(kind_of(trace, session.language, bool(outcome.citations)), total, stages)
    sample.calls, sample.model = len(served), sum(served) * 1000
    return sample


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": round(percentile(values, .5), 2), "p95": round(percentile(values, .95), 2)}


async def drive(engine: Engine, made: Iterator[Session], warmup: int, count: int,
                model: ScriptedModel | None = None, script: Script | None = None,
                keep: Callable[[Sample], bool] = lambda _sample: True) -> tuple[list[Sample], Counter[str]]:
    """Run turns until `count` kept samples after `warmup` turns; the others are counted by kind."""
    samples: list[Sample] = []
    others: Counter[str] = Counter()
    for index, (session, turn) in enumerate(turns(made)):
        if len(samples) >= count:
            break
        if index >= 5 * (warmup + count):
            raise SystemExit(f"only {len(samples)} of {count} turns were of the kind measured; "
                             f"the others: {dict(others)}")
        sample = await run_turn(engine, session, turn, model, script(turn.text) if script else None)
        if index < warmup:
            continue
        if sample is None:
            others["silent (a person owns the conversation)"] += 1
        elif keep(sample):
            samples.append(sample)
        else:
            others[sample.kind] += 1
    return samples, others


def stage_names(samples: list[Sample]) -> list[str]:
    seen = [stage for stage in STAGES if any(stage in s.stages for s in samples)]
    for sample in samples:  # stages this bench does not know yet, in the order they ran
        seen += [stage for stage in sample.stages if stage not in seen and stage != "persist"]
    return [*seen, "persist"]


# -- the two modes ------------------------------------------------------------------------

def tenant_file(folder: Path, llm: dict[str, Any] | None) -> Path:
    tenant = yaml.safe_load((DEMO / "tenant.yaml").read_text(encoding="utf-8"))
    tenant["knowledge"]["paths"] = [str(DEMO / "helpcenter")]
    tenant["intents"] = str(DEMO / "intents.yaml")
    tenant["actions"] = str(DEMO / "actions.yaml")
    tenant["handoff"] = str(DEMO / "handoff.yaml")
    tenant["connector"]["options"]["seed"] = str(DEMO / "crm.json")
    if llm is not None:
        tenant["llm"] = llm
    path = folder / ("tenant-llm.yaml" if llm else "tenant.yaml")
    path.write_text(yaml.safe_dump(tenant, allow_unicode=True), encoding="utf-8")
    return path


async def grounded(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(data_dir=folder / "data", tenants=[tenant_file(folder, None)])
    async with build_services(settings) as services:
        samples, _ = await drive(services.engine, sessions(args.seed), args.warmup, args.turns)
    stages = {stage: summary([s.stages[stage] for s in samples if stage in s.stages])
              for stage in stage_names(samples)}
    stages["total"] = summary([s.total for s in samples])
    kinds: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        kinds[sample.kind].append(sample.total)
    return {"stages": stages, "by_kind": {kind: summary(values) for kind, values in sorted(kinds.items())}}


def llm_scenario(samples: list[Sample], others: Counter[str]) -> dict[str, Any]:
    outside = [sum(v for k, v in s.stages.items() if k != "llm") for s in samples]
    return {"calls_per_turn": sorted({s.calls for s in samples}),
            "not_measured": dict(others.most_common()),
            "total": summary([s.total for s in samples]),
            "model": summary([s.model for s in samples]),
            "overhead": summary([s.total - s.model for s in samples]),
            "overhead_in_llm_stage": summary([s.stages.get("llm", 0.0) - s.model for s in samples]),
            "overhead_outside_llm_stage": summary(outside)}


async def client_alone(client: LLMClient, model: ScriptedModel, count: int, warmup: int,
                       pace: dict[str, float]) -> dict[str, Any]:
    """One streamed model call through LLMClient, with the prompt and tools the engine sends."""
    messages = [{"role": "system", "content": system_prompt("Brightwave", "en")},
                {"role": "user", "content": HELP["en"][0]}]
    totals, models = [], []
    for index in range(count + warmup):
        mark = model.script([reply(LLM_ANSWER, **pace)])
        started = time.perf_counter()
        await client.complete(messages, TOOLS, _sink)
        total = (time.perf_counter() - started) * 1000
        (seconds,) = model.since(mark)
        if index >= warmup:
            totals.append(total)
            models.append(seconds * 1000)
    return {"calls_per_turn": [1], "total": summary(totals), "model": summary(models),
            "overhead": summary([t - m for t, m in zip(totals, models, strict=True)])}


async def llm_mode(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    model = ScriptedModel()
    try:
        config = {"model": "openai/gpt-4o-mini", "api_base": model.url, "timeout": 10, "retries": 0}
        settings = Settings(data_dir=folder / "data", tenants=[tenant_file(folder, config)])
        pace = {"delay": args.model_delay_ms / 1000, "chunk_delay": args.chunk_ms / 1000}
        async with build_services(settings) as services:
            engine = services.engine
            plain = await drive(engine, sessions(args.seed + 1, help_only=True), args.warmup, args.llm_turns,
                                model, lambda _text: [reply(LLM_ANSWER, **pace)],
                                keep=lambda sample: sample.kind == LLM_ANSWERED and sample.calls == 1)
            tool = await drive(engine, sessions(args.seed + 2, help_only=True), args.warmup, args.llm_turns,
                               model, lambda text: [call("search_help_center", {"query": text}, **pace),
                                                   reply(LLM_ANSWER, **pace)],
                               keep=lambda sample: sample.kind == LLM_ANSWERED and sample.calls == 2)
            alone = await client_alone(LLMClient(LLMConfig.model_validate(config)), model,
                                       args.llm_turns, args.warmup, pace)
    finally:
        model.stop()
    return {"plain answer": llm_scenario(*plain), "tool call, then answer": llm_scenario(*tool),
            "model call alone (LLMClient)": alone}


# -- output -------------------------------------------------------------------------------

def show(results: dict[str, Any], args: argparse.Namespace) -> None:
    machine = results["machine"]
    print(f"machine: {machine['cores']} cores, Python {machine['python']}, {machine['platform']}")
    stages = results["grounded"]["stages"]
    print(f"\ngrounded mode: Engine.handle, {stages['total']['n']} turns after {args.warmup} warm-up "
          f"(seed {args.seed}), ms")
    print(f"{'stage':<14} {'n':>5} {'p50':>8} {'p95':>8}")
    for stage, row in stages.items():
        print(f"{stage:<14} {row['n']:>5} {row['p50']:8.2f} {row['p95']:8.2f}")
    print(f"\n{'turn kind':<30} {'n':>5} {'p50':>8} {'p95':>8}")
    for kind, row in results["grounded"]["by_kind"].items():
        print(f"{kind:<30} {row['n']:>5} {row['p50']:8.2f} {row['p95']:8.2f}")

    print(f"\nLLM mode against the scripted server (streamed; {args.model_delay_ms:g} ms before each response, "
          f"{args.chunk_ms:g} ms between chunks), ms; overhead = turn - model")
    print(f"{'turn':<30} {'n':>4} {'calls':>5} {'turn p50':>9} {'p95':>7} {'model p50':>10} {'p95':>7} "
          f"{'overhead p50':>13} {'p95':>7}")
    for name, row in results["llm"].items():
        calls = ",".join(str(c) for c in row["calls_per_turn"])
        print(f"{name:<30} {row['total']['n']:>4} {calls:>5} {row['total']['p50']:9.2f} {row['total']['p95']:7.2f} "
              f"{row['model']['p50']:10.2f} {row['model']['p95']:7.2f} "
              f"{row['overhead']['p50']:13.2f} {row['overhead']['p95']:7.2f}")
    print(f"\n{'overhead, where':<30} {'in llm stage p50':>17} {'p95':>7} {'rest of turn p50':>17} {'p95':>7}")
    for name, row in results["llm"].items():
        if "overhead_in_llm_stage" in row:
            inside, outside = row["overhead_in_llm_stage"], row["overhead_outside_llm_stage"]
            print(f"{name:<30} {inside['p50']:17.2f} {inside['p95']:7.2f} {outside['p50']:17.2f} {outside['p95']:7.2f}")
    for name, row in results["llm"].items():
        if row.get("not_measured"):
            skipped = ", ".join(f"{kind} {n}" for kind, n in row["not_measured"].items())
            print(f"({name}: turns the engine did not send to the model, not measured: {skipped})")
    print(f"\nbench run time: {results['seconds']:.1f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="measured grounded-mode turns")
    parser.add_argument("--llm-turns", type=int, default=60, help="measured turns per LLM-mode scenario")
    parser.add_argument("--warmup", type=int, default=10, help="turns run first and not counted, per scenario")
    parser.add_argument("--model-delay-ms", type=float, default=0.0,
                        help="how long the scripted server waits before each response")
    parser.add_argument("--chunk-ms", type=float, default=0.0,
                        help="how long the scripted server waits between streamed chunks (one per word)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("LiteLLM", "litellm", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                           "platform": platform.platform(terse=True)}}
    with tempfile.TemporaryDirectory() as tmp:
        results["grounded"] = await grounded(Path(tmp), args)
        results["llm"] = await llm_mode(Path(tmp), args)
    results["seconds"] = round(time.perf_counter() - started, 1)
    show(results, args)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
