"""`frontline replay` end to end: a real store seeded by real conversations through the engine
(a tenant whose handoffs call a helpdesk webhook and whose connector is a company's HTTP API),
then replayed through the CLI with the same and with changed configurations. The replay must
find exactly the changes the candidate makes, and reach nobody: no webhook, no write to the
company's system, not one row more or less in the real store."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from app.config.settings import Settings
from app.services import build_services
from app.store import open_database
from tests.support.cli import frontline
from tests.support.engine import Chat, fixed_clock
from tests.support.fake_company_api import TOKEN, FakeCompanyAPI, connector_options
from tests.support.fake_llm import call, reply
from tests.support.server import PROJECT_ROOT, demo_tenant_file
from tests.support.webhook_receiver import Receiver

DEMO = PROJECT_ROOT / "demo"
ARTICLES = ("shipping-times-and-costs", "reset-your-password", "download-your-invoices")
TOKEN_VARIABLE = "FRONTLINE_TEST_COMPANY_TOKEN"
SINCE = "2026-11-21"
# The seeded conversations, one list of customer messages each (customer id, turns).
CONVERSATIONS = [
    (None, ["How long does shipping take, and what does it cost?"]),
    ("cus_3", ["I want to talk to a human"]),
    (None, ["How do I reset my password?"]),
    ("cus_3", ["Please send me a copy of invoice INV-2026-0417", "yes"]),
]


@dataclass
class Seeded:
    folder: Path
    data: Path
    tenant: Path
    api: FakeCompanyAPI
    receiver: Receiver


def _seed(folder: Path, api: FakeCompanyAPI, receiver: Receiver) -> Seeded:
    policy = yaml.safe_load((DEMO / "handoff.yaml").read_text())
    policy["webhooks"] = [{"url": receiver.url, "secret_env": "BRIGHTWAVE_WEBHOOK_SECRET"}]
    policy["allow_private_webhooks"] = True
    (folder / "handoff.yaml").write_text(yaml.safe_dump(policy))
    tenant = demo_tenant_file(folder, ARTICLES, handoff=str(folder / "handoff.yaml"), connector={
        "type": "rest", "options": connector_options(api.url, TOKEN_VARIABLE, retries=0)})
    data = folder / "data"

    async def talk() -> None:
        async with build_services(Settings(data_dir=data, tenants=[tenant]), clock=fixed_clock()) as services:
            services.engine.intake.agents_online = lambda _tenant: 1
            for customer, turns in CONVERSATIONS:
                chat = Chat(services, customer)
                for text in turns:
                    await chat.say(text)
            for _ in range(200):  # the handoff's webhook is delivered in the background
                if receiver.requests:
                    break
                await asyncio.sleep(0.05)
            assert receiver.requests, "the seeded handoff reaches the helpdesk (the replay must not)"

    asyncio.run(talk())
    return Seeded(folder, data, tenant, api, receiver)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    api, receiver = FakeCompanyAPI().start(), Receiver().start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_VARIABLE, TOKEN)
        env.setenv("BRIGHTWAVE_WEBHOOK_SECRET", "whsec-replay-test-secret-0123456789")
        try:
            yield _seed(tmp_path_factory.mktemp("replay"), api, receiver)
        finally:
            api.stop()
            receiver.stop()


@pytest.fixture
def env(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(seeded.data))
    monkeypatch.setenv("FRONTLINE_TENANTS", str(seeded.tenant))
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    monkeypatch.setenv("BRIGHTWAVE_WEBHOOK_SECRET", "whsec-replay-test-secret-0123456789")
    level = logging.getLogger().level
    yield seeded
    logging.getLogger().setLevel(level)  # main() quiets the root logger for CLI commands


def replay_json(capsys: pytest.CaptureFixture[str], *overrides: str) -> dict:
    args = [arg for spec in overrides for arg in ("--with", spec)]
    code, out, err = frontline(capsys, "replay", "demo", "--since", SINCE, *args, "--json")
    assert code == 0, out + err
    return json.loads(out)


def changed_yaml(folder: Path, source: Path, name: str, change) -> Path:
    raw = yaml.safe_load(source.read_text())
    change(raw)
    path = folder / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def store(data: Path) -> sqlite3.Connection:
    path = Settings(data_dir=data).database_path
    assert path.is_file(), path
    return sqlite3.connect(path)


def row_counts(data: Path) -> dict[str, int]:
    with store(data) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def test_the_same_configuration_changes_nothing_and_reaches_nobody(env, capsys):
    before, webhooks = row_counts(env.data), len(env.receiver.requests)
    assert before["messages"] == 10 and before["decision_traces"] == 5 and before["handoffs"] == 1, before
    requests = len(env.api.requests)
    report = replay_json(capsys, f"intents={DEMO / 'intents.yaml'}")
    assert report["turns"] == 5 and report["changed"] == 0, report
    assert set(report["changes"].values()) == {0} and report["examples"] == {}
    assert report["kpis"]["handoff_rate"] == {"baseline": 0.2, "candidate": 0.2, "delta": 0.0}
    assert report["kpis"]["task_rate"]["baseline"] == 0.4
    sent = [r for r in env.api.requests[requests:] if r.method != "GET"]
    assert sent == [], f"a replay must never write to the company's system: {sent}"
    time.sleep(1)  # time for a webhook wrongly sent to arrive
    assert len(env.receiver.requests) == webhooks, "a replay must never call a helpdesk"
    assert row_counts(env.data) == before, "a replay must never write to the real store"
    # the yes to the invoice copy, and the handoff's ticket (no agent is online in a replay): never sent
    assert sorted(report["unsent_writes"]) == ["create_ticket", "send_invoice_copy"], report


def test_a_changed_handoff_policy_moves_the_handoff_to_another_queue(env, capsys, tmp_path):
    def route(policy: dict) -> None:
        policy["triggers"]["human_request"]["queue"] = "technical"
    handoff = changed_yaml(tmp_path, env.folder / "handoff.yaml", "handoff.yaml", route)
    report = replay_json(capsys, f"handoff={handoff}")
    assert report["changed"] == 1 and report["changes"]["queue_changed"] == 1, report
    (example,) = report["examples"]["queue_changed"]
    assert example["text"] == "I want to talk to a human"
    assert (example["before"]["queue"], example["after"]["queue"]) == ("general", "technical")


def test_changed_intents_turn_a_task_into_an_answer_and_its_flow_never_starts(env, capsys, tmp_path):
    def drop(intents: dict) -> None:
        del intents["intents"]["invoice_copy"]
    intents = changed_yaml(tmp_path, DEMO / "intents.yaml", "intents.yaml", drop)
    report = replay_json(capsys, f"intents={intents}")
    changes = {kind: count for kind, count in report["changes"].items() if count}
    assert report["changed"] == 2 and changes == {"task_to_answer": 2, "intent_changed": 2}, report
    ask, answer = report["examples"]["task_to_answer"]
    assert ask["text"] == "Please send me a copy of invoice INV-2026-0417"
    assert (ask["before"]["intent"], ask["after"]["intent"]) == ("invoice_copy", "question")
    assert any("download-your-invoices" in a for a in ask["after"]["articles"])
    # the candidate never asked "shall I send it?", so the customer's "yes" continues no flow
    assert answer["text"] == "yes" and (answer["before"]["kind"], answer["after"]["kind"]) == ("task", "answer")
    assert report["kpis"]["task_rate"] == {"baseline": 0.4, "candidate": 0.0, "delta": -0.4}
    assert report["unsent_writes"] == ["create_ticket"], "no invoice copy without the flow"


def test_a_help_center_without_an_article_answers_differently(env, capsys, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    for slug in ("shipping-times-and-costs", "download-your-invoices"):  # no reset-your-password
        (kb / f"{slug}.md").write_text((DEMO / "helpcenter" / f"{slug}.md").read_text())
    report = replay_json(capsys, f"kb={kb}")
    assert report["changed"] == 1 and report["changes"]["different_article"] == 1, report
    (example,) = report["examples"]["different_article"]
    assert example["text"] == "How do I reset my password?"
    assert any("reset-your-password" in a for a in example["before"]["articles"])
    assert not any("reset-your-password" in a for a in example["after"]["articles"])


def test_a_window_opening_mid_flow_rebuilds_the_flow_from_the_earlier_turns(env, capsys):
    with store(env.data) as db:
        (yes_at,) = db.execute("SELECT created_at FROM messages WHERE content = 'yes'").fetchone()
    code, out, err = frontline(capsys, "replay", "demo", "--since", yes_at, "--with",
                               f"intents={DEMO / 'intents.yaml'}", "--json")
    report = json.loads(out)
    assert code == 0 and report["turns"] == 1 and report["warm_up_turns"] == 1, out + err
    assert report["changed"] == 0, "the invoice question before --since was re-decided: its flow awaits the yes"
    assert report["unsent_writes"] == ["send_invoice_copy"]


def test_the_text_report_shows_counts_examples_and_kpis(env, capsys, tmp_path):
    def route(policy: dict) -> None:
        policy["triggers"]["human_request"]["queue"] = "technical"
    handoff = changed_yaml(tmp_path, env.folder / "handoff.yaml", "handoff.yaml", route)
    code, out, err = frontline(capsys, "replay", "demo", "--since", SINCE, "--with", f"handoff={handoff}")
    assert code == 0, err
    assert "5 turns replayed" in out and "1 decided differently" in out, out
    assert "queue changed" in out and '"I want to talk to a human"' in out
    assert "handoff (human_handoff; general) -> handoff (human_handoff; technical)" in out, out
    assert "handoff rate" in out and "+0.0pp" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "yesterday", "--with", f"intents={DEMO / 'intents.yaml'}"], "--since 'yesterday' is not a date"),
    (["--since", SINCE, "--until", "2026-11-01", "--with", f"intents={DEMO / 'intents.yaml'}"], "is not before"),
    (["--since", SINCE], "--with: name at least one of"),
    (["--since", SINCE, "--with", "colour=red.yaml"], "--with 'colour=red.yaml': use one of"),
    (["--since", SINCE, "--with", "intents=/no/such.yaml"], "--with intents: /no/such.yaml does not exist"),
    (["--since", "2030-01-01", "--with", f"intents={DEMO / 'intents.yaml'}"],
     "no answered customer turns of tenant 'demo' since 2030-01-01"),
])
def test_bad_input_is_one_error_line_and_exit_2(env, capsys, args, message):
    code, out, err = frontline(capsys, "replay", "demo", *args)
    assert code == 2 and out == "", out
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_an_unknown_tenant_or_an_invalid_candidate_file_is_exit_2(env, capsys, tmp_path):
    code, _, err = frontline(capsys, "replay", "acme", "--since", SINCE, "--with", f"intents={DEMO / 'intents.yaml'}")
    assert code == 2 and err == "error: no tenant 'acme' (known: demo)\n"
    broken = tmp_path / "intents.yaml"
    broken.write_text("intents: [not, a, mapping]\n")
    code, out, err = frontline(capsys, "replay", "demo", "--since", SINCE, "--with", f"intents={broken}")
    assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, err


def test_a_store_on_postgresql_is_replayed_and_left_as_it_was(postgres_url, tmp_path, capsys, monkeypatch):
    tenant = demo_tenant_file(tmp_path, ARTICLES)
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant], database_url=postgres_url)

    async def talk() -> dict[str, int]:
        async with build_services(settings, clock=fixed_clock()) as services:
            chat = Chat(services, "cus_1001")
            for text in ("Please send me a copy of invoice INV-2026-0079", "yes"):
                await chat.say(text)
        return await counts()

    async def counts() -> dict[str, int]:
        async with open_database(settings) as db:
            return {table: (await db.fetch_one(f"SELECT count(*) FROM {table}"))[0]
                    for table in ("conversations", "messages", "decision_traces", "action_ledger", "audit_events")}

    before = asyncio.run(talk())
    assert before["messages"] == 4 and before["action_ledger"] == 1, before
    for name, value in (("FRONTLINE_DATA_DIR", settings.data_dir), ("FRONTLINE_TENANTS", tenant),
                        ("FRONTLINE_DATABASE_URL", postgres_url)):
        monkeypatch.setenv(name, str(value))
    report = replay_json(capsys, f"intents={DEMO / 'intents.yaml'}")
    assert (report["turns"], report["changed"], report["unsent_writes"]) == (2, 0, ["send_invoice_copy"]), report
    assert asyncio.run(counts()) == before, "a replay must never write to the real store"


def test_llm_mode_asks_the_model_with_the_real_history_and_grounded_does_not(fake_llm, tmp_path, capsys,
                                                                           monkeypatch):
    model = {"model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0}
    tenant = demo_tenant_file(tmp_path, ARTICLES, llm=model)
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant])

    def script(first: str) -> None:
        fake_llm.script.clear()
        fake_llm.queue(call("search_help_center", {"query": "shipping times"}), reply(first),
                       reply("Canada takes a little longer."))

    async def talk() -> list[str]:
        async with build_services(settings, clock=fixed_clock()) as services:
            chat = Chat(services)
            return [(await chat.say(text))[1]["decision"]["action"]
                    for text in ("How long does shipping take?", "And to Canada?")]

    script("Standard shipping takes 3 to 5 business days.")
    assert asyncio.run(talk()) == ["answer", "answer"]
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FRONTLINE_TENANTS", str(tenant))
    script("CANDIDATE-WORDING of the first answer.")
    asked = len(fake_llm.requests)
    report = replay_json(capsys, f"intents={DEMO / 'intents.yaml'}")
    assert (report["turns"], report["changed"]) == (2, 0), report
    assert len(fake_llm.requests) - asked == 3, "the candidate searched and answered, then answered again"
    second = json.dumps(fake_llm.requests[-1]["messages"])
    assert "Standard shipping takes 3 to 5 business days." in second, "the real earlier reply is the history"
    assert "CANDIDATE-WORDING" not in second, "the candidate's own earlier reply is not"

    asked = len(fake_llm.requests)
    code, out, err = frontline(capsys, "replay", "demo", "--since", SINCE, "--grounded",
                               "--with", f"intents={DEMO / 'intents.yaml'}", "--json")
    assert code == 0 and json.loads(out)["turns"] == 2, out + err
    assert len(fake_llm.requests) == asked, "--grounded never asks the model"
