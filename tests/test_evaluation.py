"""`frontline eval` in-process: the demo suite against the real engine in a scratch world, suites
that must fail (a wrong expectation, a forbidden write) with a clear reason and exit 1, LLM
mode against the scripted model, and malformed suites as one `error:` line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import frontline
from tests.support.fake_company_api import TOKEN, FakeCompanyAPI, connector_options
from tests.support.fake_llm import call, reply
from tests.support.server import PROJECT_ROOT, demo_tenant_file

TOKEN_VARIABLE = "FRONTLINE_TEST_COMPANY_TOKEN"
ARTICLES = ("shipping-times-and-costs", "reset-your-password", "download-your-invoices")


def write_suite(folder: Path, cases: Any) -> Path:
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump({"cases": cases}, allow_unicode=True) if not isinstance(cases, str) else cases)
    return path


def small_tenant(folder: Path, monkeypatch: pytest.MonkeyPatch, **changes: object) -> Path:
    """The demo tenant with three articles: its scratch index is built in seconds."""
    tenant = demo_tenant_file(folder, ARTICLES, **changes)
    monkeypatch.setenv("FRONTLINE_TENANTS", str(tenant))
    return tenant


def test_the_demo_suite_passes_and_touches_nothing_real(data_dir, capsys):
    code, out, err = frontline(capsys, "eval", "demo", "--json")
    report = json.loads(out)
    failures = {case["name"]: case["failures"] for mode in report["modes"] for case in mode["cases"]
                if not case["passed"]}
    assert code == 0 and report["passed"], failures or err
    assert report["suite"] == str(PROJECT_ROOT / "demo" / "eval.yaml")
    (grounded,) = report["modes"]  # the demo tenant has no model: grounded mode only
    assert grounded["mode"] == "grounded" and len(grounded["cases"]) >= 12
    kpis = grounded["kpis"]
    assert kpis["cases_passed"]["good"] == kpis["cases_passed"]["of"] == len(grounded["cases"])
    assert kpis["escalation_correctness"]["rate"] == 1.0
    assert kpis["containment"]["good"] == len(grounded["cases"]) - 2  # the person and the compliance case
    assert kpis["intent_accuracy"]["rate"] == 1.0 and kpis["citation_accuracy"]["of"] >= 5
    assert list(data_dir.iterdir()) == [], "the real data folder must stay untouched"


def test_wrong_expectations_and_a_forbidden_write_fail_with_reasons(data_dir, tmp_path, capsys, monkeypatch):
    small_tenant(tmp_path, monkeypatch)
    suite = write_suite(tmp_path, [
        {"name": "right", "turns": [{"say": "How long does shipping take?",
                                     "expect": {"cites": "Shipping times and costs"}}]},
        {"name": "wrong intent and article", "turns": [{"say": "How long does shipping take?",
                                                        "expect": {"intent": "cancellation",
                                                                   "cites": "reset-your-password"}}]},
        {"name": "invoice copy must not write", "customer": "cus_1001", "never": ["write"], "turns": [
            {"say": "Please send me a copy of invoice INV-2026-0079", "expect": {"outcome": "confirm"}},
            {"say": "yes", "expect": {"task": "invoice_copy", "outcome": "done"}}]},
        {"name": "no person expected", "never": ["handoff"], "customer": "cus_1003",
         "turns": [{"say": "I want to talk to a human", "expect": {"handoff": "key_accounts"}}]},
    ])
    code, out, err = frontline(capsys, "eval", "demo", "--suite", str(suite))
    assert code == 1, out + err
    assert "PASS  right\n" in out
    assert "FAIL  wrong intent and article\n        turn 1: intent was question, expected cancellation" in out, out
    assert "turn 1: cited shipping-times-and-costs (Shipping times and costs), expected reset-your-password" in out
    forbidden = "turn 2: wrote send_invoice_copy (done), which this case must never do"
    assert f"FAIL  invoice copy must not write\n        {forbidden}" in out, out
    assert "turn 1: handed off to queue general, which this case must never do" in out
    assert "turn 1: handed off to general, expected queue key_accounts" in out
    assert "cases passed             1/4  25%" in out and "escalation correctness   4/4  100%" in out, out
    assert "intent accuracy          0/1  0%" in out and "citation accuracy        1/2  50%" in out, out
    assert out.rstrip().endswith("Some cases FAILED.")


def test_llm_mode_runs_against_the_tenants_model(data_dir, tmp_path, capsys, monkeypatch, fake_llm):
    model = {"model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0}
    small_tenant(tmp_path, monkeypatch, llm=model)
    suite = write_suite(tmp_path, [
        {"name": "shipping", "never": ["handoff"], "turns": [
            {"say": "How long does shipping take?",
             "expect": {"decision": "answer", "cites": "shipping-times-and-costs"}}]},
    ])
    fake_llm.script.clear()
    fake_llm.queue(call("search_help_center", {"query": "shipping times"}),
                   reply("Standard shipping takes 3 to 5 business days."))
    requests = len(fake_llm.requests)
    code, out, err = frontline(capsys, "eval", "demo", "--suite", str(suite), "--json")
    report = json.loads(out)
    assert code == 0, out + err
    assert [(m["mode"], m["kpis"]["cases_passed"]["good"]) for m in report["modes"]] == [("grounded", 1), ("llm", 1)]
    assert len(fake_llm.requests) - requests == 2  # LLM mode asked the model: search, then the answer

    fake_llm.script.clear()
    fake_llm.queue(reply("Shipping is quick, trust me."))  # no search: nothing to cite
    code, out, err = frontline(capsys, "eval", "demo", "--suite", str(suite), "--json")
    modes = {m["mode"]: m for m in json.loads(out)["modes"]}
    assert code == 1
    assert modes["grounded"]["cases"][0]["passed"]
    assert modes["llm"]["cases"][0]["failures"] == ["turn 1: cited nothing, expected shipping-times-and-costs"]


@pytest.mark.parametrize(("suite", "message"), [
    ([{"name": "refund", "turns": [{"say": "refund", "expect": {"intnet": "refund_request"}}]}],
     "case 'refund' (cases[0]): turns[0].expect.intnet: Extra inputs are not permitted"),
    ([{"name": "ok", "turns": [{"say": "hi"}]}, {"name": "empty", "turns": []}],
     "case 'empty' (cases[1]): turns: List should have at least 1 item"),
    ([{"name": "x", "never": ["delete"], "turns": [{"say": "hi"}]}],
     "case 'x' (cases[0]): never[0]: Input should be 'write' or 'handoff'"),
    ([{"turns": [{"say": "hi"}]}], "cases[0]: name: Field required"),
    ([{"name": "a", "turns": [{"say": "hi"}]}, {"name": "a", "turns": [{"say": "yo"}]}], "two cases are named 'a'"),
    ("cases: [unclosed", "is not readable YAML"),
    ("- just a list", "the suite must be a mapping with a `cases:` list"),
])
def test_a_malformed_suite_is_one_error_line_naming_case_and_field(data_dir, tmp_path, capsys, suite, message):
    path = write_suite(tmp_path, suite)
    code, out, err = frontline(capsys, "eval", "demo", "--suite", str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"error: suite {path} is") and err.count("\n") == 1, err
    assert message in err, err


def test_a_missing_suite_or_tenant_is_one_error_line(data_dir, tmp_path, capsys):
    code, _, err = frontline(capsys, "eval", "demo", "--suite", str(tmp_path / "nope.yaml"))
    assert code == 1 and err == f"error: suite not found: {tmp_path / 'nope.yaml'}\n"
    code, _, err = frontline(capsys, "eval", "acme")
    assert code == 1 and err == "error: no tenant 'acme' (known: demo)\n"


def test_a_company_system_is_read_but_never_written_to(data_dir, tmp_path, capsys, monkeypatch):
    api = FakeCompanyAPI().start()
    try:
        monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
        small_tenant(tmp_path, monkeypatch, connector={
            "type": "rest", "options": connector_options(api.url, TOKEN_VARIABLE, retries=0)})
        suite = write_suite(tmp_path, [{"name": "invoice copy", "customer": "cus_3", "turns": [
            {"say": "Please send me a copy of invoice INV-2026-0417", "expect": {"outcome": "confirm"}},
            {"say": "yes", "expect": {"task": "invoice_copy", "outcome": "done"}}]}])
        code, out, err = frontline(capsys, "eval", "demo", "--suite", str(suite))
        assert code == 0, out + err
        assert api.requests_to("/customers/cus_3/invoices"), "lookups reach the company's system"
        sent = [r for r in api.requests if r.method != "GET"]
        assert sent == [], f"eval must never write to a company's system: {sent}"
    finally:
        api.stop()
