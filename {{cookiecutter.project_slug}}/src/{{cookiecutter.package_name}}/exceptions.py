"""Errors as RFC 9457 problem details (`application/problem+json`), never a traceback."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from .observability import request_id_var, security_event
{%- if cookiecutter.tracing %}
from .tracing import trace_context
{%- endif %}

PROBLEM_MEDIA_TYPE = "application/problem+json"
FORM_MEDIA_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data"}
)


class ProblemError(Exception):
    """An error the client can act on; rendered as a problem document.

    A subclass with a `security_event` is also logged as that security event,
    with the `subject` (who, when known) the raiser gives.
    """

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    security_event: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        subject: object = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.subject = subject


class BadRequestError(ProblemError):
    status = HTTPStatus.BAD_REQUEST


class UnauthorizedError(ProblemError):
    status = HTTPStatus.UNAUTHORIZED
    security_event = "authentication.refused"

    def __init__(
        self, detail: str, *, challenge: str = "Bearer", subject: object = None
    ) -> None:
        super().__init__(
            detail, headers={"WWW-Authenticate": challenge}, subject=subject
        )


class ForbiddenError(ProblemError):
    status = HTTPStatus.FORBIDDEN
    security_event = "authorization.denied"


class NotFoundError(ProblemError):
    status = HTTPStatus.NOT_FOUND


class ConflictError(ProblemError):
    status = HTTPStatus.CONFLICT


class PreconditionFailedError(ProblemError):
    status = HTTPStatus.PRECONDITION_FAILED


class UnprocessableError(ProblemError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY


class TooManyRequestsError(ProblemError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    security_event = "rate_limit.exceeded"

    def __init__(self, detail: str, *, retry_after: int, subject: object) -> None:
        super().__init__(
            detail, headers={"Retry-After": str(retry_after)}, subject=subject
        )
{%- if cookiecutter.auth == "oidc" %}


class ServiceUnavailableError(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
{%- endif %}


def problem_response(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "instance": request.url.path,
        "request_id": request_id_var.get(),
    }
{%- if cookiecutter.tracing %}
    body.update(trace_context())
{%- endif %}
    if detail:
        body["detail"] = detail
    body.update(extra or {})
    return JSONResponse(
        body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def register_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def handle_problem(request: Request, exc: ProblemError) -> JSONResponse:
        if exc.security_event:
            security_event(
                exc.security_event,
                outcome="failure",
                subject=exc.subject,
                reason=exc.detail,
                method=request.method,
                path=request.url.path,
            )
        return problem_response(request, exc.status, exc.detail, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(
        request: Request, exc: StarletteHTTPException
    ) -> JSONResponse:
        return problem_response(
            request, exc.status_code, str(exc.detail), headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def handle_validation(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        if unsupported := unsupported_media_type(request):
            return problem_response(
                request, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, unsupported
            )
        errors = [
            {key: error[key] for key in ("loc", "msg", "type") if key in error}
            for error in exc.errors()
        ]
        return problem_response(
            request,
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "The request does not match the schema.",
            extra={"errors": jsonable_encoder(errors)},
        )


def unsupported_media_type(request: Request) -> str | None:
    """Why the body's declared media type is not what the operation reads, if it is not.

    A body sent as text/plain or XML to a JSON operation is refused as such (415),
    not reported as missing fields (422).
    """
    route = request.scope.get("route")
    declared = request.headers.get("content-type")
    if not isinstance(route, APIRoute) or route.body_field is None or not declared:
        return None
    media_type = declared.split(";", 1)[0].strip().lower()
    if isinstance(route.body_field.field_info, params.Form):
        if media_type in FORM_MEDIA_TYPES:
            return None
        expected = "application/x-www-form-urlencoded"
    else:
        if media_type == "application/json" or media_type.endswith("+json"):
            return None
        expected = "application/json"
    return f"This operation reads {expected}, not {media_type}."
