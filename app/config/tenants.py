"""Tenant configuration: one YAML file per company, validated at start-up.

A tenant owns its help center, intents, connector, widget origins and signing secret.
Relative paths in a tenant file are resolved against the file's own folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

from app.config.email_channel import EmailConfig
from app.config.handoff_policy import DEFAULT_HANDOFF_POLICY, HandoffPolicy, load_handoff_policy
from app.config.messaging import MessagingConfig
from app.config.outreach import OutreachConfig
from app.core.config_file import load_config_file
from app.core.errors import ConfigError
from app.core.language_data import languages
from app.core.versions import file_version, folders_version
from app.llm.client import LLMConfig
from guardrails.action_policy import DEFAULT_POLICY, ActionPolicy, load_action_policy

_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


class WidgetConfig(BaseModel):
    secret: SecretStr = Field(description="HS256 secret the company's site signs identity tokens with")
    allowed_origins: list[str] = Field(default_factory=list)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$",
                              description="the widget's main colour (#rrggbb); default: Chainlit's")

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("the widget secret must be at least 32 bytes (HS256 key length)")
        return value


class KnowledgeConfig(BaseModel):
    paths: list[Path] = Field(default_factory=list)
    base_url: str | None = Field(
        default=None, description="Public help-center URL; articles link to BASE/<slug>"
    )
    # Below this similarity a passage is not quoted; unset, each model's measured floor applies.
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)


class FollowUpConfig(BaseModel):
    """Asking whether an automated resolution solved the problem (docs/analytics.md, resolution_rate).

    Off unless the tenant file turns it on (`ask_on_next_visit: true`: the customer's next chat
    within `within_days`, default 7, opens with the question); the in-chat ask after a silence
    needs `after_minutes`."""

    model_config = ConfigDict(extra="forbid")

    ask_on_next_visit: bool = False
    within_days: float = Field(default=7, gt=0, le=365,
                               description="how old a resolution may be and still be asked about")
    after_minutes: float | None = Field(
        default=None, gt=0, le=24 * 60,
        description="ask in the still-open chat after this many minutes without a message; unset: never")


class ConnectorConfig(BaseModel):
    type: str
    options: dict[str, Any] = Field(default_factory=dict)


class Tenant(BaseModel):
    """One company. `llm` unset: the assistant answers in grounded mode (no model)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt or retired key must not be ignored silently

    id: str
    name: str
    default_language: str = "en"
    widget: WidgetConfig
    knowledge: KnowledgeConfig = Field(default_factory=KnowledgeConfig)
    intents: Path | None = None
    connector: ConnectorConfig | None = None
    actions: Path | None = Field(default=None, description="the action policy file (limits, approvals)")
    handoff: Path | None = Field(default=None, description="the handoff policy file (triggers, queues, SLAs)")
    llm: LLMConfig | None = None
    follow_up: FollowUpConfig = Field(default_factory=FollowUpConfig)
    messaging: MessagingConfig | None = None  # the signed-webhook messaging channel (docs/channels.md)
    email: EmailConfig | None = None  # the email channel (app/config/email_channel.py)
    outreach: OutreachConfig = Field(default_factory=OutreachConfig)
    root: Path = Field(default=Path("."), exclude=True)
    _policy: ActionPolicy = PrivateAttr(default=DEFAULT_POLICY)
    _handoff: HandoffPolicy = PrivateAttr(default=DEFAULT_HANDOFF_POLICY)

    @property
    def action_policy(self) -> ActionPolicy:
        """The tenant's action policy (the built-in default when it names no file)."""
        return self._policy

    @property
    def handoff_policy(self) -> HandoffPolicy:
        """When to bring in a person, which queue, and by when (built-in default without a file)."""
        return self._handoff

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "escalation" in data:
            raise ValueError("escalation: replaced by `handoff: <file>`, a handoff policy (see docs/handoff.md)")
        return data

    @field_validator("handoff", mode="before")
    @classmethod
    def _a_file(cls, value: Any) -> Any:
        if isinstance(value, dict):
            raise ValueError("name the handoff policy file (e.g. handoff: handoff.yaml); see docs/handoff.md")
        return value

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _TENANT_ID.match(value):
            raise ValueError("use 2-63 lowercase letters, digits, '-' or '_'")
        return value

    @field_validator("default_language")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in languages():
            raise ValueError(f"supported languages are {', '.join(languages())}")
        return value

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self.root / path).resolve()

    def article_url(self, doc_id: str) -> str:
        """Where a citation of `doc_id` links; an operator's id such as `doc_(general)_1` is
        percent-encoded, so the link survives Markdown and the browser alike."""
        path = quote(doc_id, safe="/-._~")
        if self.knowledge.base_url:
            return f"{self.knowledge.base_url.rstrip('/')}/{path}"
        return f"/kb/{self.id}/{path}"


def load_tenant(path: Path) -> Tenant:
    """Read and validate one tenant file; any problem becomes a ConfigError naming the file."""
    tenant = load_config_file(path, Tenant, "Tenant file", root=path.resolve().parent)
    if tenant.actions is not None:
        tenant._policy = load_action_policy(tenant.resolve(tenant.actions))
    if tenant.handoff is not None:
        tenant._handoff = load_handoff_policy(tenant.resolve(tenant.handoff))
    return tenant


def tenant_versions(tenant: Tenant, prompt: Path | None = None) -> dict[str, str]:
    """The content version of each file the tenant's turns are decided by (app/core/versions.py);
    a policy without a file is its built-in default, named by its declared version."""
    versions = {
        "actions": file_version(tenant.resolve(tenant.actions)) if tenant.actions else tenant.action_policy.version,
        "handoff": file_version(tenant.resolve(tenant.handoff)) if tenant.handoff else tenant.handoff_policy.version,
        "knowledge": folders_version(tenant.resolve(folder) for folder in tenant.knowledge.paths),
    }
    if tenant.intents is not None:
        versions["intents"] = file_version(tenant.resolve(tenant.intents))
    if prompt is not None:
        versions["prompt"] = file_version(prompt)
    return versions


class TenantRegistry:
    """All configured tenants, looked up by id."""

    def __init__(self, tenants: list[Tenant]) -> None:
        self._by_id: dict[str, Tenant] = {}
        for tenant in tenants:
            if tenant.id in self._by_id:
                raise ConfigError(f"Two tenant files declare the same id {tenant.id!r}")
            self._by_id[tenant.id] = tenant

    @classmethod
    def from_files(cls, paths: list[Path]) -> TenantRegistry:
        if not paths:
            raise ConfigError("No tenant files configured (FRONTLINE_TENANTS)")
        return cls([load_tenant(Path(p)) for p in paths])

    def get(self, tenant_id: str) -> Tenant | None:
        return self._by_id.get(tenant_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)
