"""Log redaction for a command that may never log: installed for free, loaded on first use.

The PII patterns (guardrails/pii.py) take a noticeable part of a second to import, which a
quick command such as `frontline kb search` should not pay when it logs nothing. This filter
stands where the redacting filter would: the first record that reaches it loads the real
one, which then redacts that record and every later one, so none leaves unredacted.
"""

from __future__ import annotations

import logging


class DeferredRedaction(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._redacting: logging.Filter | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._redacting is None:
            from guardrails.pii import RedactingFilter

            self._redacting = RedactingFilter()
        return bool(self._redacting.filter(record))


def install_deferred_redaction(logger: logging.Logger | None = None) -> None:
    """Redact every record `logger` (the root logger by default) or its handlers pass on."""
    logger = logger if logger is not None else logging.getLogger()
    for target in (logger, *logger.handlers):
        if not any(isinstance(f, DeferredRedaction) for f in target.filters):
            target.addFilter(DeferredRedaction())
