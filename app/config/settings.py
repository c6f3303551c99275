"""Process-wide settings, read from FRONTLINE_* environment variables (or a .env file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from app.config.networks import Network, parse_networks
from app.core.errors import ConfigError
from guardrails.abuse_limits import AbuseLimits

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class AgentAccount(BaseModel):
    """A support agent seeded at start-up; passwords are stored hashed, never in clear."""

    email: str
    name: str
    password: SecretStr
    role: Literal["agent", "lead", "admin"] = "agent"  # leads and admins also see analytics
    tenants: list[str] = Field(default_factory=lambda: ["*"])
    language: str = Field(default="en", pattern=r"^[a-z]{2}$", description="customers' messages are shown in it")


def _default_agents() -> list[AgentAccount]:
    return [
        AgentAccount(
            email="agent@brightwave.example",
            name="Alex Rivera",
            password=SecretStr("frontline-demo"),
        )
    ]


class Settings(BaseSettings):
    """Everything an operator can set. Per-tenant behaviour lives in tenant YAML files."""

    model_config = SettingsConfigDict(
        env_prefix="FRONTLINE_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = PROJECT_ROOT / "var"
    model_dir: Path = Path.home() / ".cache" / "frontline" / "models"
    # A folder of help-center and intent-example vectors kept by content hash, shared by the
    # servers that name it (replicas, fresh data folders, CI): text one of them embedded is not
    # embedded again (knowledge/vector_cache.py). Unset: each data folder keeps its own intent vectors.
    vector_cache: Path | None = None
    # Dense embedding models. The primary model scores questions in its languages (the
    # bundled all-MiniLM-L6-v2: English; or any fastembed model name where a model hub is
    # reachable); the multilingual model scores questions in every other language ("none"
    # turns it off). See docs/knowledge.md for how the pair was chosen.
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    multilingual_model: str = "use-multilingual-v3"
    # Help-center documents are searchable by their words as soon as the server starts, and
    # their dense vectors are computed in the background; true: start serving only once every
    # dense vector is in (start-up takes longer, but the first answers use the full ranking).
    vectors_before_serving: bool = False
    tenants: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [PROJECT_ROOT / "demo" / "tenant.yaml"])
    agents: list[AgentAccount] = Field(default_factory=_default_agents)
    auth_secret: SecretStr | None = None
    # A Qdrant server or cluster instead of the embedded index (QDRANT_URL is accepted too).
    qdrant_url: str | None = Field(
        default=None, validation_alias=AliasChoices("FRONTLINE_QDRANT_URL", "QDRANT_URL"))
    qdrant_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FRONTLINE_QDRANT_API_KEY", "QDRANT_API_KEY"))
    # PostgreSQL as the system of record (postgresql://user:pass@host/db); unset: SQLite in data_dir.
    database_url: SecretStr | None = None
    # Redis for the live relay between replicas, agent presence and shared rate limits;
    # unset: all three live in this process.
    redis_url: SecretStr | None = None
    # A name for this process in logs, metrics and the relay (defaults to host:port).
    replica_name: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    # "text" for people at a terminal, "json" for a log pipeline (tenant and conversation ids, PII redacted).
    log_format: str = Field(default="text", pattern=r"^(text|json)$")
    # Prometheus metrics at GET /metrics (off: 404).
    metrics_enabled: bool = True
    # A bearer token that also admits a scraper to /metrics from any address (else: loopback and
    # FRONTLINE_TRUSTED_PROXIES networks only; see app/surfaces/metrics_api.py).
    metrics_token: SecretStr | None = None
    # OpenTelemetry spans for each turn stage go to this OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT too).
    otlp_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("FRONTLINE_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"))
    max_message_chars: int = Field(default=4000, ge=100, le=100_000)
    public_url: str | None = None
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDR ranges,
    # comma-separated). Without it the socket's peer is the client, whatever the headers say.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    limits: AbuseLimits = Field(default_factory=AbuseLimits)

    @field_validator("tenants", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """FRONTLINE_TENANTS and FRONTLINE_TRUSTED_PROXIES are comma-separated (or a JSON list)."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # a typo must stop start-up, not silently trust nobody
        return value

    @field_validator("otlp_endpoint")
    @classmethod
    def _otlp_url(cls, value: str | None) -> str | None:
        """A collector's http(s) base URL; a typo stops start-up rather than dropping every span."""
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected the collector's OTLP/HTTP URL (http://host:4318), got {value!r}")
        return value or None

    @property
    def trusted_networks(self) -> list[Network]:
        return parse_networks(self.trusted_proxies)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "frontline.sqlite3"

    @property
    def replica(self) -> str:
        return self.replica_name or f"{self.host}:{self.port}"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def own_origins(self) -> list[str]:
        """Origins under which this server's own pages (web UI, /demo) are served."""
        origins = {f"http://{self.host}:{self.port}", f"http://localhost:{self.port}",
                   f"http://127.0.0.1:{self.port}"}
        if self.public_url:
            origins.add(self.public_url.rstrip("/"))
        return sorted(origins)


def load_settings() -> Settings:
    """Settings from the environment, or a ConfigError naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"Invalid settings: {problems}") from None
    except (SettingsError, ValueError) as exc:
        raise ConfigError(f"Invalid settings: {exc}") from None


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind an error's location (an alias, e.g. QDRANT_URL, as is)."""
    name = "__".join(str(part) for part in loc).upper()
    return name if loc and str(loc[0]) not in Settings.model_fields else f"FRONTLINE_{name}"
