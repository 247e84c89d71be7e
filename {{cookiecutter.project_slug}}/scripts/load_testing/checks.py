"""Response checks: a sample of answers against the OpenAPI response schema.

A fast wrong answer is not a fast answer. Every Nth successful JSON answer of
an endpoint is checked against the schema its OpenAPI document declares for
that status code. The validator covers what FastAPI's schemas use (type,
properties, required, items, enum, const, anyOf/oneOf/allOf, $ref, nullable,
additionalProperties: false, string length, numeric bounds); keywords it does
not know are not checked, so it never reports what it cannot judge.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .openapi import HTTP_METHODS, resolve

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
MAX_DEPTH = 32


def response_schemas(spec: Mapping[str, Any]) -> dict[str, Any]:
    """{"GET /path": {"200": schema}, ...} plus the components the schemas use."""
    operations: dict[str, dict[str, Any]] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = (item or {}).get(method)
            if not isinstance(operation, Mapping):
                continue
            # Every declared status; None where no JSON body is declared (a 204).
            by_status: dict[str, Any] = {}
            for status, response in (operation.get("responses") or {}).items():
                response = resolve(spec, response)
                content = (response.get("content") or {}).get("application/json")
                by_status[str(status)] = (content or {}).get("schema")
            if by_status:
                operations[f"{method.upper()} {path}"] = by_status
    return {
        "operations": operations,
        "components": (spec.get("components") or {}).get("schemas") or {},
    }


def _is(value: Any, kind: str) -> bool:
    if kind in {"integer", "number"} and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, TYPES.get(kind, (object,)))


class Validator:
    def __init__(self, components: Mapping[str, Any]) -> None:
        self.components = components

    def resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, Mapping) and "$ref" in schema and seen < MAX_DEPTH:
            name = str(schema["$ref"]).rsplit("/", 1)[-1]
            schema = self.components.get(name, {})
            seen += 1
        return schema

    def mismatch(
        self, schema: Any, value: Any, where: str = "$", depth: int = 0
    ) -> str:
        """Where and how `value` breaks `schema`; "" when it conforms."""
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
            return ""
        if value is None and schema.get("nullable"):
            return ""
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [
                    self.mismatch(s, value, where, depth + 1) for s in schema[key]
                ]
                if all(options):
                    return options[0]
        for part in schema.get("allOf") or []:
            if problem := self.mismatch(part, value, where, depth + 1):
                return problem
        if "const" in schema and value != schema["const"]:
            return f"{where}: expected {schema['const']!r}, got {_short(value)}"
        if "enum" in schema and value not in schema["enum"]:
            return f"{where}: {_short(value)} is not one of {schema['enum']!r}"
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind else []
        if kinds and not any(_is(value, k) for k in kinds):
            return f"{where}: expected {'/'.join(kinds)}, got {_short(value)}"
        if isinstance(value, dict):
            return self._object(schema, value, where, depth)
        if isinstance(value, list):
            items = schema.get("items")
            for index, item in enumerate(value):
                if problem := self.mismatch(
                    items, item, f"{where}[{index}]", depth + 1
                ):
                    return problem
            return ""
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                return f"{where}: shorter than {schema['minLength']} characters"
            if len(value) > schema.get("maxLength", math.inf):
                return f"{where}: longer than {schema['maxLength']} characters"
        elif _is(value, "number"):
            if value < schema.get("minimum", -math.inf):
                return f"{where}: {value} is below the minimum {schema['minimum']}"
            if value > schema.get("maximum", math.inf):
                return f"{where}: {value} is above the maximum {schema['maximum']}"
        return ""

    def _object(
        self, schema: Mapping[str, Any], value: dict[str, Any], where: str, depth: int
    ) -> str:
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                return f"{where}: missing required property {name!r}"
        for name, item in value.items():
            if name in properties:
                problem = self.mismatch(
                    properties[name], item, f"{where}.{name}", depth + 1
                )
                if problem:
                    return problem
            elif schema.get("additionalProperties") is False:
                return f"{where}: unexpected property {name!r}"
        return ""


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


class ResponseChecker:
    """Checks every `every`-th successful answer of each endpoint."""

    def __init__(self, schemas: Mapping[str, Any], every: int) -> None:
        self.operations: Mapping[str, Mapping[str, Any]] = schemas["operations"]
        self.validator = Validator(schemas["components"])
        self.every = every
        self.seen: dict[str, int] = {}
        # endpoint -> [checked, failed, first problem]
        self.results: dict[str, list[Any]] = {}

    def check(self, endpoint: str, response: Any) -> None:
        declared = self.operations.get(endpoint)
        if not declared:
            return
        count = self.seen.get(endpoint, 0)
        self.seen[endpoint] = count + 1
        if count % self.every:
            return
        status = str(getattr(response, "status_code", ""))
        key = next(
            (k for k in (status, f"{status[:1]}XX", "default") if k in declared), None
        )
        schema = declared.get(key) if key else None
        if key is None:
            problem = f"status {status} is not declared for this operation"
        elif schema is None:
            problem = ""  # declared without a JSON body: nothing to compare
        else:
            try:
                body = json.loads(getattr(response, "text", "") or "null")
            except ValueError:
                body = None
                problem = "the body is not JSON"
            else:
                problem = self.validator.mismatch(schema, body)
        result = self.results.setdefault(endpoint, [0, 0, ""])
        result[0] += 1
        if problem:
            result[1] += 1
            result[2] = result[2] or problem

    def to_json(self) -> dict[str, Any]:
        return {
            endpoint: {"checked": checked, "failed": failed, "first_problem": first}
            for endpoint, (checked, failed, first) in sorted(self.results.items())
        }


def merge_checks(
    into: dict[str, dict[str, Any]], other: Mapping[str, Mapping[str, Any]]
) -> None:
    for endpoint, result in other.items():
        mine = into.setdefault(
            endpoint, {"checked": 0, "failed": 0, "first_problem": ""}
        )
        mine["checked"] += result["checked"]
        mine["failed"] += result["failed"]
        mine["first_problem"] = mine["first_problem"] or result["first_problem"]
