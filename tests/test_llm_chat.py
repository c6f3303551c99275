"""LLM mode end to end: the real server, a customer over socket.io, litellm against a scripted
OpenAI-compatible server. The answer streams token by token and is stored under the same id."""

from __future__ import annotations

import pytest

from tests.support.chat import ChatClient
from tests.support.fake_llm import call, error, reply
from tests.support.server import ServerProcess, demo_tenant_file


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory, fake_llm):
    folder = tmp_path_factory.mktemp("llm-server")
    model = {"model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0}
    tenant = demo_tenant_file(folder, llm=model)
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(tenant)}).start()
    yield process
    process.stop()


async def test_llm_answer_streams_to_the_customer_and_is_stored(llm_server, fake_llm):
    chat = ChatClient(llm_server.url, client_type="copilot")
    try:
        await chat.sign_in_customer("demo")
        await chat.connect()
        await chat.wait_for(lambda e: e["type"] == "assistant_message")
        fake_llm.script.clear()
        answer = ("You can reset it from the sign-in page with **Forgot password?**. "
                  "Source: [Reset your password](/kb/demo/reset-your-password)")
        fake_llm.queue(call("search_help_center", {"query": "reset password"}), reply(answer))
        final = await chat.reply_to("How long must a new password be?")
        assert final["output"] == answer
        tokens = chat.streamed[final["id"]]
        assert len(tokens) > 5 and "".join(tokens) == answer  # it arrived word by word
        thread = (await chat.http.get(f"/project/thread/{chat.thread_id}")).json()
        stored = [s for s in thread["steps"] if s["id"] == final["id"]]
        assert stored and stored[0]["output"] == answer  # feedback on it will find it

        # the provider fails: the customer still gets a real grounded answer
        fake_llm.queue(error(500))
        grounded = await chat.reply_to("How do I reset my password?")
        assert "Source: [Reset your password" in grounded["output"]
    finally:
        await chat.close()
