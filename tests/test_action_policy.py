"""The action policy file: what it allows, holds for approval or refuses, and how a bad file fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config.tenants import load_tenant
from app.core.errors import ConfigError
from connectors.tools import READ_TOOLS, WRITE_TOOLS, ToolArgumentsError
from guardrails.action_policy import DEFAULT_POLICY, ActionPolicy, Outcome, Usage, load_action_policy, rule_on

DEMO = Path(__file__).resolve().parents[1] / "demo"
POLICY = ActionPolicy.model_validate({"version": "test-1", "actions": {
    "request_refund": {"limits": {"max_amount": 100, "per_customer": {"count": 2, "days": 30}}},
    "cancel_order": {"approval": "always"},
    "send_invoice_copy": {"limits": {"per_customer": {"count": 1, "days": 1}}, "approval": "never"},
    "send_password_reset": {"requires_verified": False, "limits": {"per_conversation": {"count": 1, "days": 1}},
                            "approval": "never"},
    "cancel_subscription": {"enabled": False},
}})


NONE_YET = Usage()


def ruling(action: str, *, verified: bool = True, amount: float | None = None, usage: Usage = NONE_YET):
    found = rule_on(POLICY, action, verified=verified, amount=amount, usage=usage)
    return found.outcome, found.rule


def test_within_limits_is_allowed_and_beyond_goes_to_an_agent() -> None:
    assert ruling("request_refund", amount=100) == (Outcome.ALLOW, "within_limits")
    assert ruling("request_refund", amount=100.01) == (Outcome.APPROVAL, "max_amount")
    assert ruling("request_refund", amount=5, usage=Usage(customer=2)) == (Outcome.APPROVAL, "per_customer")
    assert rule_on(POLICY, "request_refund", verified=True, amount=5, usage=Usage()).policy_version == "test-1"


def test_always_never_disabled_and_unlisted() -> None:
    assert ruling("cancel_order") == (Outcome.APPROVAL, "approval_always")
    assert ruling("send_invoice_copy", usage=Usage(customer=1)) == (Outcome.REFUSE, "per_customer")
    assert ruling("send_password_reset", verified=False) == (Outcome.ALLOW, "within_limits")
    assert ruling("send_password_reset", verified=False, usage=Usage(conversation=1)) == (
        Outcome.REFUSE, "per_conversation")
    assert ruling("cancel_subscription") == (Outcome.REFUSE, "not_enabled")
    assert ruling("change_shipping_address") == (Outcome.REFUSE, "not_enabled")  # not in the file


def test_account_actions_need_a_verified_customer_whatever_else_the_rule_says() -> None:
    assert ruling("request_refund", verified=False, amount=1) == (Outcome.REFUSE, "requires_verified")
    assert ruling("cancel_order", verified=False) == (Outcome.REFUSE, "requires_verified")
    assert rule_on(DEFAULT_POLICY, "cancel_order", verified=False, amount=None, usage=Usage()).outcome is Outcome.REFUSE
    assert rule_on(DEFAULT_POLICY, "send_password_reset", verified=False, amount=None,
                   usage=Usage()).outcome is Outcome.ALLOW


@pytest.mark.parametrize("content, message", [
    ("version: v1\nactions:\n  refund_everyone: {}\n", "unknown action refund_everyone"),
    ("version: v1\nactions:\n  request_refund: {requires_verified: false}\n",
     "request_refund changes a customer's account, so requires_verified must be true"),
    ("actions: {}\n", "version: Field required"),
    ("version: v1\nactions:\n  request_refund: {limits: {max_amount: -5}}\n", "max_amount"),
    ("version: v1\nactions:\n  request_refund: {approval: sometimes}\n", "approval"),
    ("version: v1\nactions:\n  request_refund: {limit: {max_amount: 5}}\n", "limit: Extra inputs are not permitted"),
    ("version: v1\nactions: [\n", "not readable YAML"),
    ("- just\n- a list\n", "must contain a mapping"),
])
def test_a_bad_policy_file_names_the_file_and_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "actions.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        load_action_policy(path)
    assert str(path) in str(error.value) and message in str(error.value), str(error.value)


def test_the_demo_tenant_loads_its_policy_and_a_missing_file_stops_start_up(tmp_path: Path) -> None:
    demo = load_tenant(DEMO / "tenant.yaml")
    assert demo.action_policy.version == "brightwave-2026.11.1"
    assert demo.action_policy.term("request_refund", "hardware_return_days", 0) == 30
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text((DEMO / "tenant.yaml").read_text().replace("actions: actions.yaml", "actions: gone.yaml"))
    with pytest.raises(ConfigError, match="Action policy file not found: .*gone.yaml"):
        load_tenant(tenant)


def test_no_tool_lets_a_caller_name_the_customer() -> None:
    for tool in (*WRITE_TOOLS.values(), *READ_TOOLS.values()):
        schema = tool.schema()["function"]["parameters"]
        assert "customer_id" not in schema.get("properties", {}), tool.name
        assert schema.get("additionalProperties") is False, tool.name
    with pytest.raises(ToolArgumentsError, match="customer_id: Extra inputs are not permitted"):
        WRITE_TOOLS["cancel_order"].parse({"order_id": "BW-1", "customer_id": "cus_1002"})
    with pytest.raises(ToolArgumentsError, match="order_id"):
        WRITE_TOOLS["cancel_order"].parse({"order_id": "../admin"})
    with pytest.raises(ToolArgumentsError, match="exactly one of order_id or invoice_id"):
        WRITE_TOOLS["request_refund"].parse({"order_id": "BW-1", "invoice_id": "INV-1", "amount": 5})
