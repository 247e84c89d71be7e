"""Errors as RFC 9457 problem details (`application/problem+json`), never a traceback."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .observability import request_id_var
{%- if cookiecutter.tracing %}
from .tracing import trace_context
{%- endif %}

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    """An error the client can act on; rendered as a problem document."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(
        self, detail: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class BadRequestError(ProblemError):
    status = HTTPStatus.BAD_REQUEST


class UnauthorizedError(ProblemError):
    status = HTTPStatus.UNAUTHORIZED

    def __init__(self, detail: str, *, challenge: str = "Bearer") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class ForbiddenError(ProblemError):
    status = HTTPStatus.FORBIDDEN


class NotFoundError(ProblemError):
    status = HTTPStatus.NOT_FOUND


class ConflictError(ProblemError):
    status = HTTPStatus.CONFLICT


class PreconditionFailedError(ProblemError):
    status = HTTPStatus.PRECONDITION_FAILED


class UnprocessableError(ProblemError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
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
