"""The REST connector's configuration: a tenant's `connector.options` for `type: rest`.

The operations a company API may serve and the placeholders each path may use, the record
kinds and their fields, the pydantic option models, `${VAR}` expansion from the environment,
and `load_config()`, which validates everything when the connector is opened so that a broken
tenant file stops start-up with a `ConfigError` naming the option. Options are described in
docs/connectors.md.
"""

from __future__ import annotations

import math
import os
import re
import string
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.errors import ConfigError, ConnectorError

OPTIONS = "connector.options"
# operation -> (record kind, the placeholders its path may use, list / one / write)
OPERATIONS: dict[str, tuple[str, frozenset[str], str]] = {
    "customer": ("customer", frozenset({"customer_id"}), "one"),
    "orders": ("order", frozenset({"customer_id"}), "list"),
    "order": ("order", frozenset({"customer_id", "order_id"}), "one"),
    "invoices": ("invoice", frozenset({"customer_id"}), "list"),
    "subscriptions": ("subscription", frozenset({"customer_id"}), "list"),
    "cancel_order": ("receipt", frozenset({"customer_id", "order_id"}), "write"),
    "change_shipping_address": ("receipt", frozenset({"customer_id", "order_id"}), "write"),
    "send_invoice_copy": ("receipt", frozenset({"customer_id", "invoice_id"}), "write"),
    "request_refund": ("receipt", frozenset({"customer_id"}), "write"),
    "cancel_subscription": ("receipt", frozenset({"customer_id", "subscription_id"}), "write"),
    "send_password_reset": ("receipt", frozenset(), "write"),
    "create_ticket": ("receipt", frozenset(), "write"),
}
# record kind -> field -> (type, required); optional fields become None when absent
KINDS: dict[str, dict[str, tuple[str, bool]]] = {
    "customer": {"id": ("str", True), "name": ("str", True), "email": ("str", True), "plan": ("str", True),
                 "annual_contract_value": ("float", True), "renewal_date": ("str", False),
                 "sla_tier": ("str", True), "language": ("str", False)},
    "order": {"id": ("str", True), "customer_id": ("str", False), "status": ("str", True),
              "placed_at": ("str", True), "total": ("float", True), "currency": ("str", True),
              "carrier": ("str", False), "tracking_number": ("str", False),
              "estimated_delivery": ("str", False), "delivered_at": ("str", False),
              "items": ("items", False), "shipping_address": ("str", False)},
    "order_item": {"sku": ("str", True), "name": ("str", True), "quantity": ("int", True),
                   "unit_price": ("float", True)},
    "invoice": {"id": ("str", True), "customer_id": ("str", False), "amount": ("float", True),
                "currency": ("str", True), "status": ("str", True), "issued_at": ("str", True),
                "due_at": ("str", False), "description": ("str", False)},
    "subscription": {"id": ("str", True), "customer_id": ("str", False), "plan": ("str", True),
                     "status": ("str", True), "billing_period": ("str", True), "started_at": ("str", False),
                     "renews_at": ("str", False)},
    "receipt": {"reference": ("str", True), "status": ("str", True), "reason": ("str", False),
                "replayed": ("bool", False)},
}
RECEIPT_STATUSES = ("done", "submitted", "rejected")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class AuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    header: str = "Authorization"
    value: str


class BreakerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    failures: int = Field(default=5, ge=1, le=1000)
    reset_seconds: float = Field(default=30.0, gt=0, le=3600)


class EndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    items: str | None = None  # list reads: dotted path to the list in the response body
    record: str | None = None  # other operations: dotted path to the object in the response body

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class RestConfig(BaseModel):
    """A tenant's `connector.options` for `type: rest`."""

    model_config = ConfigDict(extra="forbid")
    base_url: str
    auth: AuthConfig | None = None
    timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_seconds: float = Field(default=0.2, ge=0, le=30)
    max_retry_after_seconds: float = Field(default=5.0, ge=0, le=120)
    max_response_bytes: int = Field(default=2_000_000, ge=1024, le=100_000_000)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    endpoints: dict[str, EndpointConfig]
    fields: dict[str, dict[str, str]] = Field(default_factory=dict)
    defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)


def load_config(options: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> RestConfig:
    """Validate `connector.options` and expand `${VAR}` in base_url and auth.value.
    Every problem is a ConfigError naming the option."""
    try:
        config = RestConfig.model_validate(dict(options))
    except ValidationError as exc:
        problems = [f"{'.'.join([OPTIONS, *map(str, e['loc'])])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("; ".join(problems)) from None
    base_url = _expand(config.base_url, "base_url", environ).rstrip("/")
    try:
        url = httpx.URL(base_url) if "://" in base_url else None
    except (httpx.InvalidURL, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise ConfigError(f"{OPTIONS}.base_url: expected an http(s) URL without query, like https://api.example.com/v1")
    config.base_url = base_url
    if config.auth is not None:
        if not _HEADER_NAME.match(config.auth.header):
            raise ConfigError(f"{OPTIONS}.auth.header: {config.auth.header!r} is not a valid header name")
        config.auth.value = _expand(config.auth.value, "auth.value", environ)
        if not config.auth.value or any(c in config.auth.value for c in "\r\n\0"):
            raise ConfigError(f"{OPTIONS}.auth.value: empty, or contains a line break")
    if not config.endpoints:
        raise ConfigError(f"{OPTIONS}.endpoints: configure at least one operation ({', '.join(OPERATIONS)})")
    for name, endpoint in config.endpoints.items():
        _check_endpoint(name, endpoint)
    for option, table in (("fields", config.fields), ("defaults", config.defaults)):
        for kind, names in table.items():
            if kind not in KINDS:
                raise ConfigError(f"{OPTIONS}.{option}.{kind}: unknown record kind (known: {', '.join(KINDS)})")
            for field, value in names.items():
                if field not in KINDS[kind]:
                    raise ConfigError(f"{OPTIONS}.{option}.{kind}.{field}: unknown field "
                                      f"(known: {', '.join(KINDS[kind])})")
                if option == "defaults":
                    _check_default(f"{OPTIONS}.defaults.{kind}.{field}", KINDS[kind][field][0], value)
    return config


def _check_default(where: str, typ: str, value: Any) -> None:
    if typ == "items":
        raise ConfigError(f"{where}: order items have no default")
    try:
        convert(value, typ, where)
    except ConnectorError as exc:
        raise ConfigError(str(exc).replace(f"{where} of", f"{where}: a value of")) from None


def _expand(text: str, option: str, environ: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if not environ.get(match.group(1)):
            raise ConfigError(f"{OPTIONS}.{option}: environment variable {match.group(1)} is not set (or empty)")
        return environ[match.group(1)]
    return _ENV.sub(value, text)


def _check_endpoint(name: str, endpoint: EndpointConfig) -> None:
    where = f"{OPTIONS}.endpoints.{name}"
    if name not in OPERATIONS:
        raise ConfigError(f"{where}: unknown operation (known: {', '.join(OPERATIONS)})")
    _, allowed, shape = OPERATIONS[name]
    if not endpoint.path.startswith("/") or "#" in endpoint.path:
        raise ConfigError(f"{where}.path: must start with '/' (it is appended to base_url) and have no '#'")
    try:
        parsed = list(string.Formatter().parse(endpoint.path))
    except ValueError as exc:
        raise ConfigError(f"{where}.path: {exc} (write a literal brace as {{{{ or }}}})") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in allowed:
            raise ConfigError(f"{where}: unknown placeholder {{{field}}} "
                              f"(this operation may use: {', '.join(sorted(allowed)) or 'none'})")
        if spec or conversion:
            raise ConfigError(f"{where}: placeholder {{{field}}} takes no format or conversion")
    if shape == "write" and endpoint.method == "GET":
        raise ConfigError(f"{where}.method: a write sends a JSON body, so it cannot be GET")
    if shape == "list" and endpoint.record is not None:
        raise ConfigError(f"{where}.record: a list operation names its list with `items`")
    if shape != "list" and endpoint.items is not None:
        raise ConfigError(f"{where}.items: only list operations (orders, invoices, subscriptions) have items")


def convert(value: Any, typ: str, where: str) -> Any:
    """A JSON value as the field's type: ids may be numbers, amounts may be decimal strings."""
    if isinstance(value, bool):
        if typ == "bool":
            return value
    elif typ == "str" and isinstance(value, str | int):
        return str(value)
    elif typ in ("float", "int") and isinstance(value, int | float | str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if typ == "float" and math.isfinite(number):
            return number
        if typ == "int" and math.isfinite(number) and number.is_integer():
            return int(number)
    expected = {"str": "text", "float": "a number", "int": "a whole number", "bool": "true or false"}[typ]
    raise ConnectorError(f"{where} of type {type(value).__name__}, expected {expected}")
