"""The yardstick of bench/vs_echo.py: a bare Chainlit app that echoes each message.

No authentication, no data layer, no engine: what Chainlit itself costs per turn on this
machine. Run by vs_echo.py with `chainlit run bench/echo_app.py --headless`.
"""

import chainlit as cl


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content="Hello! I repeat what you say.").send()


@cl.on_message
async def echo(message: cl.Message) -> None:
    await cl.Message(content=message.content).send()
