"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1.

It stands in for an LLM provider so that litellm itself runs in tests. Each request pops the
next scripted step: a text answer (streamed as SSE when asked), tool calls, an HTTP error, a
delay longer than the client's timeout, or a malformed tool call. Every request body is kept
for assertions, and when each request arrived and was fully answered (`served`), so that a
benchmark can tell the time spent in the "model" from the time spent around it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "arguments": str}
    status: int = 200
    delay: float = 0.0
    chunk_delay: float = 0.0  # seconds between streamed chunks: a model generating at its pace
    prompt_tokens: int = 120
    completion_tokens: int = 30


@dataclass(frozen=True)
class Served:
    """One request as the server saw it, on the `time.perf_counter()` clock of this process."""

    started: float  # the request line and headers had been read
    finished: float  # the last byte of the response had been written

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def reply(text: str, **kw: Any) -> Step:
    return Step(text=text, **kw)


def call(name: str, arguments: dict[str, Any] | str, **kw: Any) -> Step:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Step(tool_calls=[{"name": name, "arguments": args}], **kw)


def error(status: int = 500) -> Step:
    return Step(status=status)


def slow(seconds: float, text: str = "too late") -> Step:
    return Step(text=text, delay=seconds)


class FakeLLM:
    def __init__(self) -> None:
        self.script: deque[Step] = deque()
        self.requests: list[dict[str, Any]] = []
        self.served: list[Served] = []
        self._lock = threading.Lock()
        handler = self._handler()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def queue(self, *steps: Step) -> None:
        with self._lock:
            self.script.extend(steps)

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            return self.script.popleft() if self.script else Step(text="(no scripted reply)")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                started = time.perf_counter()
                try:
                    self._answer()
                finally:
                    with fake._lock:
                        fake.served.append(Served(started, time.perf_counter()))

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                step = fake._next(body)
                if step.delay:
                    time.sleep(step.delay)
                if step.status != 200:
                    payload = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}})
                    self._send(step.status, "application/json", payload.encode())
                    return
                if body.get("stream"):
                    self._stream(body, step)
                else:
                    self._send(200, "application/json", json.dumps(_completion(body, step)).encode())

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], step: Step) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for index, chunk in enumerate(_chunks(body, step)):
                    if index and step.chunk_delay:
                        time.sleep(step.chunk_delay)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def _tool_calls(step: Step) -> list[dict[str, Any]]:
    return [{"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}} for c in step.tool_calls]


def _usage(step: Step) -> dict[str, int]:
    return {"prompt_tokens": step.prompt_tokens, "completion_tokens": step.completion_tokens,
            "total_tokens": step.prompt_tokens + step.completion_tokens}


def _completion(body: dict[str, Any], step: Step) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": step.text or None}
    if step.tool_calls:
        message["tool_calls"] = _tool_calls(step)
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:10]}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if step.tool_calls else "stop"}],
            "usage": _usage(step)}


def _chunks(body: dict[str, Any], step: Step) -> list[dict[str, Any]]:
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:10]}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": body.get("model", "fake")}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}]}]
    if step.tool_calls:
        for index, tool_call in enumerate(_tool_calls(step)):
            arguments = tool_call["function"]["arguments"]
            half = len(arguments) // 2  # arguments arrive in pieces, as real providers send them
            chunks.append({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [{
                "index": index, "id": tool_call["id"], "type": "function",
                "function": {"name": tool_call["function"]["name"], "arguments": arguments[:half]}}]}}]})
            chunks.append({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [{
                "index": index, "function": {"arguments": arguments[half:]}}]}}]})
    else:
        words = step.text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            chunks.append({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {},
                                        "finish_reason": "tool_calls" if step.tool_calls else "stop"}]})
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage(step)})
    return chunks
