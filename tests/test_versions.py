"""Versioned behaviour: every decision trace names the content version of the files that decided
it, and `frontline versions` lists each version with when it decided and how often, on the
injected clock: two intents files in turn, then a roll-back to the first."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta

import pytest
import yaml

from app.cli.main import main
from app.config.settings import Settings
from app.core.clock import StartingAt
from app.core.versions import content_version, file_version, folders_version
from app.services import build_services
from tests.support.engine import TEST_START, Chat
from tests.support.server import PROJECT_ROOT, demo_tenant_file

INTENTS = {"intents": {
    "human_handoff": {"examples": ["I want to talk to a human", "let me speak to an agent", "a real person please"]},
    "order_status": {"examples": ["where is my order", "has my package shipped", "track my parcel"]},
    "question": {"examples": ["how long does shipping take", "what does the pro plan cost", "how do I pair wifi"]},
}}
CHANGED = {"intents": {**INTENTS["intents"], "greeting": {"examples": ["hello", "hi there", "good morning"]}}}


def test_normalized_bytes_keep_the_version_and_content_changes_it(tmp_path):
    assert content_version(b"a: 1\nb: 2\n") == content_version(b"\xef\xbb\xbfa: 1  \r\nb: 2\r\n\r\n")
    assert content_version(b"a: 1\nb: 2\n") != content_version(b"a: 1\nb: 3\n")
    assert len(content_version(b"")) == 12
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "one.md").write_text("# One\n")
    before = folders_version([tmp_path / "kb"])
    (tmp_path / "kb" / "two.md").write_text("# Two\n")
    assert folders_version([tmp_path / "kb"]) != before
    assert folders_version([tmp_path / "kb" / "one.md"]) == folders_version([tmp_path / "kb" / "one.md"])


def chat_at(settings: Settings, start: datetime, messages: list[str]) -> list[dict]:
    async def run() -> list[dict]:
        async with build_services(settings, clock=StartingAt(start)) as services:
            chat = Chat(services)
            return [(await chat.say(text))[1] for text in messages]
    return asyncio.run(run())


def test_two_intents_files_in_turn_then_a_roll_back(tmp_path, capsys, monkeypatch: pytest.MonkeyPatch):
    intents = tmp_path / "intents.yaml"
    tenant = demo_tenant_file(tmp_path, ("shipping-times-and-costs",), intents=str(intents))
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant])
    first, second, third = TEST_START, TEST_START + timedelta(days=1), TEST_START + timedelta(days=2)

    intents.write_text(yaml.safe_dump(INTENTS))
    version_a = file_version(intents)
    traces = chat_at(settings, first, ["how long does shipping take?", "and what does it cost?"])
    versions = traces[0]["versions"]
    assert versions["intents"] == version_a and "prompt" not in versions  # grounded mode: no prompt decided
    assert versions["actions"] == file_version(PROJECT_ROOT / "demo" / "actions.yaml")
    assert versions["handoff"] == file_version(PROJECT_ROOT / "demo" / "handoff.yaml")
    article = PROJECT_ROOT / "demo" / "helpcenter" / "shipping-times-and-costs.md"
    assert versions["knowledge"] == folders_version([article])

    intents.write_text(yaml.safe_dump(CHANGED))
    version_b = file_version(intents)
    assert version_b != version_a
    chat_at(settings, second, ["hello", "where is my order?", "how long does shipping take?"])

    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FRONTLINE_TENANTS", str(tenant))
    level = logging.getLogger().level
    try:
        capsys.readouterr()
        assert main(["versions", "demo", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["versions"]
        assert [(v["version"], v["replies"]) for v in listed["intents"]] == [(version_b, 3), (version_a, 2)]
        newest, oldest = listed["intents"]
        assert second <= _at(newest["first"]) <= _at(newest["last"]) < second + timedelta(minutes=5)
        assert first <= _at(oldest["first"]) <= _at(oldest["last"]) < first + timedelta(minutes=5)
        assert [v["replies"] for v in listed["handoff"]] == [5]  # the other files did not change
        assert listed["prompt"] == []

        intents.write_text(yaml.safe_dump(INTENTS) + "\n\n")  # switched back (trailing blank lines are no change)
        chat_at(settings, third, ["hi, how long does shipping take?"])
        assert main(["versions", "demo"]) == 0
        text = capsys.readouterr().out
        assert main(["versions", "demo", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["versions"]
    finally:
        logging.getLogger().setLevel(level)
    assert [(v["version"], v["replies"]) for v in listed["intents"]] == [(version_a, 3), (version_b, 3)]
    assert _at(listed["intents"][0]["first"]) < second < third <= _at(listed["intents"][0]["last"])
    lines = text.splitlines()
    block = lines[lines.index("intents") + 1:lines.index("intents") + 3]
    assert block[0].split()[0] == version_a and block[0].endswith("3 replies"), text
    assert block[1].split()[0] == version_b, text


def test_versions_of_an_unknown_tenant_is_one_error_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path / "data"))
    level = logging.getLogger().level
    code = main(["versions", "acme"])
    logging.getLogger().setLevel(level)
    assert code == 1 and capsys.readouterr().err == "error: no tenant 'acme' (known: demo)\n"


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
