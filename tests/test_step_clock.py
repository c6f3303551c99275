"""Chainlit's messages and steps are made without a blocking sleep on the event loop."""

from __future__ import annotations

import importlib
import time
from types import ModuleType

import pytest

# Chainlit's own models use pydantic's class-based config, which warns once on import
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")


@pytest.fixture
def chainlit() -> ModuleType:
    """Chainlit, with step_clock installed as the app installs it."""
    importlib.import_module("app.surfaces.step_clock").install()
    return importlib.import_module("chainlit")


def _no_blocking_sleep(seconds: float) -> None:
    raise AssertionError(f"time.sleep({seconds}) would stop the event loop")


@pytest.mark.asyncio
async def test_making_messages_and_steps_never_sleeps_on_the_event_loop(chainlit: ModuleType,
                                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(time, "sleep", _no_blocking_sleep)  # Chainlit calls time.sleep(0.001) otherwise
    importlib.import_module("chainlit.context").init_http_context()
    message = chainlit.Message(content="Your order has shipped.")
    steps = [chainlit.Step(name=f"step {n}") for n in range(50)]
    assert message.content == "Your order has shipped."
    created = [step.created_at for step in steps]
    assert created == sorted(created) and len(set(created)) == len(created)  # still distinct, in order


def test_the_rest_of_the_time_module_is_the_real_one(chainlit: ModuleType):
    assert importlib.import_module("chainlit.message").time.monotonic is time.monotonic
    assert importlib.import_module("chainlit.step").time.time is time.time
