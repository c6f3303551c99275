"""The Dockerfile, compose file and HAProxy config name settings and files that exist.

No Docker engine runs here, so the images are not built in tests; what can drift silently
is checked instead: every FRONTLINE_* variable the compose file sets is a real setting, every
path the Dockerfile copies exists, and HAProxy accepts its config.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from app.config.settings import Settings
from tests.support.proxy import haproxy_or_skip
from tests.support.server import PROJECT_ROOT


def _setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(f"FRONTLINE_{name.upper()}")
        alias = field.validation_alias
        for choice in getattr(alias, "choices", ()):
            names.add(str(choice))
    return names


def test_compose_sets_only_real_settings_and_runs_two_replicas_behind_the_proxy():
    compose = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text())
    services = compose["services"]
    replicas = [name for name, service in services.items() if service.get("build") == "."]
    assert replicas == ["frontline-a", "frontline-b"]
    known = _setting_names()
    for name in replicas:
        env = services[name]["environment"]
        unknown = {key for key in env if key.startswith("FRONTLINE_") and key not in known}
        assert not unknown, f"{name} sets variables Frontline does not read: {unknown}"
        assert {"FRONTLINE_DATABASE_URL", "FRONTLINE_REDIS_URL", "FRONTLINE_QDRANT_URL",
                "FRONTLINE_AUTH_SECRET"} <= set(env)
    names = {services[name]["environment"]["FRONTLINE_REPLICA_NAME"] for name in replicas}
    assert len(names) == 2, "each replica needs its own name"
    assert {"postgres", "redis", "qdrant", "proxy"} <= set(services)


def test_dockerfile_copies_paths_that_exist():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE)
    sources = [source for line in copied for source in line.split()]
    assert "app" in sources and "uv.lock" in sources
    missing = [source for source in sources if not (PROJECT_ROOT / source).exists()]
    assert not missing, missing


def test_haproxy_accepts_the_shipped_config():
    binary = haproxy_or_skip()
    config = PROJECT_ROOT / "deploy" / "haproxy.cfg"
    check = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    text = config.read_text()
    assert "cookie FRONTLINE_REPLICA insert" in text and "option redispatch" in text


@pytest.mark.parametrize("path", ["Dockerfile", "compose.yaml", "deploy/haproxy.cfg"])
def test_readme_documents_the_deployment_files(path):
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Beyond one machine", 1)[1].split("\n## ", 1)[0]
    assert path in section, f"README's 'Beyond one machine' should mention {path}"
