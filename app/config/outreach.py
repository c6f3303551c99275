"""A tenant's `outreach` block: how declared incidents reach customers (docs/channels.md,
"Proactive outreach"). Every key is optional; without the block a declared incident still
tells the customers who reported it in the last day, and offers updates to those who write
about it while it is open."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OutreachConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    look_back_hours: float = Field(
        default=24, gt=0, le=24 * 30,
        description="a conversation whose customer wrote about the topic this recently is told at declaration")
    offer_updates: bool = Field(
        default=True, description="customers who write about an open incident are offered to be told the fix")
