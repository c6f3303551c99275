"""The candidate side of `frontline replay`: the tenant file rewritten with the `--with` overrides
(intents=, handoff=, actions= files, kb= folder), written into the scratch folder and loaded like
any tenant file, so a bad path or an invalid file is the same clear ConfigError `frontline serve`
would give, before anything is replayed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from app.config.tenants import Tenant, load_tenant
from app.core.errors import ConfigError

KEYS = ("intents", "handoff", "actions", "kb")


def parse_overrides(specs: list[str]) -> dict[str, Path]:
    """`["intents=new.yaml", "kb=articles/"]` as {key: absolute path}; each path must exist."""
    overrides: dict[str, Path] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or key not in KEYS or not value:
            raise ConfigError(f"--with {spec!r}: use one of {', '.join(k + '=PATH' for k in KEYS)}")
        path = Path(value).expanduser().resolve()
        if not path.exists():
            raise ConfigError(f"--with {key}: {value} does not exist")
        if (key == "kb") != path.is_dir():
            raise ConfigError(f"--with {key}: {value} must be a {'folder' if key == 'kb' else 'file'}")
        overrides[key] = path
    if not overrides:
        raise ConfigError("--with: name at least one of " + ", ".join(k + "=PATH" for k in KEYS))
    return overrides


def candidate_tenant(tenant_file: Path, overrides: dict[str, Path], folder: Path) -> tuple[Tenant, Path]:
    """The tenant as it would run with the overrides, and its file in `folder`. Paths the original
    file gives relative to itself are made absolute, since the copy lives elsewhere."""
    raw = yaml.safe_load(tenant_file.read_text()) or {}
    base = tenant_file.resolve().parent
    for key in ("intents", "handoff", "actions"):
        if raw.get(key):
            raw[key] = str((base / raw[key]).resolve())
    options = (raw.get("connector") or {}).get("options") or {}
    for name, value in options.items():  # e.g. the demo CRM's seed file
        if isinstance(value, str) and not Path(value).is_absolute() and (base / value).exists():
            options[name] = str((base / value).resolve())
    knowledge = dict(raw.get("knowledge") or {})
    knowledge["paths"] = [str((base / p).resolve()) for p in knowledge.get("paths", [])]
    for key, path in overrides.items():
        if key == "kb":
            knowledge["paths"] = [str(path)]
        else:
            raw[key] = str(path)
    raw["knowledge"] = knowledge
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "candidate-tenant.yaml"
    target.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return load_tenant(target), target
