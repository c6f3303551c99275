"""Reading an operator's YAML file into a validated model, with errors that name the file.

Tenant files, intent files and action policies all fail the same way: missing, not YAML,
not a mapping, or a field that does not validate. The operator reads one sentence that
names the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def validation_problems(exc: ValidationError, top: str = "file") -> str:
    """'field.sub: message; …' for every error pydantic found."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or top}: {e['msg']}" for e in exc.errors())


def load_config_file(path: Path, model: type[M], what: str, **extra: Any) -> M:
    """The file at `path` validated as `model` (`extra` fields added, e.g. where it lives);
    `what` names the kind of file in errors ("Tenant file", "Action policy file")."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{what} {path} is not readable YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{what} {path} must contain a mapping at the top level")
    try:
        return model.model_validate({**raw, **extra})
    except ValidationError as exc:
        raise ConfigError(f"{what} {path} is invalid: {validation_problems(exc)}") from None
