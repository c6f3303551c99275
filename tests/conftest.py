"""Shared fixtures: a real Frontline server on a free port, and socket.io chat clients."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.config.tenants import load_tenant
from app.core import language_data
from app.surfaces.auth import sign_identity_token
from tests.support.chat import ChatClient
from tests.support.cli import data_dir  # noqa: F401 - a shared fixture (a module may define its own)
from tests.support.fake_llm import FakeLLM
from tests.support.postgres import database, postgres_cluster, postgres_url  # noqa: F401 - shared fixtures
from tests.support.server import LIMITS_OFF, PROJECT_ROOT, ServerProcess

# In-process services (build_services) read the same settings: limits off for them too.
for _name, _value in LIMITS_OFF.items():
    os.environ.setdefault(_name, _value)
# Tests ask about the help center the moment a server is up: they need its dense vectors
# in by then (tests/test_knowledge_background.py covers serving before they are).
os.environ.setdefault("FRONTLINE_VECTORS_BEFORE_SERVING", "true")

DEMO_TENANT = PROJECT_ROOT / "demo" / "tenant.yaml"
AGENT_EMAIL = "agent@brightwave.example"
AGENT_PASSWORD = "frontline-demo"
ARTIFACTS = Path(os.environ.get("FRONTLINE_TEST_ARTIFACTS", PROJECT_ROOT / "test-artifacts"))


@pytest.fixture(scope="session", autouse=True)
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder of help-center and intent vectors for every server and CLI the run starts
    (FRONTLINE_VECTOR_CACHE): the first one embeds the demo help center, the rest reuse it.
    Fresh for each run, so the run still embeds everything once, for real."""
    folder = tmp_path_factory.mktemp("vector-cache")
    previous = os.environ.get("FRONTLINE_VECTOR_CACHE")
    os.environ["FRONTLINE_VECTOR_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("FRONTLINE_VECTOR_CACHE", None)
    else:
        os.environ["FRONTLINE_VECTOR_CACHE"] = previous


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the whole run; tests isolate themselves by using new conversations."""
    folder = tmp_path_factory.mktemp("server")
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log").start()
    yield process
    process.stop()


@pytest.fixture
def identity_for() -> object:
    tenant = load_tenant(DEMO_TENANT)
    return lambda customer_id: sign_identity_token(tenant, customer_id)


@pytest.fixture
async def clients(server: ServerProcess) -> AsyncIterator[list[ChatClient]]:
    """A list to put chat clients in; every one is closed after the test."""
    made: list[ChatClient] = []
    yield made
    for client in made:
        await client.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def embedder():
    """The real default (primary) embedding model, loaded once."""
    from app.config.settings import Settings
    from knowledge.embedder import open_embedder

    settings = Settings()
    return open_embedder(settings.model_dir, settings.embedding_model)


@pytest.fixture(scope="session")
def multilingual_embedder():
    """The real default multilingual embedding model, loaded once."""
    from app.config.settings import Settings
    from knowledge.embedder import open_embedder

    settings = Settings()
    return open_embedder(settings.model_dir, settings.multilingual_model)


@pytest.fixture
def languages_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of app/languages that the loader reads instead, for a test to edit."""
    copy = tmp_path / "languages"
    shutil.copytree(language_data.LANGUAGES_DIR, copy)
    monkeypatch.setattr(language_data, "LANGUAGES_DIR", copy)
    language_data.reload()
    yield copy
    monkeypatch.undo()
    language_data.reload()


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    """The scripted OpenAI-compatible provider on 127.0.0.1, one per test module."""
    server = FakeLLM().start()
    yield server
    server.stop()
