"""Add a resource to this service in the pattern `items` follows.

    python scripts/scaffold.py resource accounts --owned \\
        --field iban:str:34:unique --field balance:decimal:18:2 --field opened_on:date
    python scripts/scaffold.py resource accounts --owned \\
        --from-openapi contract.yaml#/components/schemas/Account
    make resource name=accounts fields="iban:str:34:unique balance:decimal" owned=yes

Writes the domain package (model, schemas, service, router: list with cursor
pages, create with Idempotency-Key, read, update and delete with ETag/If-Match),
its tests and its Alembic revision; mounts the router with AUTHENTICATED and
adds the model to models_registry.py. It checks everything first and writes
nothing when it refuses; --dry-run lists what it would write.

A field is NAME:TYPE[:ARGUMENT...][:FLAG...]. Types: str[:MAX_LENGTH] (one line,
255 by default), text[:MAX_LENGTH], int, bigint, decimal[:PRECISION[:SCALE]]
(18 and 2 by default: money is never a float), bool, date, datetime (with a
time zone, stored in UTC), uuid, enum:VALUE,VALUE..., json (an object) and
ref:RESOURCE (NAME must end in _id: a foreign key to that resource, indexed).
Flags: optional (may be null or omitted), unique (per owner for an owned
resource), index.
"""

import argparse
import ast
import importlib
import json
import keyword
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# Columns every resource has already (resources.Resource, OwnedResource).
RESERVED = frozenset({"id", "owner_id", "version", "created_at", "updated_at"})
TYPES = (
    "str",
    "text",
    "int",
    "bigint",
    "decimal",
    "bool",
    "date",
    "datetime",
    "uuid",
    "enum",
    "json",
    "ref",
)
FLAGS = frozenset({"optional", "unique", "index"})
INT32 = 2**31 - 1
INT64 = 2**63 - 1


class ScaffoldError(Exception):
    """A request the scaffolder refuses; nothing has been written."""


@dataclass
class Field:
    name: str
    kind: str
    optional: bool = False
    unique: bool = False
    index: bool = False
    length: int | None = None  # str, text
    precision: int = 18  # decimal
    scale: int = 2
    values: list[str] = field(default_factory=list)  # enum
    target: str = ""  # ref: the referenced resource (its package and table)


@dataclass
class Resource:
    name: str  # the package, table and URL segment: accounts
    singular: str  # account
    model: str  # Account
    owned: bool
    fields: list[Field]


# --- Reading the request ---------------------------------------------------


def parse_field(spec: str) -> Field:
    """NAME:TYPE[:ARGUMENT...][:FLAG...] as the module docstring describes it."""
    name, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    if not parts or not parts[0]:
        msg = f"field {spec!r}: give a type, as in {name or 'name'}:str"
        raise ScaffoldError(msg)
    check_name(name, what="field")
    kind, *arguments = parts
    if kind not in TYPES:
        msg = f"field {name!r}: unknown type {kind!r}; the types are {', '.join(TYPES)}"
        raise ScaffoldError(msg)
    result = Field(name=name, kind=kind)
    flags = [a for a in arguments if a in FLAGS]
    arguments = [a for a in arguments if a not in FLAGS]
    for flag in flags:
        setattr(result, flag, True)
    numbers = _numbers(name, arguments) if kind in {"str", "text", "decimal"} else []
    if kind in {"str", "text"}:
        if len(numbers) > 1:
            raise ScaffoldError(f"field {name!r}: {kind} takes one maximum length")
        result.length = numbers[0] if numbers else (255 if kind == "str" else None)
        if result.length is not None and not 1 <= result.length <= 10_485_760:
            raise ScaffoldError(f"field {name!r}: a length is 1 to 10485760")
    elif kind == "decimal":
        if len(numbers) > 2:
            raise ScaffoldError(f"field {name!r}: decimal takes a precision and scale")
        result.precision, result.scale = [*numbers, 18, 2][:2] if numbers else (18, 2)
        if len(numbers) == 1:
            result.scale = min(2, result.precision)
        if not (
            1 <= result.precision <= 1000 and 0 <= result.scale <= result.precision
        ):
            msg = f"field {name!r}: decimal needs 1 <= precision <= 1000, scale <= precision"
            raise ScaffoldError(msg)
    elif kind == "enum":
        if len(arguments) != 1:
            raise ScaffoldError(
                f"field {name!r}: list its values, as in {name}:enum:a,b"
            )
        result.values = arguments[0].split(",")
        for value in result.values:
            if not IDENTIFIER.match(value):
                msg = f"field {name!r}: enum value {value!r} is not lower_snake_case"
                raise ScaffoldError(msg)
        if len(set(result.values)) != len(result.values):
            raise ScaffoldError(f"field {name!r}: an enum value is listed twice")
    elif kind == "ref":
        if len(arguments) != 1 or not IDENTIFIER.match(arguments[0]):
            raise ScaffoldError(
                f"field {name!r}: name the resource, as in ref:accounts"
            )
        if not name.endswith("_id"):
            raise ScaffoldError(f"field {name!r}: a reference's name ends in _id")
        result.target = arguments[0]
    elif arguments:
        raise ScaffoldError(
            f"field {name!r}: {kind} takes no argument {arguments[0]!r}"
        )
    return result


def _numbers(name: str, arguments: list[str]) -> list[int]:
    if bad := [a for a in arguments if not a.isdigit()]:
        msg = f"field {name!r}: {bad[0]!r} is neither a number nor a flag ({', '.join(sorted(FLAGS))})"
        raise ScaffoldError(msg)
    return [int(a) for a in arguments]


def check_name(name: str, *, what: str) -> None:
    if not IDENTIFIER.match(name):
        msg = f"{what} name {name!r}: use lower_snake_case (a letter, then letters, digits, _)"
        raise ScaffoldError(msg)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(f"{what} name {name!r} is a Python keyword")
    if what == "field" and (name in RESERVED or name.startswith("model_")):
        msg = f"field name {name!r} is taken: every resource has {', '.join(sorted(RESERVED))}"
        raise ScaffoldError(msg)


def singular_of(name: str) -> str:
    for plural, single in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch")):
        if name.endswith(plural):
            return name[: -len(plural)] + single
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def fields_from_openapi(reference: str) -> list[Field]:
    """The fields of an OpenAPI schema: FILE#/components/schemas/NAME."""
    path, _, pointer = reference.partition("#")
    if not pointer:
        raise ScaffoldError(
            f"{reference!r}: add the schema, as in {path}#/components/schemas/Account"
        )
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ScaffoldError(f"{path}: {exc.strerror}") from exc
    document = _load_document(path, text)
    schema = _resolve(document, pointer, reference)
    if schema.get("type", "object") != "object" or "properties" not in schema:
        raise ScaffoldError(f"{reference}: not an object schema with properties")
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema["properties"].items():
        if "$ref" in prop:
            prop = _resolve(document, prop["$ref"].partition("#")[2], prop["$ref"])
        if name in RESERVED or prop.get("readOnly"):
            continue  # what every resource has, or what the server sets
        fields.append(
            _openapi_field(reference, name, prop, optional=name not in required)
        )
    if not fields:
        raise ScaffoldError(f"{reference}: no property a client writes")
    return fields


def _load_document(path: str, text: str) -> dict[str, Any]:
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError as exc:
            raise ScaffoldError(
                f"{path}: reading YAML needs PyYAML (uv add --dev pyyaml), or give JSON"
            ) from exc
        loaded = yaml.safe_load(text)
    else:
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScaffoldError(
                f"{path}: not JSON ({exc.msg}, line {exc.lineno})"
            ) from exc
    if not isinstance(loaded, dict):
        raise ScaffoldError(f"{path}: not an OpenAPI document")
    return loaded


def _resolve(document: dict[str, Any], pointer: str, reference: str) -> dict[str, Any]:
    node: Any = document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or token not in node:
            raise ScaffoldError(f"{reference}: {token!r} does not resolve")
        node = node[token]
    if not isinstance(node, dict):
        raise ScaffoldError(f"{reference}: not a schema")
    return node


def _openapi_field(
    reference: str, name: str, prop: dict[str, Any], *, optional: bool
) -> Field:
    check_name(name, what="field")
    kind = prop.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        optional = optional or "null" in kind
        kind = next((k for k in kind if k != "null"), None)
    optional = optional or bool(prop.get("nullable"))
    form = prop.get("format")
    result = Field(name=name, kind="", optional=optional)
    if "enum" in prop:
        result.kind, result.values = "enum", [str(v) for v in prop["enum"]]
    elif kind == "string" and form == "date":
        result.kind = "date"
    elif kind == "string" and form == "date-time":
        result.kind = "datetime"
    elif kind == "string" and form == "uuid":
        result.kind = "uuid"
    elif kind == "string" and form == "decimal":
        result.kind = "decimal"
    elif kind == "string":
        result.kind = "str" if "maxLength" in prop else "text"
        result.length = prop.get("maxLength")
    elif kind == "integer":
        result.kind = "bigint" if form == "int64" else "int"
    elif kind == "number":
        # Money is never a float: a number becomes a decimal.
        result.kind = "decimal"
    elif kind == "boolean":
        result.kind = "bool"
    elif kind == "object":
        result.kind = "json"
    else:
        msg = f"{reference}: property {name!r} has type {kind!r}, which has no column type here"
        raise ScaffoldError(msg)
    if result.kind == "enum":
        for value in result.values:
            if not IDENTIFIER.match(value):
                raise ScaffoldError(
                    f"{reference}: {name} value {value!r} is not lower_snake_case"
                )
    return result


# --- The project ------------------------------------------------------------


@dataclass
class Project:
    root: Path
    package: str
    auth: str  # jwt, oidc, api_key or none

    @property
    def source(self) -> Path:
        return self.root / "src" / self.package


def find_project(root: Path) -> Project:
    packages = list((root / "src").glob("*/__init__.py"))
    if len(packages) != 1:
        raise ScaffoldError(
            f"{root}: expected one package under src/, found {len(packages)}"
        )
    package = packages[0].parent
    needed = ("resources.py", "database.py", "api.py", "models_registry.py")
    if missing := [name for name in needed if not (package / name).is_file()]:
        msg = f"{package.name} has no {', '.join(missing)}: resources need the database option"
        raise ScaffoldError(msg)
    auth = package / "auth"
    kind = next(
        (
            name
            for marker, name in (
                ("router.py", "jwt"),
                ("cli.py", "api_key"),
                ("provider.py", "oidc"),
            )
            if (auth / marker).is_file()
        ),
        "none",
    )
    return Project(root=root, package=package.name, auth=kind)


# --- Rendering --------------------------------------------------------------


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def braced(text: str) -> str:
    """`text` in braces (kept out of f-strings: this file is copied into projects
    verbatim, and doubled braces would read as template residue)."""
    return "{" + text + "}"


def row_url(collection: str, row: str) -> str:
    """Source of an f-string naming one row's URL: f"{ACCOUNTS}/{account['id']}"."""
    return 'f"' + braced(collection) + "/" + braced(f"{row}['id']") + '"'


def one_key(key: str, value: str) -> str:
    """Source of a dict literal with one key."""
    return braced(f'"{key}": {value}')


@dataclass
class Code:
    """A module being written: its imports, then its body."""

    imports: set[str] = field(default_factory=set)
    body: list[str] = field(default_factory=list)

    def text(self, docstring: str | None = None) -> str:
        head = f'"""{docstring}"""\n\n' if docstring else ""
        return (
            head
            + "\n".join(sorted(self.imports))
            + "\n\n\n"
            + "\n".join(self.body)
            + "\n"
        )


def enum_class(resource: Resource, item: Field) -> str:
    return resource.model + camel(item.name)


def column(resource: Resource, item: Field, code: Code) -> str:
    """The model's line for a field."""
    code.imports.add("from sqlalchemy.orm import Mapped, mapped_column")
    python, sql = {
        "str": ("str", f"String({item.length})"),
        "text": ("str", f"String({item.length})" if item.length else "Text"),
        "int": ("int", "Integer"),
        "bigint": ("int", "BigInteger"),
        "decimal": ("Decimal", f"Numeric({item.precision}, {item.scale})"),
        "bool": ("bool", "Boolean"),
        "date": ("date", "Date"),
        "datetime": ("datetime", "DateTime(timezone=True)"),
        "uuid": ("uuid.UUID", "Uuid"),
        "enum": (
            enum_class(resource, item),
            f'stored_enum({enum_class(resource, item)}, "{resource.singular}_{item.name}")',
        ),
        "json": ("dict[str, Any]", "JSONB"),
        "ref": ("uuid.UUID", f'ForeignKey("{item.target}.id")'),
    }[item.kind]
    code.imports |= MODEL_IMPORTS[item.kind]
    if item.kind not in {"enum", "json", "ref"}:
        code.imports.add(f"from sqlalchemy import {sql.split('(')[0]}")
    options = ", index=True" if item.index or item.kind == "ref" else ""
    nullable = " | None" if item.optional else ""
    return (
        f"    {item.name}: Mapped[{python}{nullable}] = mapped_column({sql}{options})"
    )


MODEL_IMPORTS: dict[str, set[str]] = {
    "str": set(),
    "text": set(),
    "int": set(),
    "bigint": set(),
    "decimal": {"from decimal import Decimal"},
    "bool": set(),
    "date": {"from datetime import date"},
    "datetime": {"from datetime import datetime"},
    "uuid": {"import uuid"},
    "enum": {"import enum", "from ..models import stored_enum"},
    "json": {
        "from typing import Any",
        "from sqlalchemy.dialects.postgresql import JSONB",
    },
    "ref": {"import uuid", "from sqlalchemy import ForeignKey"},
}


def render_models(resource: Resource) -> str:
    code = Code(imports={"from sqlalchemy import Index", "from ..database import Base"})
    base = "OwnedResource" if resource.owned else "Resource"
    code.imports.add(f"from ..resources import {base}")
    for item in resource.fields:
        if item.kind == "enum":
            members = "\n".join(
                f'    {value.upper()} = "{value}"' for value in item.values
            )
            code.body += [
                f"class {enum_class(resource, item)}(enum.StrEnum):",
                members,
                "",
                "",
            ]
    scope = ("owner_id",) if resource.owned else ()
    columns = ", ".join(f'"{c}"' for c in (*scope, "created_at", "id"))
    index = "_".join((*scope, "created_at", "id"))
    whose = "the owner's" if resource.owned else "the"
    table_args = [
        f"        # Serves {whose} newest-first pages without a sort.",
        f'        Index("ix_{resource.name}_{index}", {columns}),',
    ]
    for item in resource.fields:
        if item.unique:
            code.imports.add("from sqlalchemy import UniqueConstraint")
            unique = (*scope, item.name)
            names = ", ".join(f'"{c}"' for c in unique)
            table_args.append(
                f'        UniqueConstraint({names}, name="uq_{resource.name}_{"_".join(unique)}"),'
            )
    code.body += [
        f"class {resource.model}({base}, Base):",
        f'    __tablename__ = "{resource.name}"',
        "    __table_args__ = (",
        *table_args,
        "    )",
        "",
        *(column(resource, item, code) for item in resource.fields),
    ]
    return code.text()


# Pydantic types: (request, read) per field type; str and text add length limits.
SCHEMA_TYPES = {
    "str": ("Line", "str"),
    "text": ("Text", "str"),
    "int": ("int", "int"),
    "bigint": ("int", "int"),
    "decimal": ("", "Decimal"),  # a per-field alias, see render_schemas
    "bool": ("bool", "bool"),
    "date": ("date", "date"),
    "datetime": ("UtcDatetime", "datetime"),
    "uuid": ("uuid.UUID", "uuid.UUID"),
    "enum": ("", ""),  # the model's enum class
    "json": ("dict[str, Any]", "JsonObject"),
    "ref": ("uuid.UUID", "uuid.UUID"),
}
SCHEMA_IMPORTS: dict[str, set[str]] = {
    "str": {"from ..schemas import Line"},
    "text": {"from ..schemas import Text"},
    "decimal": {
        "from decimal import Decimal",
        "from typing import Annotated",
        "from pydantic import AfterValidator",
        "from ..schemas import scaled",
    },
    "date": {"from datetime import date"},
    "datetime": {"from ..schemas import UtcDatetime", "from datetime import datetime"},
    "uuid": {"import uuid"},
    "json": {"from typing import Any", "from ..schemas import JsonObject"},
    "ref": {"import uuid"},
}


def constraints(item: Field, *, update: bool) -> str:
    """The Field(...) of a request model's field, or "" when it needs none."""
    options = ["default=None"] if update or item.optional else []
    if item.kind in {"str", "text"}:
        if not item.optional:
            options.append("min_length=1")
        if item.length:
            options.append(f"max_length={item.length}")
    elif item.kind in {"int", "bigint"}:
        bits = 31 if item.kind == "int" else 63
        options += [f"ge=-(2**{bits})", f"le=2**{bits} - 1"]
    if options == ["default=None"]:
        return " = None"
    return f" = Field({', '.join(options)})" if options else ""


def render_schemas(resource: Resource) -> str:
    code = Code(
        imports={
            "from ..pagination import Page",
            "from ..resources import ResourceRead",
            "from ..schemas import RequestModel",
        }
    )
    aliases: list[str] = []
    requests: dict[str, str] = {}
    reads: dict[str, str] = {}
    for item in resource.fields:
        code.imports |= SCHEMA_IMPORTS.get(item.kind, set())
        request, read = SCHEMA_TYPES[item.kind]
        if item.kind == "decimal":
            request = camel(item.name)
            aliases += [
                f"# As PostgreSQL keeps it: {item.precision} digits, always {item.scale} after the point.",
                f"{request} = Annotated[",
                f"    Decimal, Field(max_digits={item.precision}, decimal_places={item.scale}), AfterValidator(scaled({item.scale}))",
                "]",
            ]
        if item.kind == "enum":
            request = read = enum_class(resource, item)
            code.imports.add(f"from .models import {request}")
        requests[item.name], reads[item.name] = request, read
    if (
        any(
            constraints(item, update=True).startswith(" = Field")
            or constraints(item, update=False).startswith(" = Field")
            for item in resource.fields
        )
        or aliases
    ):
        code.imports.add("from pydantic import Field")
    body = code.body
    if aliases:
        body += [*aliases, "", ""]
    body += [f"class {resource.model}Create(RequestModel):"]
    body += [
        f"    {item.name}: {requests[item.name]}{' | None' if item.optional else ''}{constraints(item, update=False)}"
        for item in resource.fields
    ]
    body += [
        "",
        "",
        f"class {resource.model}Update(RequestModel):",
        '    """Fields to change; omitted fields stay as they are."""',
        "",
    ]
    body += [
        f"    {item.name}: {requests[item.name]} | None{constraints(item, update=True)}"
        for item in resource.fields
    ]
    required = [item.name for item in resource.fields if not item.optional]
    if required:
        code.imports.add("from ..schemas import not_null")
        names = ", ".join(f'"{name}"' for name in required)
        body += ["", f"    _required = not_null({names})"]
    body += ["", "", f"class {resource.model}Read(ResourceRead):"]
    body += [
        f"    {item.name}: {reads[item.name]}{' | None' if item.optional else ''}"
        for item in resource.fields
    ]
    body += [
        "",
        "",
        f"class {resource.model}Page(Page[{resource.model}Read]):",
        "    pass",
    ]
    return code.text()


def render_service(resource: Resource, owners: dict[str, bool]) -> str:
    """The domain's rules: create, update, delete, and the read path.

    owners: for each referenced resource, whether its rows have owners (whose
    rows a reference may name is then checked, not just that the row exists).
    """
    r, m = resource, resource.model
    code = Code(
        imports={
            "import uuid",
            "from sqlalchemy.ext.asyncio import AsyncSession",
            "from .. import resources",
            f"from .models import {m}",
            f"from .schemas import {m}Create, {m}Page, {m}Read, {m}Update",
        }
    )
    owner_param = "owner_id: OwnerId, " if r.owned else ""
    owner_arg = ", owner_id=owner_id" if r.owned else ""
    if r.owned:
        code.imports.add("from ..auth.principal import OwnerId")
    checked = [
        item
        for item in r.fields
        if item.kind == "ref" and r.owned and owners[item.target]
    ]
    checks_create: list[str] = []
    checks_update: list[str] = []
    for item in checked:
        target = MODELS[item.target]
        code.imports.add(f"from ..{item.target}.models import {target}")
        call = (
            f"await resources.require(session, {target}, row_id=VALUE, "
            f'owner_id=owner_id, field="{item.name}")'
        )
        if item.optional:
            checks_create += [
                f"    if data.{item.name} is not None:",
                "    " + "    " + call.replace("VALUE", f"data.{item.name}"),
            ]
        else:
            checks_create.append("    " + call.replace("VALUE", f"data.{item.name}"))
        checks_update += [
            f"    if data.{item.name} is not None:",
            "        " + call.replace("VALUE", f"data.{item.name}"),
        ]
    owned_by = "owner_id=owner_id, " if r.owned else ""
    body = [
        f"# The hot read path (GET routes): derived from {m}Read, run on asyncpg.",
        f"reads = resources.Reads({m}, {m}Read, {m}Page)",
        "",
        "",
        f"async def create(*, session: AsyncSession, {owner_param}data: {m}Create) -> {m}:",
        *checks_create,
        f"    {r.singular} = {m}({owned_by}**data.model_dump())",
        f"    await resources.add(session, {r.singular})",
        f"    return {r.singular}",
        "",
        "",
        "async def update(",
        "    *,",
        "    session: AsyncSession,",
        *(["    owner_id: OwnerId,"] if r.owned else []),
        f"    {r.singular}_id: uuid.UUID,",
        f"    data: {m}Update,",
        "    expected_version: int | None,",
        f") -> {m}:",
        *checks_update,
        f"    {r.singular} = await resources.get_for_update(",
        f"        session, {m}, row_id={r.singular}_id{owner_arg}",
        "    )",
        "    await resources.update(",
        "        session,",
        f"        {r.singular},",
        "        data.model_dump(exclude_unset=True),",
        "        expected_version=expected_version,",
        "    )",
        f"    return {r.singular}",
        "",
        "",
        "async def delete(",
        "    *,",
        "    session: AsyncSession,",
        *(["    owner_id: OwnerId,"] if r.owned else []),
        f"    {r.singular}_id: uuid.UUID,",
        "    expected_version: int | None,",
        ") -> None:",
        f"    {r.singular} = await resources.get_for_update(",
        f"        session, {m}, row_id={r.singular}_id{owner_arg}",
        "    )",
        f"    await resources.delete(session, {r.singular}, expected_version=expected_version)",
    ]
    code.body = body
    title = r.name.replace("_", " ").capitalize()
    return code.text(
        f"{title}: the rules of the domain. Writes run in the request's transaction."
    )


def render_router(resource: Resource) -> str:
    r, m, s = resource, resource.model, resource.singular
    words = r.name.replace("_", " ")
    word = s.replace("_", " ")
    article = "an" if word[0] in "aeiou" else "a"
    code = Code(
        imports={
            "import uuid",
            "from typing import Annotated",
            "from fastapi import APIRouter, Depends, Request, Response, status",
            "from fastapi.responses import JSONResponse",
            "from ..auth.principal import Principal",
            "from ..database import ReadOnlyDep, SessionDep",
            "from ..idempotency import Idempotency, IdempotencyKey",
            "from ..pagination import PageParams",
            "from ..permissions import requires",
            "from ..preconditions import IfMatch, etag, expected_version",
            "from ..resources import created",
            "from . import service",
            f"from .models import {m}",
            f"from .schemas import {m}Create, {m}Page, {m}Read, {m}Update",
        }
    )
    owner = ", owner_id=caller.id" if r.owned else ""
    owner_kw = ["        owner_id=caller.id,"] if r.owned else []
    yours = "your " if r.owned else ""
    reader = "caller: Reader, " if r.owned else "_: Reader, "
    path = '"/' + braced(f"{s}_id") + '"'
    code.body = [
        f'router = APIRouter(prefix="/{r.name.replace("_", "-")}", tags=["{r.name}"])',
        "",
        f"# The caller, allowed to read or to change {words} (403 otherwise).",
        f'Reader = Annotated[Principal, Depends(requires("{r.name}:read"))]',
        f'Writer = Annotated[Principal, Depends(requires("{r.name}:write"))]',
        "",
        "",
        '@router.get("")',
        f"async def list_{r.name}({reader}db: ReadOnlyDep, paging: PageParams) -> {m}Page:",
        f'    """List {yours}{words}, newest first, one page at a time."""',
        f"    return await service.reads.page(db, params=paging{owner})",
        "",
        "",
        f'@router.post("", status_code=status.HTTP_201_CREATED, response_model={m}Read)',
        f"async def create_{s}(",
        f"    body: {m}Create,",
        "    request: Request,",
        "    caller: Writer,",
        "    session: SessionDep,",
        "    idempotency_key: IdempotencyKey = None,",
        ") -> JSONResponse:",
        f'    """Create {article} {word}; send an `Idempotency-Key` to make retries safe."""',
        "    retry = Idempotency(session, owner_id=caller.id, key=idempotency_key, body=body)",
        "    if replay := await retry.replay():",
        "        return replay",
        f"    {s} = await service.create(session=session{', owner_id=caller.id' if r.owned else ''}, data=body)",
        f"    return await retry.remember(created(request, {m}Read.model_validate({s})))",
        "",
        "",
        f"@router.get({path})",
        f"async def read_{s}(",
        f"    {s}_id: uuid.UUID, {reader}db: ReadOnlyDep, response: Response",
        f") -> {m}Read:",
        f'    """Return {"one of your " + words if r.owned else article + " " + word} with its `ETag`."""',
        f"    {s} = await service.reads.one(db, row_id={s}_id{owner})",
        f'    response.headers["ETag"] = etag({s}.version)',
        f"    return {s}",
        "",
        "",
        f"@router.patch({path}, response_model={m}Read)",
        f"async def update_{s}(",
        f"    {s}_id: uuid.UUID,",
        f"    body: {m}Update,",
        f"    {'caller' if r.owned else '_'}: Writer,",
        "    session: SessionDep,",
        "    response: Response,",
        "    if_match: IfMatch = None,",
        f") -> {m}:",
        f'    """Change some fields of {article} {word}; send `If-Match` to avoid lost updates."""',
        f"    {s} = await service.update(",
        "        session=session,",
        *owner_kw,
        f"        {s}_id={s}_id,",
        "        data=body,",
        "        expected_version=expected_version(if_match),",
        "    )",
        f'    response.headers["ETag"] = etag({s}.version)',
        f"    return {s}",
        "",
        "",
        f"@router.delete({path}, status_code=status.HTTP_204_NO_CONTENT)",
        f"async def delete_{s}(",
        f"    {s}_id: uuid.UUID, {'caller' if r.owned else '_'}: Writer, session: SessionDep, if_match: IfMatch = None",
        ") -> None:",
        f'    """Delete {"one of your " + words if r.owned else article + " " + word}; send `If-Match` to delete only what you last read."""',
        "    await service.delete(",
        "        session=session,",
        *owner_kw,
        f"        {s}_id={s}_id,",
        "        expected_version=expected_version(if_match),",
        "    )",
    ]
    return code.text()


# Filled by load_models: each resource package's model class name.
MODELS: dict[str, str] = {}


def sample(item: Field) -> str:
    """Python source for a valid value of the field in a request body (n: a serial)."""
    length = item.length or 10_000
    if item.kind in {"str", "text"}:
        text = item.name + "-{n}" if item.unique else f"sample {item.name}"
        if len(text) + 6 > length:
            text = "{n}" if item.unique else "x" * min(length, 8)
        return f'f"{text}"' if "{n}" in text else f'"{text}"'
    if item.kind in {"int", "bigint"}:
        return "n" if item.unique else "7"
    if item.kind == "decimal":
        whole = (
            "12"
            if item.precision - item.scale >= 2
            else "1"
            if item.precision > item.scale
            else "0"
        )
        fraction = ("3456789" * 200)[: item.scale]
        if item.unique:
            whole = "{n}"
        text = f"{whole}.{fraction}" if fraction else whole
        return f'f"{text}"' if "{n}" in text else f'"{text}"'
    if item.kind == "date":
        return (
            "(date(2026, 1, 1) + timedelta(days=n)).isoformat()"
            if item.unique
            else '"2026-01-31"'
        )
    if item.kind == "datetime":
        if item.unique:
            return (
                "(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat()"
            )
        return '"2026-01-31T09:30:00+00:00"'
    if item.kind == "uuid":
        return "str(uuid.uuid4())"
    if item.kind == "bool":
        return "True"
    if item.kind == "enum":
        return f'"{item.values[0]}"'
    if item.kind == "json":
        return '{"note": "sample"}'
    return f'(await create_{singular_of(item.target)}(client, headers))["id"]'


def changed(item: Field) -> str | None:
    """A different valid value, serialized as the API returns it; None to skip."""
    if item.kind in {"str", "text"} and (item.length or 99) >= 7:
        return '"renamed"'
    if item.kind in {"int", "bigint"}:
        return "8"
    if item.kind == "bool":
        return "False"
    if item.kind == "enum" and len(item.values) > 1:
        return f'"{item.values[1]}"'
    if item.kind == "date" and not item.unique:
        return '"2026-02-28"'
    return None


def render_tests(project: Project, resource: Resource, owners: dict[str, bool]) -> str:
    r, s = resource, resource.singular
    url = r.name.upper()
    authenticated = project.auth != "none"
    code = Code(
        imports={
            "import itertools",
            "from typing import Any",
            "from httpx import AsyncClient",
        }
    )
    fixtures = "client: AsyncClient, auth_headers: dict[str, str]"
    fresh = (
        "; unique fields get fresh values" if any(i.unique for i in r.fields) else ""
    )
    body: list[str] = [
        f'{url} = "/api/v1/{r.name.replace("_", "-")}"',
        "_serial = itertools.count(1)",
        "",
        "",
        f"async def new_{s}(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:",
        f'    """A valid body for a new {s.replace("_", " ")}{fresh}."""',
    ]
    values = {item.name: sample(item) for item in r.fields if not item.optional}
    uses_n = any(re.search(r"\bn\b|\{n\}", value) for value in values.values())
    if uses_n:
        body.append("    n = next(_serial)")
    else:
        body = [line for line in body if "_serial" not in line]
        code.imports.discard("import itertools")
    body += [
        "    return {",
        *(f'        "{name}": {value},' for name, value in values.items()),
        "    }",
    ]
    for value in values.values():
        if "uuid.uuid4" in value:
            code.imports.add("import uuid")
        if "timedelta" in value:
            code.imports.add("from datetime import timedelta")
        if "date(" in value and "datetime(" not in value:
            code.imports.add("from datetime import date")
        if "datetime(" in value:
            code.imports.add("from datetime import UTC, datetime")
    for item in r.fields:
        if item.kind == "ref" and item.target != r.name:
            code.imports.add(
                f"from tests.{item.target}.test_router import create_{singular_of(item.target)}"
            )
    body += [
        "",
        "",
        f"async def create_{s}(",
        "    client: AsyncClient, headers: dict[str, str], **changes: Any",
        ") -> dict[str, Any]:",
        f"    body = await new_{s}(client, headers) | changes",
        f"    response = await client.post({url}, json=body, headers=headers)",
        "    assert response.status_code == 201, response.text",
        f"    {s}: dict[str, Any] = response.json()",
        f"    return {s}",
    ]

    def test(name: str, *lines: str, extra: str = "") -> None:
        body.extend(
            [
                "",
                "",
                f"async def test_{name}(",
                f"    {fixtures}{extra}",
                ") -> None:",
                *lines,
            ]
        )

    test(
        f"create_returns_the_{s}_with_location_and_etag",
        f"    response = await client.post({url}, json=await new_{s}(client, auth_headers), headers=auth_headers)",
        "",
        "    assert response.status_code == 201, response.text",
        f"    {s} = response.json()",
        f'    assert {s}["version"] == 1',
        f'    assert response.headers["location"] == {row_url(url, s)}',
        '    assert response.headers["etag"] == \'"1"\'',
        '    located = await client.get(response.headers["location"], headers=auth_headers)',
        f"    assert located.json() == {s}",
    )
    required = sorted(item.name for item in r.fields if not item.optional)
    if required:
        test(
            "create_refuses_a_body_without_its_required_fields",
            f"    response = await client.post({url}, json={braced('')}, headers=auth_headers)",
            "",
            "    assert response.status_code == 422",
            '    missing = {error["loc"][-1] for error in response.json()["errors"]}',
            f"    assert missing == {braced(', '.join(repr(name) for name in required))}",
        )
    if r.owned and authenticated:
        code.imports.add("from tests.conftest import CallerHeaders")
        test(
            f"{r.name}_are_invisible_to_other_callers",
            f"    {s} = await create_{s}(client, auth_headers)",
            '    eve_headers = await caller_headers("eve")',
            "",
            f"    read = await client.get({row_url(url, s)}, headers=eve_headers)",
            f"    listing = await client.get({url}, headers=eve_headers)",
            "",
            "    assert read.status_code == 404",
            '    assert listing.json()["items"] == []',
            extra=", caller_headers: CallerHeaders",
        )
    code.imports.add("import uuid")
    test(
        f"a_missing_{s}_is_404",
        '    response = await client.get(f"'
        + braced(url)
        + "/"
        + braced("uuid.uuid4()")
        + '", headers=auth_headers)',
        "",
        "    assert response.status_code == 404",
        '    assert response.headers["content-type"] == "application/problem+json"',
    )
    test(
        f"list_pages_through_every_{s}_newest_first",
        f"    created = [await create_{s}(client, auth_headers) for _ in range(3)]",
        "",
        "    seen: list[str] = []",
        "    cursor: str | None = None",
        "    while True:",
        '        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})',
        f"        response = await client.get({url}, params=params, headers=auth_headers)",
        "        assert response.status_code == 200, response.text",
        "        page = response.json()",
        '        seen += [row["id"] for row in page["items"]]',
        '        cursor = page["next_cursor"]',
        "        if cursor is None:",
        "            break",
        "",
        '    assert seen == [row["id"] for row in reversed(created)]',
    )
    test(
        "create_with_the_same_idempotency_key_replays_the_response",
        f"    body = await new_{s}(client, auth_headers)",
        '    headers = auth_headers | {"Idempotency-Key": "retry-1"}',
        "",
        f"    first = await client.post({url}, json=body, headers=headers)",
        f"    retry = await client.post({url}, json=body, headers=headers)",
        "",
        "    assert first.status_code == retry.status_code == 201",
        "    assert retry.json() == first.json()",
        '    assert retry.headers["idempotent-replayed"] == "true"',
    )
    target = next((item for item in r.fields if changed(item) is not None), None)
    change = one_key(target.name, str(changed(target))) if target else braced("")
    check = (
        [f'    assert response.json()["{target.name}"] == {changed(target)}']
        if target
        else []
    )
    test(
        f"update_with_the_current_etag_changes_the_{s}",
        f"    {s} = await create_{s}(client, auth_headers)",
        "",
        "    response = await client.patch(",
        f"        {row_url(url, s)},",
        f"        json={change},",
        '        headers=auth_headers | {"If-Match": \'"1"\'},',
        "    )",
        "",
        "    assert response.status_code == 200, response.text",
        *check,
        *(['    assert response.headers["etag"] == \'"2"\''] if target else []),
    )
    if target:
        test(
            "update_with_a_stale_etag_is_refused",
            f"    {s} = await create_{s}(client, auth_headers)",
            f"    url = {row_url(url, s)}",
            f"    await client.patch(url, json={change}, headers=auth_headers)",
            "",
            "    response = await client.patch(",
            f"        url, json={change}, headers=auth_headers | "
            + one_key("If-Match", "'\"1\"'"),
            "    )",
            "",
            "    assert response.status_code == 412",
        )
    test(
        f"delete_removes_the_{s}",
        f"    {s} = await create_{s}(client, auth_headers)",
        f"    url = {row_url(url, s)}",
        "",
        "    deleted = await client.delete(url, headers=auth_headers)",
        "    read = await client.get(url, headers=auth_headers)",
        "",
        "    assert deleted.status_code == 204",
        "    assert read.status_code == 404",
    )
    for item in r.fields:
        if item.unique:
            test(
                f"a_second_{s}_with_the_same_{item.name}_is_a_conflict",
                f"    first = await create_{s}(client, auth_headers)",
                f"    body = await new_{s}(client, auth_headers) | "
                + one_key(item.name, f'first["{item.name}"]'),
                "",
                f"    response = await client.post({url}, json=body, headers=auth_headers)",
                "",
                "    assert response.status_code == 409",
            )
        if item.kind != "ref":
            continue
        other = singular_of(item.target)
        test(
            f"a_{s}_naming_a_missing_{other}_is_refused",
            f"    body = await new_{s}(client, auth_headers) | "
            + one_key(item.name, "str(uuid.uuid4())"),
            "",
            f"    response = await client.post({url}, json=body, headers=auth_headers)",
            "",
            "    assert response.status_code == 422",
        )
        if r.owned and owners[item.target] and authenticated:
            test(
                f"a_{s}_naming_another_callers_{other}_is_refused",
                f'    theirs = await create_{other}(client, await caller_headers("eve"))',
                f"    body = await new_{s}(client, auth_headers) | "
                + one_key(item.name, 'theirs["id"]'),
                "",
                f"    response = await client.post({url}, json=body, headers=auth_headers)",
                "",
                "    assert response.status_code == 422",
                extra=", caller_headers: CallerHeaders",
            )
        if not item.optional:
            test(
                f"a_{other}_a_{s}_names_cannot_be_deleted",
                f"    {s} = await create_{s}(client, auth_headers)",
                "",
                "    response = await client.delete(",
                f'        f"/api/v1/{item.target.replace("_", "-")}/'
                + braced(f"{s}['{item.name}']")
                + '", headers=auth_headers',
                "    )",
                "",
                "    assert response.status_code == 409",
            )
    code.body = body
    return code.text()


# --- The project's registries and migration --------------------------------


def load_models(project: Project) -> tuple[Any, dict[str, bool]]:
    """The project's metadata, and each resource package's model: owned or not."""
    sys.path.insert(0, str(project.root / "src"))
    registry = importlib.import_module(f"{project.package}.models_registry")
    resources = importlib.import_module(f"{project.package}.resources")
    owners: dict[str, bool] = {}
    for mapper in registry.Base.registry.mappers:
        model = mapper.class_
        parts = model.__module__.split(".")
        if (
            len(parts) == 3
            and parts[2] == "models"
            and issubclass(model, resources.Resource)
        ):
            MODELS[parts[1]] = model.__name__
            owners[parts[1]] = issubclass(model, resources.OwnedResource)
    return registry.Base.metadata, owners


def register_router(text: str, resource: Resource) -> str:
    """api.py with the router imported and mounted (with AUTHENTICATED) last."""
    tree = ast.parse(text)
    include = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name == "include_api"
        ),
        None,
    )
    if include is None or "AUTHENTICATED" not in text:
        msg = "api.py has no include_api() mounting routers with AUTHENTICATED: mount the router by hand"
        raise ScaffoldError(msg)
    lines = text.splitlines()
    end = include.end_lineno or len(lines)
    mount = f"    app.include_router({resource.name}_router, prefix=API_PREFIX, dependencies=AUTHENTICATED)"
    lines.insert(end, mount)
    first = next(i for i, line in enumerate(lines) if line.startswith("from ."))
    lines.insert(
        first, f"from .{resource.name}.router import router as {resource.name}_router"
    )
    return "\n".join(lines) + "\n"


def register_model(text: str, resource: Resource) -> str:
    """models_registry.py with the model imported and exported."""
    tree = ast.parse(text)
    exported = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
        ),
        None,
    )
    if exported is None or not isinstance(exported.value, ast.List):
        raise ScaffoldError(
            "models_registry.py has no __all__ list: add the model by hand"
        )
    names = sorted({*ast.literal_eval(exported.value), resource.model})
    lines = text.splitlines()
    start, end = exported.lineno - 1, exported.end_lineno or exported.lineno
    lines[start:end] = ["__all__ = [", *(f'    "{name}",' for name in names), "]"]
    first = next(i for i, line in enumerate(lines) if line.startswith("from ."))
    lines.insert(first, f"from .{resource.name}.models import {resource.model}")
    return "\n".join(lines) + "\n"


def write_migration(project: Project, resource: Resource, metadata: Any) -> Path:
    """An Alembic revision creating the table and its indexes, after the current head."""
    from alembic.autogenerate import render_python_code
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.operations import ops
    from alembic.script import ScriptDirectory
    from alembic.util import rev_id

    importlib.import_module(f"{project.package}.{resource.name}.models")
    table = metadata.tables[resource.name]
    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    upgrade = ops.UpgradeOps(
        ops=[
            ops.CreateTableOp.from_table(table),
            *map(ops.CreateIndexOp.from_index, indexes),
        ]
    )
    downgrade = ops.DowngradeOps(
        ops=[
            *map(ops.DropIndexOp.from_index, reversed(indexes)),
            ops.DropTableOp.from_table(table),
        ]
    )
    # Rendered for PostgreSQL, with the project's naming convention.
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"target_metadata": metadata}
    )
    upgrades, downgrades = (
        _code(render_python_code(o, migration_context=context))
        for o in (upgrade, downgrade)
    )
    imports = (
        "from sqlalchemy.dialects import postgresql\n"
        if "postgresql." in upgrades
        else ""
    )
    config = Config(str(project.root / "alembic.ini"))
    script = ScriptDirectory.from_config(config).generate_revision(
        rev_id(),
        f"Create {resource.name}.",
        head="head",
        upgrades=upgrades,
        downgrades=downgrades,
        imports=imports,
    )
    if script is None:
        raise ScaffoldError("alembic wrote no revision")
    return Path(script.path)


def _code(rendered: str) -> str:
    """Alembic's rendering without its banner comments, indented for the function."""
    lines = [
        line for line in rendered.splitlines() if not line.strip().startswith("# ###")
    ]
    return textwrap.dedent("\n".join(lines)).strip().replace("\n", "\n    ")


# --- Running ----------------------------------------------------------------


def plan(
    project: Project, resource: Resource, owners: dict[str, bool]
) -> dict[Path, str]:
    """Every file to create or rewrite, with its content (the migration aside)."""
    package = project.source / resource.name
    tests = project.root / "tests" / resource.name
    api, registry = project.source / "api.py", project.source / "models_registry.py"
    return {
        package / "__init__.py": "",
        package / "models.py": render_models(resource),
        package / "schemas.py": render_schemas(resource),
        package / "service.py": render_service(resource, owners),
        package / "router.py": render_router(resource),
        tests / "__init__.py": "",
        tests / "test_router.py": render_tests(project, resource, owners),
        api: register_router(api.read_text(), resource),
        registry: register_model(registry.read_text(), resource),
    }


def check_resource(
    project: Project, resource: Resource, metadata: Any, owners: dict[str, bool]
) -> None:
    check_name(resource.name, what="resource")
    taken = [
        path
        for path in (
            project.source / resource.name,
            project.source / f"{resource.name}.py",
            project.root / "tests" / resource.name,
        )
        if path.exists()
    ]
    if taken:
        raise ScaffoldError(
            f"{resource.name} exists already: {taken[0].relative_to(project.root)}"
        )
    if resource.name in metadata.tables:
        raise ScaffoldError(f"the table {resource.name!r} exists already")
    if resource.singular == resource.name:
        msg = f"{resource.name!r} reads as singular: name the resource in the plural, or pass --singular"
        raise ScaffoldError(msg)
    if not resource.fields:
        raise ScaffoldError("give at least one --field, or --from-openapi")
    names = [item.name for item in resource.fields]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise ScaffoldError(f"field {duplicates[0]!r} is given twice")
    for item in resource.fields:
        if item.unique and item.kind in {"bool", "enum", "json", "text"}:
            raise ScaffoldError(
                f"field {item.name!r}: a {item.kind} field cannot be unique"
            )
        if item.kind != "ref":
            continue
        if item.target == resource.name:
            raise ScaffoldError(
                f"field {item.name!r}: a resource cannot reference itself here"
            )
        if item.target not in owners:
            known = ", ".join(sorted(owners)) or "none yet"
            msg = f"field {item.name!r}: no resource {item.target!r} to reference (resources: {known})"
            raise ScaffoldError(msg)
        if owners[item.target] and not resource.owned:
            msg = f"field {item.name!r}: a shared resource cannot reference {item.target}, whose rows have owners"
            raise ScaffoldError(msg)


def scaffold(args: argparse.Namespace) -> int:
    root = Path.cwd()
    project = find_project(root)
    fields = [parse_field(spec) for spec in args.field]
    if args.from_openapi:
        fields += fields_from_openapi(args.from_openapi)
    metadata, owners = load_models(project)
    resource = Resource(
        name=args.name,
        singular=args.singular or singular_of(args.name),
        model=camel(args.singular or singular_of(args.name)),
        owned=args.owned,
        fields=fields,
    )
    check_resource(project, resource, metadata, owners)
    files = plan(project, resource, owners)
    migration = f"migrations/versions/<today>_create_{resource.name}.py"
    if args.dry_run:
        for path in files:
            verb = "rewrite" if path.exists() else "create "
            print(f"would {verb} {path.relative_to(root)}")
        print(f"would create  {migration}")
        return 0
    originals = {path: path.read_text() for path in files if path.exists()}
    written: list[Path] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
        written.append(write_migration(project, resource, metadata))
        python_files = [str(path) for path in written if path.suffix == ".py"]
        # Imports sorted and merged, lines wrapped: the files read as hand-written.
        for command in (["check", "--fix", "--quiet"], ["format", "--quiet"]):
            done = subprocess.run(  # noqa: S603 - ruff on the files just written
                [sys.executable, "-m", "ruff", *command, *python_files],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                msg = (
                    f"ruff {command[0]} refused the result:\n{done.stdout}{done.stderr}"
                )
                raise ScaffoldError(msg)
    except BaseException:
        for path in reversed(written):
            if path in originals:
                path.write_text(originals[path])
            else:
                path.unlink(missing_ok=True)
        for directory in (
            project.source / resource.name,
            root / "tests" / resource.name,
        ):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        raise
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(
        f"\nNext: make migrate, then make check. The routes need the permissions "
        f"{resource.name}:read and {resource.name}:write."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Field types, flags and examples: the top of scripts/scaffold.py.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    resource = commands.add_parser(
        "resource", help="add a resource: package, tests, migration"
    )
    resource.add_argument(
        "name", help="the resource, plural, lower_snake_case: accounts"
    )
    resource.add_argument(
        "--field", action="append", default=[], metavar="NAME:TYPE[:ARG...][:FLAG...]"
    )
    resource.add_argument(
        "--from-openapi",
        metavar="FILE#/components/schemas/NAME",
        help="take the fields from an OpenAPI schema",
    )
    resource.add_argument(
        "--owned",
        action="store_true",
        help="each row belongs to the caller that created it",
    )
    resource.add_argument(
        "--singular",
        help="the singular, when dropping the s is wrong: --singular person",
    )
    resource.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be written; write nothing",
    )
    args = parser.parse_args(argv)
    # The migration's post-write hooks run ruff from PATH: this environment's.
    os.environ["PATH"] = (
        f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    try:
        return scaffold(args)
    except ScaffoldError as error:
        print(f"scaffold: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
