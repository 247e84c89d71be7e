"""Build the load scenario from the service's own OpenAPI document.

Operations are named by method and path template (``GET /api/v1/items/{item_id}``)
so every id shares one line in the statistics. Path parameters are filled with
ids of objects the virtual user created itself (found through the POST on the
parent collection), so reads hit real rows. Writes are left out unless asked for.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .auth import Auth, find_auth
from .checks import response_schemas
from .openapi import (
    Expr,
    ScenarioError,
    SpecError,
    UnfillableError,
    json_schema,
    operations,
    resolve,
    value_for,
)

__all__ = ["Auth", "Operation", "Resource", "Scenario", "ScenarioError", "Selection"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reads dominate most services' traffic; tune with --weight or x-load-weight.
DEFAULT_WEIGHTS = {"GET": 4, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 1}
WEIGHT_EXTENSION = "x-load-weight"
# Probes, metrics and docs are not traffic a service is sized for.
INFRASTRUCTURE_SEGMENTS = frozenset(
    {"health", "healthz", "livez", "readyz", "metrics", "docs", "redoc", "openapi.json"}
)


# Operations on the caller's own identity or credentials: sent by a load test,
# they delete or lock out the accounts the virtual users run as.
IDENTITY_SEGMENTS = frozenset({"me", "self", "current", "account", "profile"})
CREDENTIAL_WORDS = ("password", "credential", "secret")
# Path parameters the virtual user's own login name fills.
OWN_LOGIN_PARAMS = frozenset({"email", "username", "user_email", "login"})


def _bare(text: str) -> str:
    """A key or pattern without its trailing slash: FastAPI's `/items/` is `/items`."""
    return text[:-1] if text.endswith("/") and not text.endswith(" /") else text


def matches(key: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(key, pattern) or fnmatch.fnmatchcase(
        _bare(key), _bare(pattern)
    )


def same_path(a: str, b: str) -> bool:
    return _bare(a) == _bare(b)


def closest(wanted: str, known: Sequence[str], count: int = 3) -> str:
    """The nearest names, to say what a pattern that matches nothing meant."""
    found = difflib.get_close_matches(wanted, known, n=count, cutoff=0.0)
    return ", ".join(found) if found else "none"


def endangers_identity(method: str, path: str) -> bool:
    """DELETE /users/me, PATCH /users/me/password and the like."""
    segments = [part for part in path.lower().strip("/").split("/") if part]
    if method == "DELETE" and segments and segments[-1] in IDENTITY_SEGMENTS:
        return True
    return method in WRITE_METHODS and any(
        word in segment for segment in segments for word in CREDENTIAL_WORDS
    )


@dataclass(frozen=True)
class Resource:
    """Objects a virtual user creates so that reads and updates hit real rows."""

    var: str  # attribute holding the rows, e.g. "items"
    singular: str  # e.g. "item", for create_item()
    collection: str  # path template of the POST that creates one
    param: str  # path parameter the new id fills, e.g. "item_id"
    id_field: str  # field of the POST response holding the id
    body: Expr
    parent: Resource | None = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    weight: int
    task_name: str
    summary: str = ""
    resource: Resource | None = None  # whose rows fill the path parameters
    fixed_path_params: tuple[tuple[str, Expr], ...] = ()
    query: tuple[tuple[str, Expr], ...] = ()
    headers: tuple[tuple[str, Expr], ...] = ()
    json_body: Expr | None = None
    form_body: Expr | None = None
    creates: Resource | None = None  # a measured POST on a tracked collection

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Scenario:
    title: str
    source: str
    auth: Auth
    operations: list[Operation]
    resources: list[Resource]
    left_out: list[tuple[str, str]] = field(default_factory=list)
    # What the answers must look like (checks.response_schemas).
    response_schemas: dict[str, Any] = field(default_factory=dict)

    @property
    def mix(self) -> dict[str, int]:
        return {operation.key: operation.weight for operation in self.operations}


@dataclass(frozen=True)
class Selection:
    include_writes: bool = False
    only: Sequence[str] = ()
    exclude: Sequence[str] = ()
    weights: Mapping[str, int] = field(default_factory=dict)


def _created_id_field(
    spec: Mapping[str, Any], operation: Mapping[str, Any], param: str
) -> str:
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        content = (resolve(spec, response).get("content") or {}).get("application/json")
        schema = resolve(spec, (content or {}).get("schema", {}))
        properties = schema.get("properties", {})
        for candidate in ("id", param):
            if candidate in properties:
                return candidate
        for name, prop in properties.items():
            if resolve(spec, prop).get("format") == "uuid":
                return str(name)
    return ""


def _identifier(text: str) -> str:
    name = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return name if name and not name[0].isdigit() else f"op_{name}"


def _singular(plural: str) -> str:
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    if plural.endswith(("ses", "xes")):
        return plural[:-2]
    if plural.endswith("s") and not plural.endswith("ss"):
        return plural[:-1]
    return f"{plural}_row"


def _is_id_param(name: str, schema: Mapping[str, Any]) -> bool:
    return (
        name.lower() == "id"
        or name.lower().endswith("_id")
        or schema.get("format") == "uuid"
    )


class _Builder:
    def __init__(
        self, spec: Mapping[str, Any], source: str, selection: Selection
    ) -> None:
        self.auth = Auth(kind="none")
        self.spec = spec
        self.source = source
        self.selection = selection
        self.all_operations = operations(spec)
        self.resources: dict[tuple[str, str], Resource] = {}
        self.left_out: list[tuple[str, str]] = []

    def build(self) -> Scenario:
        auth = find_auth(self.spec, self.all_operations)
        self.auth = auth
        plumbing = self._auth_plumbing(auth)
        known = {f"{m} {p}" for m, p, _ in self.all_operations}
        for wanted in sorted(self.selection.weights):
            if not any(same_path(wanted, key) for key in known):
                msg = (
                    f"--weight {wanted!r} names no operation "
                    f"(closest: {closest(wanted, sorted(known))})"
                )
                raise ScenarioError(msg)
        for pattern in self.selection.only:
            if not any(matches(key, pattern) for key in known):
                msg = (
                    f"--only {pattern!r} matches no operation "
                    f"(closest: {closest(pattern, sorted(known))})"
                )
                raise ScenarioError(msg)
        candidates = []
        for method, path, operation in self.all_operations:
            reason = self._why_left_out(method, path, operation, plumbing)
            if reason:
                self.left_out.append((f"{method} {path}", reason))
            else:
                candidates.append((method, path, operation))
        prefix = _common_prefix([path for _, path, _ in candidates])
        operations: list[Operation] = []
        for method, path, operation in candidates:
            try:
                built = self._operation(method, path, operation, prefix)
            except UnfillableError as exc:
                self.left_out.append((f"{method} {path}", f"cannot fill {exc}"))
                continue
            if built.weight > 0:
                operations.append(built)
            else:
                self.left_out.append((built.key, "weight 0"))
        if not operations:
            reasons = Counter(why for _, why in self.left_out)
            details = "; ".join(
                f"{count} {why}" for why, count in reasons.most_common()
            )
            msg = (
                f"no operation left to load ({details or 'the document has no paths'})"
            )
            raise ScenarioError(msg)
        used = {op.resource.var for op in operations if op.resource} | {
            op.creates.var for op in operations if op.creates
        }
        resources = [
            r
            for r in self.resources.values()
            if r.var in used or self._is_parent(r, used)
        ]
        info = self.spec.get("info") or {}
        return Scenario(
            title=str(info.get("title") or "the service"),
            source=self.source,
            auth=auth,
            operations=operations,
            resources=sorted(resources, key=lambda r: r.collection.count("/")),
            left_out=self.left_out,
            response_schemas=response_schemas(self.spec),
        )

    def _is_parent(self, resource: Resource, used: set[str]) -> bool:
        return any(
            other.var in used and _ancestor(other, resource)
            for other in self.resources.values()
        )

    def _auth_plumbing(self, auth: Auth) -> tuple[str, ...]:
        if not auth.token_url:
            return ()
        # Login, refresh and logout live beside the token URL; they set up load,
        # they are not the load.
        parent = auth.token_url.rstrip("/").rsplit("/", 1)[0] + "/"
        return (auth.token_url, auth.register_path, parent + "*")

    def _why_left_out(
        self,
        method: str,
        path: str,
        operation: Mapping[str, Any],
        plumbing: tuple[str, ...],
    ) -> str:
        key = f"{method} {path}"
        if endangers_identity(method, path) and not any(
            same_path(key, pattern) for pattern in self.selection.only
        ):
            # Never by a wildcard or --include-writes: only when named exactly.
            return (
                "acts on the caller's own account or credentials "
                f"(send it only by naming it: --only '{key}')"
            )
        if self.selection.only:
            if not any(matches(key, p) for p in self.selection.only):
                return "not selected by --only"
        elif set(path.strip("/").split("/")) & INFRASTRUCTURE_SEGMENTS:
            return "infrastructure endpoint (select it with --only)"
        elif any(p and fnmatch.fnmatchcase(path, p) for p in plumbing):
            return "login plumbing (select it with --only)"
        if any(matches(key, p) for p in self.selection.exclude):
            return "excluded by --exclude"
        if method in WRITE_METHODS and not self.selection.include_writes:
            return "a write (add --include-writes)"
        if operation.get("deprecated"):
            return "deprecated"
        return ""

    def _weight(self, method: str, path: str, operation: Mapping[str, Any]) -> int:
        key = f"{method} {path}"
        for wanted, weight in self.selection.weights.items():
            if same_path(wanted, key):
                return weight
        if isinstance(operation.get(WEIGHT_EXTENSION), int):
            return int(operation[WEIGHT_EXTENSION])
        return DEFAULT_WEIGHTS[method]

    def _operation(
        self, method: str, path: str, operation: Mapping[str, Any], prefix: str
    ) -> Operation:
        parameters = [resolve(self.spec, p) for p in operation.get("parameters", [])]
        resource, fixed = self._path_params(path, parameters)
        query = tuple(self._parameters(parameters, "query", path))
        headers = tuple(self._parameters(parameters, "header", path))
        body_schema = json_schema(self.spec, operation, "application/json")
        form_schema = json_schema(
            self.spec, operation, "application/x-www-form-urlencoded"
        )
        json_body = form_body = None
        if body_schema is not None:
            json_body = value_for(self.spec, body_schema, where=f"{method} {path} body")
        elif form_schema is not None:
            form_body = value_for(self.spec, form_schema, where=f"{method} {path} body")
        creates = None
        if method == "POST":
            creates = next(
                (r for r in self.resources.values() if same_path(r.collection, path)),
                None,
            )
            if creates is None:
                creates = self._resource_for_collection(path, "")
        relative = path[len(prefix) :] if path.startswith(prefix) else path
        task_name = _identifier(
            f"{method} {relative.replace('{', '').replace('}', '')}"
        )
        return Operation(
            method=method,
            path=path,
            weight=self._weight(method, path, operation),
            task_name=task_name,
            summary=str(operation.get("summary") or ""),
            resource=resource,
            fixed_path_params=tuple(fixed),
            query=query,
            headers=headers,
            json_body=json_body,
            form_body=form_body,
            creates=creates,
        )

    def _parameters(
        self, parameters: list[Mapping[str, Any]], where: str, path: str
    ) -> list[tuple[str, Expr]]:
        # Required ones must be sent; optional ones with a default are sent as
        # they are so the locustfile shows the knob; others are left unset.
        filled = []
        for parameter in parameters:
            if parameter.get("in") != where:
                continue
            schema = resolve(self.spec, parameter.get("schema", {}))
            if parameter.get("required") or "default" in schema:
                name = str(parameter["name"])
                filled.append(
                    (name, value_for(self.spec, schema, where=f"{path} {name}"))
                )
        return filled

    def _path_params(
        self, path: str, parameters: list[Mapping[str, Any]]
    ) -> tuple[Resource | None, list[tuple[str, Expr]]]:
        schemas = {
            str(p["name"]): resolve(self.spec, p.get("schema", {}))
            for p in parameters
            if p.get("in") == "path"
        }
        resource: Resource | None = None
        fixed: list[tuple[str, Expr]] = []
        for match in re.finditer(r"\{([^}]+)\}", path):
            name = match.group(1)
            schema = schemas.get(name, {})
            if self.auth.kind == "oauth2_password" and name.lower() in OWN_LOGIN_PARAMS:
                # `/users/{email}`: the caller's own address exists; a made-up
                # one would only measure 404s.
                fixed.append((name, Expr('self.credentials["username"]')))
                continue
            if not _is_id_param(name, schema):
                fixed.append(
                    (name, value_for(self.spec, schema, where=f"{path} {name}"))
                )
                continue
            collection = path[: match.start()].rstrip("/")
            found = self._resource_for_collection(collection, name)
            if found is None:
                raise UnfillableError(
                    f"{path} {name}", f"no POST {collection} creates one to read"
                )
            resource = found
        return resource, fixed

    def _resource_for_collection(self, collection: str, param: str) -> Resource | None:
        # FastAPI's `@router.post("/")` is `POST /items/`, its items `/items/{id}`.
        collection = _bare(collection)
        for (known_collection, known_param), resource in self.resources.items():
            if known_collection == collection and (not param or known_param == param):
                return resource
        creator_path, creator = next(
            (
                (p, op)
                for m, p, op in self.all_operations
                if m == "POST" and _bare(p) == collection
            ),
            ("", None),
        )
        if creator is None:
            return None
        if not param:
            # A POST whose objects nothing reads by id: no pool to keep.
            item_path = next(
                (
                    p
                    for _, p, _ in self.all_operations
                    if re.fullmatch(re.escape(collection) + r"/\{[^}]+\}", p)
                ),
                None,
            )
            if item_path is None:
                return None
            param = item_path.rsplit("{", 1)[1].rstrip("}")
        id_field = _created_id_field(self.spec, creator, param)
        schema = json_schema(self.spec, creator, "application/json")
        if not id_field or schema is None:
            return None
        parent = None
        parent_params = re.findall(r"\{([^}]+)\}", collection)
        if parent_params:
            parent_collection = collection[: collection.rfind("/{")]
            parent = self._resource_for_collection(parent_collection, parent_params[-1])
            if parent is None:
                return None
        segment = next(
            (s for s in reversed(collection.split("/")) if s and not s.startswith("{")),
            "rows",
        )
        var = _identifier(segment)
        if any(r.var == var for r in self.resources.values()) and parent is not None:
            var = f"{parent.singular}_{var}"
        resource = Resource(
            var=var,
            singular=_singular(var),
            collection=creator_path,
            param=param,
            id_field=id_field,
            body=value_for(self.spec, schema, where=f"POST {collection} body"),
            parent=parent,
        )
        self.resources[collection, param] = resource
        return resource


def _common_prefix(paths: list[str]) -> str:
    """The leading static segments every path shares (e.g. ``/api/v1``)."""
    if len(paths) < 2:
        return paths[0].rsplit("/", 1)[0] if paths else ""
    common: list[str] = []
    for segments in zip(*(p.strip("/").split("/") for p in paths), strict=False):
        if len(set(segments)) != 1 or segments[0].startswith("{"):
            break
        common.append(segments[0])
    return "/" + "/".join(common) if common else ""


def _ancestor(child: Resource, candidate: Resource) -> bool:
    parent = child.parent
    while parent is not None:
        if parent is candidate:
            return True
        parent = parent.parent
    return False


def build_scenario(
    spec: Mapping[str, Any], *, source: str, selection: Selection
) -> Scenario:
    """The weighted mix of operations the options select from the document."""
    try:
        return _Builder(spec, source, selection).build()
    except (KeyError, TypeError, AttributeError) as exc:
        msg = f"the OpenAPI document at {source} is malformed near {exc!r}"
        raise SpecError(msg) from exc
