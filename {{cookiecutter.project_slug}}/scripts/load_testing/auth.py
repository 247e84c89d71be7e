"""How a virtual user logs in, read from the OpenAPI security schemes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .openapi import (
    Expr,
    ScenarioError,
    UnfillableError,
    json_schema,
    needs_auth,
    resolve,
    value_for,
)

REGISTER_SEGMENTS = frozenset({"register", "signup", "sign-up", "sign_up"})


@dataclass(frozen=True)
class Auth:
    """How a virtual user gets credentials for the operations that need them."""

    kind: str  # "none", "oauth2_password", "bearer" or "api_key"
    scheme: str = ""
    token_url: str = ""
    register_path: str = ""
    register_body: Expr | None = None  # uses the variables username and password
    api_key_header: str = ""


def find_auth(
    spec: Mapping[str, Any], operations: list[tuple[str, str, dict[str, Any]]]
) -> Auth:
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    used = {name for _, _, op in operations for name in needs_auth(spec, op)}
    if not used:
        return Auth(kind="none")
    for name in sorted(used):
        scheme = resolve(spec, schemes.get(name, {}))
        kind = scheme.get("type")
        if kind == "oauth2" and "password" in (scheme.get("flows") or {}):
            token_url = str(scheme["flows"]["password"]["tokenUrl"])
            path, body = _registration(spec, operations)
            return Auth(
                kind="oauth2_password",
                scheme=name,
                token_url=token_url,
                register_path=path,
                register_body=body,
            )
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return Auth(kind="bearer", scheme=name)
        if kind == "apiKey" and scheme.get("in") == "header":
            return Auth(kind="api_key", scheme=name, api_key_header=str(scheme["name"]))
    msg = (
        f"cannot log in through the security scheme(s) {', '.join(sorted(used))}: "
        "supported are OAuth2 password flow, HTTP bearer and header API keys; "
        "write the login in a locustfile and pass it with --locustfile"
    )
    raise ScenarioError(msg)


def _registration(
    spec: Mapping[str, Any], operations: list[tuple[str, str, dict[str, Any]]]
) -> tuple[str, Expr | None]:
    """An open POST that creates an account from an identity and a password."""
    for method, path, operation in operations:
        segment = path.rstrip("/").rsplit("/", 1)[-1].lower()
        if (
            method != "POST"
            or needs_auth(spec, operation)
            or segment not in REGISTER_SEGMENTS
        ):
            continue
        schema = resolve(spec, json_schema(spec, operation, "application/json") or {})
        properties: dict[str, Any] = schema.get("properties", {})
        password = next((n for n in properties if "password" in n.lower()), None)
        identity = next(
            (n for n in ("email", "username", "login") if n in properties), None
        )
        if password is None or identity is None:
            continue
        items: list[tuple[str, Expr]] = []
        for name in properties:
            if name == identity:
                items.append((name, Expr("username")))
            elif name == password:
                items.append((name, Expr("password")))
            elif name in schema.get("required", []):
                try:
                    items.append((name, value_for(spec, properties[name], where=name)))
                except UnfillableError:
                    break
        else:
            return path, Expr(items=tuple(items))
    return "", None
