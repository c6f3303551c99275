"""The handoff policy file: the demo's loads, opening hours and SLA deadlines read right, and a
bad file stops start-up naming the file and the field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config.handoff_policy import load_handoff_policy
from app.config.tenants import load_tenant
from app.core.errors import ConfigError

DEMO = Path(__file__).resolve().parents[1] / "demo"
GOOD = "version: v1\nqueues: {general: {}}\n"


def test_the_demo_policy_keeps_office_hours_for_compliance_and_counts_deadlines_per_queue() -> None:
    policy = load_tenant(DEMO / "tenant.yaml").handoff_policy
    assert policy.version == "brightwave-handoff-2026.11.1"
    saturday_11_madrid, sunday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC), datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert policy.hours_of("compliance").is_open(saturday_11_madrid)
    assert not policy.hours_of("compliance").is_open(sunday)
    assert policy.hours_of("crisis").is_open(sunday)  # an incident queue never closes
    assert policy.due("compliance", "high", saturday_11_madrid) == datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    assert policy.due("general", "urgent", saturday_11_madrid) == datetime(2026, 11, 21, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(("content", "message"), [
    (GOOD + "triggers: {incident: {queue: nowhere}}\n", "'nowhere' is not one of the queues"),
    (GOOD + "hours: {timezone: Mars/Olympus}\n", "unknown time zone 'Mars/Olympus'"),
    (GOOD + "hours: {open: {mon-fri: '20:00-08:00'}}\n", "is not a span like 08:00-20:00"),
    (GOOD + "hours: {open: {weekdays: '08:00-20:00'}}\n", "days are mon..sun"),
    (GOOD + "sla_minutes: {urgent: 5}\n", "give minutes for every priority"),
    (GOOD + "triggers: {frustration: {queue: general, threshold: 3}}\n", "threshold"),
    (GOOD + "webhooks: [{url: 'ftp://x', secret_env: S}]\n", "url"),
    (GOOD + "webhooks: [{url: 'https://x', secret_env: S, events: [handoff.exploded]}]\n", "unknown events"),
    (GOOD + "follow_up: carrier_pigeon\n", "follow_up"),
    (GOOD + "webhooks: [{url: 'http://127.0.0.1:8080/hooks', secret_env: S}]\n",
     "webhooks.0.url: webhook URL http://127.0.0.1:8080/hooks points to a loopback address"),
    (GOOD + "webhooks: [{url: 'http://169.254.169.254/latest/meta-data', secret_env: S}]\n",
     "points to a link-local address (where cloud metadata services live)"),
    (GOOD + "webhooks: [{url: 'https://10.1.2.3/hooks', secret_env: S}]\n", "a private or reserved network"),
    (GOOD + "webhooks: [{url: 'http://[::ffff:127.0.0.1]/hooks', secret_env: S}]\n", "a loopback address"),
    (GOOD + "webhooks: [{url: 'http://localhost:9000/hooks', secret_env: S}]\n", "localhost, a local name"),
    ("queues: {general: {}}\n", "version: Field required"),
])
def test_a_bad_handoff_policy_names_the_file_and_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "handoff.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        load_handoff_policy(path)
    assert str(path) in str(error.value) and message in str(error.value), str(error.value)


def test_private_webhooks_load_when_the_operator_opts_in(tmp_path: Path) -> None:
    path = tmp_path / "handoff.yaml"
    path.write_text(GOOD + "allow_private_webhooks: true\n"
                    "webhooks: [{url: 'http://127.0.0.1:8080/hooks', secret_env: S}]\n")
    assert load_handoff_policy(path).webhooks[0].url == "http://127.0.0.1:8080/hooks"


def test_an_inline_or_retired_escalation_block_a_misspelt_key_and_a_missing_file_stop_start_up(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.yaml"
    demo = (DEMO / "tenant.yaml").read_text()
    tenant.write_text(demo.replace("handoff: handoff.yaml", "handoff: {max_misses: 2, queue: general}"))
    with pytest.raises(ConfigError, match="name the handoff policy file"):
        load_tenant(tenant)
    tenant.write_text(demo.replace("handoff: handoff.yaml", "escalation: {max_misses: 2, queue: general}"))
    with pytest.raises(ConfigError, match="escalation: replaced by `handoff: <file>`"):
        load_tenant(tenant)  # a retired key is not ignored silently
    tenant.write_text(demo.replace("handoff: handoff.yaml", "handof: handoff.yaml"))
    with pytest.raises(ConfigError, match="handof: Extra inputs are not permitted"):
        load_tenant(tenant)
    tenant.write_text(demo.replace("handoff: handoff.yaml", "handoff: gone.yaml").replace(
        "actions: actions.yaml", f"actions: {DEMO / 'actions.yaml'}"))
    with pytest.raises(ConfigError, match="Handoff policy file not found: .*gone.yaml"):
        load_tenant(tenant)
