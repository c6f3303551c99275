"""Feedback over HTTP is owner-checked: a customer rates only messages of their own
conversations; another company's guest, another customer or an unknown id all get 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.chat import ChatClient
from tests.support.server import ServerProcess, demo_tenant_file

ACME = """id: acme
name: Acme
widget:
  secret: "0123456789abcdef0123456789abcdef"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Two companies on one server: the demo tenant and Acme."""
    folder = tmp_path_factory.mktemp("two-tenants")
    (folder / "acme.yaml").write_text(ACME)
    demo = demo_tenant_file(folder, ("reset-your-password",))  # the one article the test asks about
    tenants = f"{demo},{folder / 'acme.yaml'}"
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": tenants}).start()
    yield process
    process.stop()


async def rate(chat: ChatClient, message_id: str, value: int = 1):
    return await chat.http.put("/feedback", json={
        "sessionId": chat.session_id, "feedback": {"forId": message_id, "value": value}})


async def test_only_the_conversations_owner_can_rate_or_unrate_its_messages(server, clients):
    owner = ChatClient(server.url, client_type="copilot")
    acme_guest = ChatClient(server.url, client_type="copilot")
    demo_guest = ChatClient(server.url, client_type="copilot")
    clients.extend([owner, acme_guest, demo_guest])
    await owner.sign_in_customer("demo")
    await owner.connect()
    await owner.wait_for(lambda e: e["type"] == "assistant_message")
    answer = await owner.reply_to("How do I reset my password?")
    await acme_guest.sign_in_customer("acme")
    await demo_guest.sign_in_customer("demo")

    for stranger in (acme_guest, demo_guest):
        refused = await rate(stranger, answer["id"], 0)
        assert refused.status_code == 404, refused.text
    unknown = await rate(acme_guest, "no-such-message")
    assert unknown.status_code == 404 and unknown.json() == refused.json()  # existence not revealed

    rated = await rate(owner, answer["id"], 1)
    assert rated.status_code == 200, rated.text
    feedback_id = rated.json()["feedbackId"]
    for stranger in (acme_guest, demo_guest):
        removal = await stranger.http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
        assert removal.status_code == 404, removal.text

    thread = (await owner.http.get(f"/project/thread/{owner.thread_id}")).json()
    kept = [s for s in thread["steps"] if s["id"] == answer["id"]]
    assert kept[0]["feedback"]["value"] == 1  # the strangers' thumbs down changed nothing
    removed = await owner.http.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    assert removed.status_code == 200, removed.text
    assert "feedback refused" in server.log()
