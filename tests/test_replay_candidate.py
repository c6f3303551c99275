"""`frontline replay --with`: the candidate tenant is the real one with only the named parts
replaced, and a bad override is one clear ConfigError before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config.tenants import load_tenant
from app.core.errors import ConfigError
from app.evaluation.replay_candidate import candidate_tenant, parse_overrides
from tests.support.server import PROJECT_ROOT

DEMO = PROJECT_ROOT / "demo"


def test_only_the_named_parts_change(tmp_path: Path):
    handoff = tmp_path / "handoff.yaml"
    handoff.write_text((DEMO / "handoff.yaml").read_text())
    overrides = parse_overrides([f"handoff={handoff}", f"kb={tmp_path}"])
    tenant, path = candidate_tenant(DEMO / "tenant.yaml", overrides, tmp_path / "scratch")
    original = load_tenant(DEMO / "tenant.yaml")
    assert tenant.resolve(tenant.handoff) == handoff.resolve()
    assert [tenant.resolve(p) for p in tenant.knowledge.paths] == [tmp_path.resolve()]
    assert tenant.resolve(tenant.intents) == original.resolve(original.intents)
    assert tenant.resolve(tenant.actions) == original.resolve(original.actions)
    assert Path(tenant.connector.options["seed"]) == (DEMO / "crm.json").resolve()
    assert tenant.id == original.id and path.parent == tmp_path / "scratch"


@pytest.mark.parametrize(("spec", "says"), [
    ("intents", "use one of"), ("colour=x.yaml", "use one of"), ("intents=/nope.yaml", "does not exist"),
    (f"kb={DEMO / 'intents.yaml'}", "must be a folder"), (f"intents={DEMO}", "must be a file")])
def test_a_bad_override_is_named(spec: str, says: str):
    with pytest.raises(ConfigError, match=says):
        parse_overrides([spec])


def test_an_invalid_candidate_file_is_a_config_error(tmp_path: Path):
    broken = tmp_path / "handoff.yaml"
    broken.write_text("triggers: [unclosed\n")
    with pytest.raises(ConfigError):
        candidate_tenant(DEMO / "tenant.yaml", parse_overrides([f"handoff={broken}"]), tmp_path / "s")
