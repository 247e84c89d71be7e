"""Request context: an id per request, security headers, the access log, a last-resort 500."""

import asyncio
import logging
import re
import time
import uuid
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .exceptions import problem_response
from .observability import request_id_var

REQUEST_ID_HEADER = "x-request-id"
# A caller-supplied id is kept only if it cannot inject anything into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

# On every response, errors and 404s included: an API response is never cached,
# sniffed into another type, framed, or leaked through a Referer.
SECURITY_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)
# Production only: browsers remember it for a year, so never on plain-HTTP dev.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

logger = logging.getLogger(__name__)
access_logger = logging.getLogger(f"{__name__}.access")


class RequestContextMiddleware:
    """Tag each request with an id (kept from `X-Request-ID` if safe) and log it.

    Unhandled errors are turned into a problem document here, inside the request
    context, so even a 500 carries its request id and never a traceback.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + ((HSTS,) if hsts else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status: int | None = None  # set once the response has started

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            logger.exception("unhandled error")
            if status is not None:
                raise
            response = problem_response(
                Request(scope), HTTPStatus.INTERNAL_SERVER_ERROR
            )
            await response(scope, receive, send_with_request_id)
        finally:
            access_logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status or HTTPStatus.INTERNAL_SERVER_ERROR,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodyLimitsMiddleware:
    """Refuse a request body larger than `max_bytes` (413), before it is buffered,
    or still arriving `timeout` seconds after the route began to read it (408).

    A declared Content-Length is refused before a byte is read; a body sent in
    chunks is cut off as soon as it passes the limit; a client that trickles its
    body cannot hold a connection and a worker's memory for longer than the timeout.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            response = problem_response(
                Request(scope), HTTPStatus.REQUEST_ENTITY_TOO_LARGE, self._detail()
            )
            await response(scope, receive, send)
            return
        received = 0
        deadline: float | None = None
        complete = False

        async def receive_within_limits() -> Message:
            nonlocal received, deadline, complete
            if complete:
                # Only a disconnect can come now: wait for it as long as it takes.
                return await receive()
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                # Raised where the route reads its body: rendered as a problem.
                detail = f"The request body did not arrive within {self.timeout:g} s."
                raise HTTPException(HTTPStatus.REQUEST_TIMEOUT, detail) from None
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, self._detail())
            complete = not message.get("more_body", False)
            return message

        await self.app(scope, receive_within_limits, send)

    def _detail(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER.encode():
            candidate: str = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None
