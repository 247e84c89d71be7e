"""Structured JSON logs with a request id on every line."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
{%- if cookiecutter.tracing %}

from .tracing import trace_context
{%- endif %}

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

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
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
{%- if cookiecutter.tracing %}
        entry.update(trace_context())
{%- endif %}
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _NOT_EXTRA
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


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
