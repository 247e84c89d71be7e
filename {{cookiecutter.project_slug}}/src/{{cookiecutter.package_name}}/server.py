"""uvicorn's HTTP protocol (httptools), with the limits it does not set itself.

uvicorn reads a request's head (request line and headers) for as long and as
large as the client sends it: a 100 MB header is buffered whole, and a client
that opens a connection, or sends its headers a byte at a time, holds it
forever. This protocol answers 431 once the head passes MAX_REQUEST_HEADER_BYTES
(having buffered at most one read more) and 408 when it is not complete within
REQUEST_HEAD_TIMEOUT_SECONDS, then closes the connection. Slow bodies are timed
out in the app (middleware.py); idle keep-alive connections by uvicorn itself.
"""

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import get_settings
from .middleware import SECURITY_HEADERS

# Answered before the app sees the request, so with the app's security headers.
_HEADERS = b"".join(name + b": " + value + b"\r\n" for name, value in SECURITY_HEADERS)


def refusal(status: HTTPStatus, detail: str) -> bytes:
    """A complete HTTP/1.1 response: a problem document, then the connection closes."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": status.phrase,
            "status": status.value,
            "detail": detail,
        }
    ).encode()
    return (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode()
        + _HEADERS
        + b"content-type: application/problem+json\r\nconnection: close\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a size limit and a deadline on each request's head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_head_bytes = settings.max_request_header_bytes
        self.head_timeout = settings.request_head_timeout_seconds
        self.reading_head = True
        self.head_bytes = 0
        self.head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that sends nothing at all is timed out too.
        self._start_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if (
            self.reading_head
            and self.head_bytes > self.max_head_bytes
            and not self.transport.is_closing()
        ):
            self._refuse(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request line and headers are larger than "
                f"{self.max_head_bytes} bytes.",
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_deadline()

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self._cancel_head_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # Whatever comes next on this connection is the next request's head.
        self.reading_head = True
        self.head_bytes = 0

    def _start_head_deadline(self) -> None:
        if self.head_deadline is None:
            self.head_deadline = self.loop.call_later(
                self.head_timeout, self._head_timed_out
            )

    def _cancel_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_timed_out(self) -> None:
        self.head_deadline = None
        if self.reading_head and not self.transport.is_closing():
            if self.head_bytes == 0:
                # Nothing was asked: nothing to answer.
                self.transport.close()
                return
            self._refuse(
                HTTPStatus.REQUEST_TIMEOUT,
                f"The request line and headers did not arrive within "
                f"{self.head_timeout:g} seconds.",
            )

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        self._cancel_head_deadline()
        self.transport.write(refusal(status, detail))
        self.transport.close()
