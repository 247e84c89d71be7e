"""Read an OpenAPI 3 document and turn schemas into Python source for valid values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_DEPTH = 8
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class SpecError(Exception):
    """The OpenAPI document could not be read or used."""


class ScenarioError(Exception):
    """The OpenAPI document and the options leave nothing sensible to run."""


def load_spec(source: str, *, timeout_s: float) -> dict[str, Any]:
    """The document at a URL or path; it must be OpenAPI 3.x JSON."""
    if source.startswith(("http://", "https://")):
        # Imported here: the load path imports Locust (which patches sockets with
        # gevent) first, and urllib must be imported after that.
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(source, timeout=timeout_s) as response:  # noqa: S310 - the scheme is checked above
                raw: bytes = response.read()
        except urllib.error.HTTPError as exc:
            msg = f"cannot read the OpenAPI document at {source}: HTTP {exc.code}"
            raise SpecError(msg) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            msg = f"cannot reach {source}: {reason}"
            raise SpecError(msg) from exc
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            msg = f"cannot read the OpenAPI document {source}: {exc.strerror}"
            raise SpecError(msg) from exc
    try:
        spec = json.loads(raw)
    except ValueError as exc:
        msg = f"{source} is not JSON: {exc}"
        raise SpecError(msg) from exc
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3."):
        msg = f"{source} is not an OpenAPI 3 document (no 'openapi: 3.x' field)"
        raise SpecError(msg)
    return spec


# Where FastAPI apps put the schema when not at the root (openapi_url=...).
OPENAPI_PATHS = (
    "/openapi.json",
    "/api/v1/openapi.json",
    "/api/openapi.json",
    "/v1/openapi.json",
)
DOCS_PATHS = ("/docs", "/api/v1/docs", "/api/docs")


def discover_spec(host: str, *, timeout_s: float) -> tuple[dict[str, Any], str]:
    """The document of a service that was given no --openapi: the usual places,
    then the schema URL its Swagger UI page names."""
    import urllib.error
    import urllib.request

    base = host.rstrip("/")
    tried: list[str] = []
    for path in OPENAPI_PATHS:
        source = base + path
        tried.append(path)
        try:
            return load_spec(source, timeout_s=timeout_s), source
        except SpecError as exc:
            if not str(exc).endswith("HTTP 404"):
                raise
    for path in DOCS_PATHS:
        tried.append(path)
        try:
            with urllib.request.urlopen(base + path, timeout=timeout_s) as response:  # noqa: S310 - base is an http(s) URL checked by the CLI
                page = response.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError):
            continue
        found = re.search(r"""url:\s*['"]([^'"]+\.json)['"]""", page)
        if found:
            url = found.group(1)
            source = url if url.startswith("http") else base + "/" + url.lstrip("/")
            return load_spec(source, timeout_s=timeout_s), source
    msg = (
        f"no OpenAPI document at {base} (tried {', '.join(tried)}): pass --openapi "
        "with its URL or a file (`python -m <package> openapi --output FILE` writes "
        "a generated service's)"
    )
    raise SpecError(msg)


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` pointers until a real node is reached."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/") or ref in seen:
            msg = f"cannot follow $ref {ref!r}: only local, non-circular references"
            raise SpecError(msg)
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@dataclass(frozen=True)
class Expr:
    """Python source for a value; dicts and lists keep their parts for layout."""

    source: str = ""
    items: tuple[tuple[str, Expr], ...] | None = None  # a dict literal
    elements: tuple[Expr, ...] | None = None  # a list literal

    def inline(self) -> str:
        if self.items is not None:
            return (
                "{"
                + ", ".join(f"{py_str(k)}: {v.inline()}" for k, v in self.items)
                + "}"
            )
        if self.elements is not None:
            return "[" + ", ".join(e.inline() for e in self.elements) + "]"
        return self.source

    def render(self, indent: int, used: int, width: int = 88) -> str:
        """Inline if it fits, else exploded with trailing commas (formatter-stable).

        ``indent`` is the indentation of the line the value starts on, ``used`` the
        columns already taken on it.
        """
        flat = self.inline()
        # +1: the comma that follows a value in an argument list or a literal.
        if used + len(flat) + 1 <= width or (
            self.items is None and self.elements is None
        ):
            return flat
        inner = indent + 4
        if self.items is not None:
            lines = []
            for key, value in self.items:
                head = f"{' ' * inner}{py_str(key)}: "
                lines.append(head + value.render(inner, len(head), width) + ",")
            return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"
        assert self.elements is not None  # noqa: S101 - narrowed by the checks above
        lines = [
            " " * inner + e.render(inner, inner, width) + "," for e in self.elements
        ]
        return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"


def py_str(value: str) -> str:
    """A double-quoted Python string literal, as the formatter writes it."""
    return json.dumps(value, ensure_ascii=False)


def literal(value: Any) -> Expr | None:
    """A JSON value as Python source; None for values that have no literal."""
    if value is None or isinstance(value, bool):
        return Expr(repr(value))
    if isinstance(value, int | float):
        return Expr(repr(value))
    if isinstance(value, str):
        return Expr(py_str(value))
    if isinstance(value, list):
        parts = [literal(item) for item in value]
        if any(part is None for part in parts):
            return None
        return Expr(elements=tuple(p for p in parts if p is not None))
    if isinstance(value, dict):
        items = [(str(key), literal(item)) for key, item in value.items()]
        if any(part is None for _, part in items):
            return None
        return Expr(items=tuple((k, v) for k, v in items if v is not None))
    return None


class UnfillableError(Exception):
    """No valid value can be made up for a schema (e.g. a bare ``pattern``)."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")


def _non_null(options: list[Any], spec: Mapping[str, Any]) -> Any:
    for option in options:
        option = resolve(spec, option)
        if option.get("type") != "null":
            return option
    return {"type": "null"}


def value_for(
    spec: Mapping[str, Any],
    schema: Any,
    *,
    where: str,
    all_properties: bool = False,
    depth: int = 0,
) -> Expr:
    """Python source for a value the schema accepts.

    Examples, defaults, constants and enums are used as given; other strings are
    made unique per call (``text()``), so creating many objects never collides on
    a uniqueness constraint. Objects get their required properties, or their first
    property when none is required (a PATCH body that changes nothing measures
    nothing).
    """
    if depth > MAX_DEPTH:
        raise UnfillableError(where, "the schema nests too deeply")
    schema = resolve(spec, schema) or {}
    for key in ("const", "example", "default"):
        if key in schema and (value := literal(schema[key])) is not None:
            return value
    for key in ("examples", "enum"):
        candidates = [item for item in schema.get(key) or [] if item is not None]
        if candidates and (value := literal(candidates[0])) is not None:
            return value
    if schema.get("anyOf") or schema.get("oneOf"):
        chosen = _non_null(schema.get("anyOf") or schema.get("oneOf"), spec)
        merged = {
            **{k: v for k, v in schema.items() if k not in {"anyOf", "oneOf"}},
            **chosen,
        }
        return value_for(
            spec, merged, where=where, all_properties=all_properties, depth=depth + 1
        )
    if schema.get("allOf"):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = resolve(spec, part)
            merged["properties"] = {
                **merged.get("properties", {}),
                **part.get("properties", {}),
            }
            merged["required"] = [
                *merged.get("required", []),
                *part.get("required", []),
            ]
            merged.setdefault("type", part.get("type", "object"))
        return value_for(spec, merged, where=where, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "string":
        return _string(schema, where)
    if kind in {"integer", "number"}:
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return Expr("True")
    if kind == "null":
        return Expr("None")
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        item = value_for(
            spec, schema.get("items", {}), where=f"{where}[]", depth=depth + 1
        )
        return Expr(elements=(item,) * count)
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        names = [name for name in properties if name in set(schema.get("required", []))]
        if all_properties:
            names = list(properties)
        elif not names and properties:
            names = [next(iter(properties))]
        return Expr(
            items=tuple(
                (
                    name,
                    value_for(
                        spec, properties[name], where=f"{where}.{name}", depth=depth + 1
                    ),
                )
                for name in names
            )
        )
    raise UnfillableError(where, f"no value can be made for a schema of type {kind!r}")


def _string(schema: Mapping[str, Any], where: str) -> Expr:
    fmt = schema.get("format")
    min_length = int(schema.get("minLength", 1))
    max_length = int(schema.get("maxLength", 64))
    if fmt == "email":
        return Expr('f"load-{uuid.uuid4().hex}@example.com"')
    if fmt == "uuid":
        return Expr("str(uuid.uuid4())")
    if fmt == "date-time":
        return Expr("datetime.now(UTC).isoformat()")
    if fmt == "date":
        return Expr("datetime.now(UTC).date().isoformat()")
    if fmt in {"uri", "url"}:
        return Expr(py_str("https://example.com/"))
    if "pattern" in schema:
        raise UnfillableError(
            where, f"a string matching {schema['pattern']!r} (add an example)"
        )
    if max_length < min_length:
        raise UnfillableError(where, "maxLength is below minLength")
    prefix = where.rsplit(".", 1)[-1].strip("[]") or "text"
    return Expr(f"text({py_str(prefix)}, {min_length}, {max_length})")


def _number(schema: Mapping[str, Any], *, integer: bool) -> Expr:
    low = schema.get("minimum")
    if low is None and "exclusiveMinimum" in schema:
        exclusive = schema["exclusiveMinimum"]
        if not isinstance(exclusive, bool):
            low = exclusive + (1 if integer else 0.5)
    high = schema.get("maximum")
    value = low if low is not None else 1
    if high is not None:
        value = min(value, high)
    return Expr(repr(int(value) if integer else float(value)))


def operations(spec: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) for every operation in the document."""
    found = []
    for path, item in (spec.get("paths") or {}).items():
        item = resolve(spec, item)
        for method in HTTP_METHODS:
            if method in item:
                operation = dict(resolve(spec, item[method]))
                # Path-level parameters apply to every operation below them.
                operation["parameters"] = [
                    *item.get("parameters", []),
                    *operation.get("parameters", []),
                ]
                found.append((method.upper(), path, operation))
    return found


def needs_auth(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> list[str]:
    """The security schemes an operation requires (its own, else the global ones)."""
    requirements = operation.get("security", spec.get("security", []))
    return [name for requirement in requirements for name in requirement]


def json_schema(
    spec: Mapping[str, Any], operation: Mapping[str, Any], kind: str
) -> Any:
    """The request body schema for a media type, or None if it takes none."""
    body = resolve(spec, operation.get("requestBody") or {})
    media = (body.get("content") or {}).get(kind)
    return None if media is None else media.get("schema", {})
