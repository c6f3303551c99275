"""`frontline triage` run in-process against its own data folder, with the real models."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.conversation.policy import POLICY_VERSION
from app.core.domain import Identity, Message, MessageId, Role, TenantId, new_id
from app.store import ConversationStore, SqliteDatabase
from tests.support.cli import frontline
from tests.support.engine import as_seeded_today


@pytest.fixture(scope="module")
def intent_vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exemplar embeddings are cached by content: embed the tenant's exemplars once per module."""
    return tmp_path_factory.mktemp("intent-vectors")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, intent_vectors: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "intent-vectors").symlink_to(intent_vectors, target_is_directory=True)
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(folder))
    level = logging.getLogger().level
    yield folder
    logging.getLogger().setLevel(level)  # main() quiets the root logger for CLI commands


def triage_json(capsys: pytest.CaptureFixture[str], text: str, *args: str) -> dict[str, Any]:
    code, out, err = frontline(capsys, "triage", text, "--tenant", "demo", *args, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def store_conversation(data_dir: Path, conversation_id: str, *, tenant: str = "demo",
                       customer_id: str | None = None, language: str | None = None,
                       earlier: tuple[str, ...] = ()) -> None:
    async def create() -> None:
        async with SqliteDatabase.open(data_dir / "frontline.sqlite3") as db:
            store = ConversationStore(db)
            who = f"customer:{tenant}:{customer_id}" if customer_id else f"guest:{tenant}:test"
            await store.ensure(conversation_id, Identity(TenantId(tenant), who, customer_id),
                               language=language)
            for text in earlier:
                await store.add_message(Message(MessageId(new_id()), conversation_id, Role.CUSTOMER,  # type: ignore[arg-type]
                                                "Customer", text))
    asyncio.run(create())


def test_order_question_of_a_verified_customer(data_dir, capsys):
    report = triage_json(capsys, "Where is my order BW-10234?", "--customer", "cus_1001")
    assert report["tenant"] == "demo" and report["conversation"] is None
    assert report["customer"] == {"id": "cus_1001", "found": True, "plan": "pro",
                                  "annual_contract_value": 200.0, "sla_tier": "standard",
                                  "renewal_date": as_seeded_today("2027-03-01")}
    # 16 letters could never switch the language: it is kept, and not read
    assert report["language"] == {"value": "en", "detected": None, "confidence": 0.0, "switched": False}
    intent = report["intent"]
    assert intent["name"] == "order_status" and intent["confidence"] >= 0.5, intent
    assert intent["method"].startswith("exemplars:") and not intent["out_of_scope"]
    assert intent["runners_up"] and all(p <= intent["confidence"] for _, p in intent["runners_up"])
    assert report["entities"]["order_ids"] == ["BW-10234"]
    assert report["sentiment"]["label"] == "neutral"
    priority = report["priority"]
    assert priority["parts"]["customer_value"] == 2  # a $200/year plan
    assert set(priority["parts"]) == {"customer_value", "renewal", "sla", "repeat_contacts",
                                      "sentiment", "urgent_intent"}
    assert priority["score"] == sum(priority["parts"].values()) and priority["level"] == "low"
    decision = report["decision"]
    assert decision["rule"] and decision["policy_version"] == POLICY_VERSION
    assert decision["action"] not in ("ask_sign_in", "answer"), decision

    # the same question from a guest: no account data, and the policy asks them to sign in
    guest = triage_json(capsys, "Where is my order BW-10234?")
    assert guest["customer"] is None and guest["priority"]["parts"]["customer_value"] == 0
    assert guest["decision"]["action"] == "ask_sign_in", guest["decision"]


def test_readable_summary(data_dir, capsys):
    code, out, err = frontline(capsys, "triage", "Where is my order BW-10234?", "--tenant", "demo",
                               "--customer", "cus_1001")
    assert code == 0, err
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert list(lines) == ["tenant", "customer", "conversation", "intent", "language", "entities",
                           "sentiment", "priority", "decision"]
    assert lines["customer"].startswith("verified customer cus_1001 · plan pro · value 200/year")
    assert lines["intent"].startswith("order_status ") and lines["entities"] == "order BW-10234"
    assert lines["priority"] == "low 2 = customer_value 2"
    assert f"· policy {POLICY_VERSION}" in lines["decision"]
    values = [line[len("conversation"):] for line in out.splitlines()]
    assert len({len(v) - len(v.lstrip()) for v in values}) == 1  # values are aligned


def test_spanish_message_gets_spanish(data_dir, capsys):
    report = triage_json(capsys, "¿Dónde está mi pedido? Lo pedí hace dos semanas y todavía no ha llegado")
    assert report["language"]["value"] == "es" and report["language"]["switched"], report["language"]
    assert report["intent"]["name"] == "order_status", report["intent"]
    assert report["intent"]["method"] == "exemplars:use-multilingual-v3"
    # a short message keeps the language the widget's locale set
    short = triage_json(capsys, "hola", "--locale", "es-ES")
    assert short["language"]["value"] == "es" and not short["language"]["switched"]


def test_an_angry_message_raises_sentiment_and_priority(data_dir, capsys):
    calm = triage_json(capsys, "My payment did not go through, can you check?", "--customer", "cus_1001")
    angry = triage_json(capsys, "This is RIDICULOUS!!! My payment failed AGAIN, useless service, "
                                "I'm going to cancel my subscription", "--customer", "cus_1001")
    assert angry["sentiment"]["label"] == "negative", angry["sentiment"]
    assert angry["sentiment"]["frustration"] > calm["sentiment"]["frustration"] + 0.3
    assert angry["sentiment"]["signals"]
    assert angry["priority"]["parts"]["sentiment"] > calm["priority"]["parts"]["sentiment"]
    assert angry["priority"]["score"] > calm["priority"]["score"]


def test_stored_conversation_keeps_its_language_and_history(data_dir, capsys):
    store_conversation(data_dir, "conv-es-1", customer_id="cus_1002", language="es",
                       earlier=("Hola, tengo un problema con mi pedido",))
    report = triage_json(capsys, "ok", "--conversation", "conv-es-1")
    assert report["conversation"] == {"id": "conv-es-1", "state": "assistant", "language": "es",
                                      "misses": 0, "history_messages": 1}
    assert report["language"]["value"] == "es" and not report["language"]["switched"]
    assert report["customer"]["id"] == "cus_1002"  # the conversation's own verified customer
    # a unique prefix is enough, as in the console
    assert triage_json(capsys, "ok", "--conversation", "conv-es")["conversation"]["id"] == "conv-es-1"


@pytest.mark.parametrize(("args", "message"), [
    (("--tenant", "acme"), "error: no tenant 'acme' (known: demo)"),
    (("--tenant", "demo", "--customer", "cus_9999"), "error: tenant 'demo' has no customer 'cus_9999'"),
    (("--tenant", "demo", "--conversation", "nope-123"), "error: no conversation 'nope-123'"),
    (("--tenant", "demo", "--locale", "xx"), "error: --locale 'xx' is not a supported language"),
    (("--tenant", "demo", "--conversation", "conv-other"), "belongs to tenant 'other', not 'demo'"),
    (("--tenant", "demo", "--conversation", "conv-guest", "--customer", "cus_1001"),
     "is a guest's, not customer 'cus_1001''s"),
])
def test_clear_errors(data_dir, capsys, args, message):
    store_conversation(data_dir, "conv-other", tenant="other")
    store_conversation(data_dir, "conv-guest")
    code, out, err = frontline(capsys, "triage", "Where is my order?", *args)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err, err


def test_trace_of_an_unknown_conversation(data_dir, capsys):
    code, _, err = frontline(capsys, "trace", "nope-123")
    assert code == 1 and "no conversation 'nope-123'" in err and "there is no database" in err
    store_conversation(data_dir, "conv-1")
    code, _, err = frontline(capsys, "trace", "nope-123")
    assert code == 1 and err.startswith("error: no conversation 'nope-123' in "), err
    code, out, _ = frontline(capsys, "trace", "conv-1")
    assert code == 0 and "0 assistant turns" in out
