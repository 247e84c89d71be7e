"""Structured JSON logs with a request id on every line, secrets redacted.

Security events (refused credentials, denied permissions, logins...) go to
the `{{ cookiecutter.package_name }}.security` logger, one line each: route that
logger to your SIEM.
"""

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
{%- if cookiecutter.tracing %}

from .tracing import trace_context
{%- endif %}

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

security_logger = logging.getLogger("{{ cookiecutter.package_name }}.security")

REDACTED = "[redacted]"
# Fields whose value is a credential whatever it looks like.
_CREDENTIAL_FIELDS = re.compile(
    r"authorization|cookie|password|passwd|secret|token|api[-_]?key|hash", re.IGNORECASE
)
# Values that are secrets or personal data wherever they appear: bearer
# credentials, JWTs, API keys, IBANs; card numbers are checked with Luhn first.
_CREDENTIAL_VALUES = re.compile(
    r"(?i:bearer)\s+[\w.~+/-]{16,}=*"
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*"
    r"|\bsk_[\w-]{16,}"
    r"|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
)
_CARD_NUMBER = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")

# Standard LogRecord fields, and uvicorn's terminal-only duplicate of the message.
_NOT_EXTRA = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra=` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": _redact(record.getMessage()),
            "request_id": request_id_var.get(),
        }
{%- if cookiecutter.tracing %}
        entry.update(trace_context())
{%- endif %}
        # What callers pass is redacted; the fields above are this module's own.
        entry.update(
            (key, REDACTED if _CREDENTIAL_FIELDS.search(key) else _redact(value))
            for key, value in vars(record).items()
            if key not in _NOT_EXTRA
        )
        if record.exc_info:
            entry["exception"] = _redact(self.formatException(record.exc_info))
        # json.dumps escapes line breaks: one entry per line whatever the input.
        return json.dumps(entry, default=str)


def _redact(value: object) -> object:
    if not isinstance(value, str):
        return value
    return _CARD_NUMBER.sub(_card, _CREDENTIAL_VALUES.sub(REDACTED, value))


def _card(match: re.Match[str]) -> str:
    """Redact a run of digits that passes the Luhn check a card number passes."""
    digits = [int(char) for char in match[0] if char.isdigit()]
    total = sum(
        digit if index % 2 == 0 else (digit * 2 - 9 if digit > 4 else digit * 2)
        for index, digit in enumerate(reversed(digits))
    )
    return REDACTED if total % 10 == 0 else match[0]


def security_event(
    event: str, *, outcome: str, subject: object = None, **details: object
) -> None:
    """Log one security event: what happened, how it ended, and who (when known)."""
    security_logger.info(
        event,
        extra={
            "event": event,
            "outcome": outcome,
            "subject": None if subject is None else str(subject),
            **details,
        },
    )


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our middleware writes the access log, with the request id.
    logging.getLogger("uvicorn.access").disabled = True
