"""Request bodies are read with a cap: an endless chunked upload to the widget session or the
Queue API is answered 413 after about MAX_BODY_BYTES, not buffered whole first."""

from __future__ import annotations

import asyncio
import select
import socket
from urllib.parse import urlparse

import pytest

from app.config.settings import Settings
from app.store import AccountStore, SqliteDatabase

MAX_BODY_BYTES = 16_384  # app.surfaces.web.MAX_BODY_BYTES (not imported: it would load Chainlit here)

CHUNK = b"x" * 65_536
OFFERED = 64 * 1024 * 1024  # what the client is willing to send: 4,000 times the cap


def chunked_upload(url: str, path: str, headers: str = "") -> tuple[int, bytes]:
    """POST a chunked body of up to OFFERED bytes, sending only as fast as the server takes it
    and stopping as soon as it answers; (bytes the server accepted, the start of its answer)."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                      f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n{headers}\r\n")
                     .encode())
        sock.sendall(b'c\r\n{"tenant": "\r\n')  # a JSON string that never ends
        framed = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
        sent = 0
        while sent < OFFERED:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break  # the server has answered
            if not writable:
                pytest.fail("the server neither read the body nor answered for 30 s")
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(CHUNK)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                part = sock.recv(65_536)
                if not part:
                    break
                answer += part
        except ConnectionResetError:
            pass
    return sent, answer


async def api_token(server) -> str:
    """A Queue API token of an agent serving no real company: their calls leave the demo
    tenant's presence (who is online) untouched for the other tests on this server."""
    async with SqliteDatabase.open(Settings(data_dir=server.data_dir).database_path) as db:
        accounts = AccountStore(db)
        await accounts.seed_agent("bodies@brightwave.example", "Body Test", "not-used-here", "agent",
                                  ["no-such-company"])
        return await accounts.issue_token("bodies@brightwave.example")


async def test_an_endless_chunked_body_to_the_widget_session_is_refused_after_about_the_cap(server):
    sent, answer = await asyncio.to_thread(chunked_upload, server.url, "/api/widget/session")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Socket buffers on both sides hold a few MB; the server itself stops at MAX_BODY_BYTES + 1.
    assert sent < 16 * 1024 * 1024, f"the server took {sent} bytes of a body capped at {MAX_BODY_BYTES}"


async def test_an_endless_chunked_body_to_the_queue_api_is_refused_after_about_the_cap(server):
    token = await api_token(server)
    sent, answer = await asyncio.to_thread(chunked_upload, server.url, "/api/v1/conversations/any/notes",
                                           f"Authorization: Bearer {token}\r\n")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16 * 1024 * 1024, f"the server took {sent} bytes of a body capped at {MAX_BODY_BYTES}"
