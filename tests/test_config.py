"""Tenant files: a broken file stops start-up with a message naming the file and the field."""

from __future__ import annotations

import pytest

from app.config.tenants import TenantRegistry, load_tenant
from app.core.errors import ConfigError

VALID = """id: acme
name: Acme
widget:
  secret: "0123456789abcdef0123456789abcdef"
"""


def test_valid_tenant_file_resolves_paths_against_its_folder(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(VALID + "knowledge:\n  paths: [articles]\n")
    tenant = load_tenant(path)
    assert tenant.resolve(tenant.knowledge.paths[0]) == tmp_path / "articles"
    assert tenant.article_url("reset") == "/kb/acme/reset"


@pytest.mark.parametrize(("content", "message"), [
    ("id: [unclosed", "is not readable YAML"),
    ("- just\n- a list\n", "must contain a mapping"),
    (VALID.replace('"0123456789abcdef0123456789abcdef"', "short"),
     "widget.secret: Value error, the widget secret must be at least 32 bytes"),
    (VALID.replace("id: acme", "id: Not Valid!"), "id: Value error, use 2-63 lowercase"),
    (VALID + "default_language: xx\n", "default_language: Value error, supported languages"),
    ("name: Acme\n", "id: Field required"),
])
def test_broken_tenant_files_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "tenant.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_tenant(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_missing_file_and_duplicate_ids(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_tenant(tmp_path / "nope.yaml")
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(VALID)
    two.write_text(VALID)
    with pytest.raises(ConfigError, match="same id 'acme'"):
        TenantRegistry.from_files([one, two])
