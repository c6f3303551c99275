"""A tenant's messaging channel: where the bridge to WhatsApp, Telegram or any chat app is, how
both sides sign, and which senders the company has verified (docs/channels.md)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")


class MessagingConfig(BaseModel):
    """The `messaging:` section of a tenant file; absent or `enabled: false`, the channel's
    webhook answers 404 for the tenant and nothing is ever sent to a bridge."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    bridge_url: str = Field(pattern=r"^https?://", max_length=2000,
                            description="where replies are POSTed (the bridge's endpoint)")
    secret_env: str = Field(description="the environment variable holding the shared HMAC secret; "
                                        "the secret itself never sits in a file")
    customers: dict[str, str] = Field(
        default_factory=dict,
        description="sender ids the company has verified (e.g. a phone number it checked) -> customer id")
    sign_in_url: str | None = Field(
        default=None, pattern=r"^https?://", max_length=2000,
        description="the company's page that signs a customer in and links their chat (docs/channels.md)")
    max_attempts: int = Field(default=10, ge=1, le=100, description="deliveries tried before giving up")
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("name an environment variable (capital letters, digits, '_')")
        return value

    @field_validator("customers")
    @classmethod
    def _ids(cls, value: dict[str, str]) -> dict[str, str]:
        for sender, customer in value.items():
            if not sender.strip() or not customer.strip() or len(sender) > 200 or len(customer) > 200:
                raise ValueError("sender and customer ids must be 1-200 characters")
        return value
