"""FRONTLINE_LOG_FORMAT=json: one JSON object per log line, for a log pipeline.

Each line has `time` (the record's UTC time, ISO 8601 with milliseconds), `level`, `logger`,
`message`, `replica` (FRONTLINE_REPLICA_NAME or host:port), the `tenant` and
`conversation_id` of the turn being handled when the line was logged
(app/core/log_context.py), the turn's `trace_id` when OpenTelemetry records it, and
`exception` for an error's traceback. The message and the traceback pass through the PII
redaction every log line gets (guardrails/pii.py), so no customer's email, phone, card
or address reaches the pipeline, whichever handler wrote the line.

The default text format is unchanged.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from app.core import log_context
from guardrails.pii import install_log_redaction, redact


class JsonFormatter(logging.Formatter):
    def __init__(self, replica: str) -> None:
        super().__init__()
        self.replica = replica

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template and the args' repr
            message = f"{record.msg!s} {record.args!r}"
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "message": redact(message),
            "replica": self.replica, **log_context.current()}
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def use_json_logs(replica: str, root: logging.Logger | None = None) -> None:
    """Every handler of the root logger writes JSON lines from now on, and so does the web
    server's own logging (uvicorn configures it later, from the dictionary changed here)."""
    root = root if root is not None else logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter(replica))
    install_log_redaction(root)
    try:
        from uvicorn.config import LOGGING_CONFIG
    except ImportError:  # pragma: no cover - uvicorn comes with Chainlit
        return
    for name in LOGGING_CONFIG.get("formatters", {}):
        LOGGING_CONFIG["formatters"][name] = {"()": f"{__name__}.JsonFormatter", "replica": replica}
