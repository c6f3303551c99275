"""GET /metrics and the JSON logs of a real server process, after a customer turn driven over
socket.io as the web client drives it; who may scrape the series (app/surfaces/metrics_api.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.config.settings import Settings
from app.surfaces.metrics_api import install_metrics_route, may_scrape
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess, demo_tenant_file

TOKEN = "scrape-token-0123456789"
EMAIL, PHONE = "jane.doe@example.com", "+1 415 555 0134"
OUTSIDE = {"X-Forwarded-For": "203.0.113.9"}  # relayed by the trusted proxy (127.0.0.1) from outside


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("metrics-server")
    env = {"FRONTLINE_TENANTS": str(demo_tenant_file(folder, ("reset-your-password",))),
           "FRONTLINE_LOG_FORMAT": "json", "FRONTLINE_REPLICA_NAME": "replica-a",
           "FRONTLINE_TRUSTED_PROXIES": "127.0.0.1", "FRONTLINE_METRICS_TOKEN": TOKEN}
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log", env=env).start(timeout=300)
    yield process
    process.stop()


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(exposition) for sample in family.samples}


async def test_metrics_and_json_logs_after_one_customer_turn(server):
    chat = ChatClient(server.url, client_type="copilot")
    try:
        await chat.sign_in_customer("demo")
        await chat.connect()
        await chat.wait_for(lambda e: e.get("name") == "Assistant")  # the welcome
        answer = await chat.reply_to(f"How do I reset my password? Reach me at {EMAIL} or {PHONE}.")
        assert "password" in answer["output"], answer["output"]  # a reset offer, to the address given

        async with httpx.AsyncClient(base_url=server.url) as http:
            scraped = await http.get("/metrics")
        assert scraped.status_code == 200, scraped.text
        assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
        series = samples(scraped.text)
        turns = {dict(labels)["outcome"]: value for (name, labels), value in series.items()
                 if name == "frontline_turns_total" and dict(labels)["tenant"] == "demo"}
        assert turns == {"answered": 1.0}, turns
        assert series[("frontline_turn_stage_seconds_count", frozenset({("stage", "triage")}))] == 1.0
        assert series[("frontline_turn_stage_seconds_count", frozenset({("stage", "persist")}))] == 1.0
        assert series[("frontline_live_sessions", frozenset())] >= 1.0
        assert EMAIL not in scraped.text and "reset" not in scraped.text.lower()
    finally:
        await chat.close()

    records = [json.loads(line) for line in server.log().splitlines() if line.strip()]  # every line is JSON
    assert any(r["message"].startswith("Frontline is ready") and r["replica"] == "replica-a" for r in records)
    turn = [r for r in records if r["message"].startswith("turn answered")]
    assert len(turn) == 1, turn
    assert (turn[0]["tenant"], turn[0]["conversation_id"], turn[0]["level"]) == ("demo", chat.thread_id, "INFO")
    assert {"time", "logger", "replica"} <= set(turn[0])
    log = server.log()
    assert EMAIL not in log and "555 0134" not in log


async def test_a_scrape_from_outside_needs_the_token(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        refused = await http.get("/metrics", headers=OUTSIDE)
        wrong = await http.get("/metrics", headers={**OUTSIDE, "Authorization": "Bearer not-the-token"})
        allowed = await http.get("/metrics", headers={**OUTSIDE, "Authorization": f"Bearer {TOKEN}"})
    assert (refused.status_code, wrong.status_code, allowed.status_code) == (403, 403, 200)
    assert "frontline_" not in refused.text + wrong.text and "frontline_turns_total" in allowed.text
    assert "metrics scrape refused from 203.0.113.9" in server.log()


def test_who_may_scrape():
    settings = Settings(trusted_proxies=["10.0.0.0/8"], metrics_token=TOKEN)
    assert may_scrape(settings, "127.0.0.1", None) and may_scrape(settings, "::1", None)
    assert may_scrape(settings, "10.4.5.6", None)
    assert not may_scrape(settings, "203.0.113.9", None)
    assert may_scrape(settings, "203.0.113.9", f"Bearer {TOKEN}")
    assert not may_scrape(settings, "203.0.113.9", f"Basic {TOKEN}")
    assert not may_scrape(settings, "203.0.113.9", "Bearer ")
    assert not may_scrape(Settings(), "203.0.113.9", "Bearer ")  # no token set: a blank one admits nobody


async def test_metrics_turned_off_answer_404():
    app = FastAPI()
    settings = Settings(metrics_enabled=False)
    install_metrics_route(app, lambda: SimpleNamespace(settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://frontline") as http:
        assert (await http.get("/metrics")).status_code == 404
