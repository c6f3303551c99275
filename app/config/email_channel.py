"""The tenant's email channel (`email:` in the tenant file, docs/channels.md "Email").

Off unless the section is present with `enabled: true`. Mail comes in through a local SMTP
listener (`listen`), by polling a company mailbox over IMAP (`imap`), or both; replies go out
through the company's SMTP relay (`outgoing`). A sender is a guest unless `verified_senders`
maps the address to a customer id, the tenant's own statement that it has verified it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ListenConfig(BaseModel):
    """Where the SMTP listener accepts inbound mail (the company's MX forwards to it)."""

    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)


class ImapConfig(BaseModel):
    """A company mailbox polled for unseen mail; a fetched mail is marked seen once stored."""

    model_config = ConfigDict(extra="forbid")
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    ssl: bool = True
    user: str
    password: SecretStr
    mailbox: str = "INBOX"
    every_seconds: float = Field(default=60, gt=0, le=3600, description="time between polls")


class OutgoingConfig(BaseModel):
    """The SMTP relay replies are sent through."""

    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    user: str | None = None
    password: SecretStr | None = None
    attempts: int = Field(default=3, ge=1, le=20, description="tries per sweep before waiting for the next")
    retry_seconds: float = Field(default=60, gt=0, le=86400, description="time between resend sweeps")


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    address: str = Field(pattern=_ADDRESS, description="the support address replies come from")
    display_name: str | None = Field(default=None, description="shown with the address; default: the tenant's name")
    listen: ListenConfig | None = None
    imap: ImapConfig | None = None
    outgoing: OutgoingConfig = Field(default_factory=OutgoingConfig)
    verified_senders: dict[str, str] = Field(
        default_factory=dict, description="address -> customer id, for addresses the company has verified")
    sign_in_url: str | None = Field(
        default=None, description="the company's sign-in page; a guest asking for account data gets a signed link")
    max_bytes: int = Field(default=10_000_000, ge=10_000, description="larger mail is refused (with a polite reply)")
    per_sender_per_hour: int = Field(default=20, ge=1, description="more mail from one address waits unanswered")

    @field_validator("verified_senders")
    @classmethod
    def _lower_case(cls, value: dict[str, str]) -> dict[str, str]:
        return {address.strip().lower(): customer for address, customer in value.items()}

    @property
    def domain(self) -> str:
        """The domain our Message-IDs are made in."""
        return self.address.rsplit("@", 1)[1].lower()
