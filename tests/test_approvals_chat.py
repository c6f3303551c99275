"""An action held by the policy, approved from the agent console; the customer hears it live.
Two real socket.io sessions against the running server."""

from __future__ import annotations

import re

from tests.test_chat_e2e import agent_console, customer


async def test_agent_approves_a_large_refund_and_the_customer_is_told_in_the_same_chat(server, clients, identity_for):
    agent, _ = await agent_console(server, clients)
    chat = await customer(server, clients, identity=identity_for("cus_1018"))
    confirm = (await chat.reply_to("I'd like a refund for order BW-10222"))["output"]
    assert "$748.00" in confirm and "Shall I go ahead?" in confirm, confirm

    mark_agent = len(agent.messages)
    waiting = (await chat.reply_to("yes"))["output"]
    assert "passed it to our team" in waiting and "a refund of $748.00 for BW-10222" in waiting, waiting

    announced = await agent.wait_for(lambda e: e["output"].startswith("Approval needed"), after=mark_agent)
    assert "refund 748.00 for order BW-10222" in announced["output"]
    assert "above the limit of 150.00" in announced["output"] and "brightwave-2026.11.1" in announced["output"]
    short_id = re.search(r"`([0-9a-f]{8})`", announced["output"]).group(1)
    approve = await agent.wait_for_button("approve", lambda payload: payload["approval"].startswith(short_id))

    mark_chat, mark_agent = len(chat.messages), len(agent.messages)
    await agent.click(approve)
    told = await chat.wait_for(lambda e: "our team approved" in e["output"], after=mark_chat)
    assert told["output"].startswith("Good news: our team approved a refund of $748.00 for BW-10222"), told["output"]
    reference = re.search(r"RF-\d+", told["output"]).group(0)
    confirmed = await agent.wait_for(lambda e: e["output"].startswith(f"Approved `{short_id}`"), after=mark_agent)
    assert f"submitted (reference {reference})" in confirmed["output"] and "customer was told" in confirmed["output"]

    mark_agent = len(agent.messages)
    await agent.send(f"/approve {short_id}")
    again = await agent.wait_for(lambda e: "already approved" in e["output"], after=mark_agent)
    assert "nothing was done twice" in again["output"]
    await agent.send("/approvals")
    listing = await agent.wait_for(lambda e: e["output"].startswith("**Approvals**"), after=mark_agent)
    assert short_id not in listing["output"]
