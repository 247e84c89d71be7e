"""Write a scenario as a plain, editable locustfile, and load locustfiles back.

The generated file only needs Locust: ``locust -f FILE --host URL`` runs it as
well as this tool does, and a team can grow it by hand and pass it back with
``--locustfile``.
"""

from __future__ import annotations

import ast
from string import Template
from urllib.parse import quote

from .openapi import Expr, py_str
from .scenario import Operation, Resource, Scenario

INDENT = " " * 4
# A measured request's context: nothing to add.
NO_CONTEXT = "{}"
HEADER = Template('''\
"""Load scenario for ${title}, generated from its OpenAPI document.

Source: ${source}
Run it with the load tester (open or closed model, SLO checks, reports):
    python scripts/api_load_tester.py --locustfile ${filename} --rate 50
or with Locust alone: locust -f ${filename} --host URL

${auth_note}Requests sent with context=SETUP prepare the load; the load tester leaves
them out of its statistics. Edit freely: the weights are the numbers in @task().
${left_out}"""

from __future__ import annotations

${imports}

SETUP = {"setup": True}
SEED_OBJECTS = ${seed}
MAX_SPARE_ROWS = 100


class SetupError(RuntimeError):
    """A virtual user could not get ready to send load (login, seeding)."""


def expect(response: ResponseContextManager, step: str) -> ResponseContextManager:
    """The response if it succeeded, else a SetupError saying what went wrong."""
    if 200 <= response.status_code < 300:
        return response
    error = getattr(response, "error", None)
    if response.status_code:
        detail = f"HTTP {response.status_code}: {(response.text or '')[:300]}"
    else:
        detail = str(error)
    raise SetupError(f"{step} failed: {detail}")


def text(prefix: str, min_length: int, max_length: int) -> str:
    """A unique string of an allowed length: repeated creates never collide."""
    return f"{prefix}-{uuid.uuid4().hex}".ljust(min_length, "x")[:max_length]


def pick(rows: list[dict[str, str]]) -> dict[str, str]:
    """Any of the rows: spreads reads over them (not a security decision)."""
    return random.choice(rows)  # noqa: S311
''')


def _call(
    method: str,
    url: str,
    kwargs: list[tuple[str, str]],
    indent: int,
    prefix: str = "",
    suffix: str = "",
) -> list[str]:
    """A ``self.client.<method>(...)`` call, one argument per line.

    The trailing comma after the last argument keeps the formatter from joining
    the lines again, so a generated file is already ``ruff format`` clean.
    """
    pad = " " * indent
    lines = [f"{pad}{prefix}self.client.{method}("]
    if not _fits(f"{pad}{INDENT}{url},") and " + " in url:
        # A long concatenated URL breaks before each `+`, as ruff format does.
        first, *rest = url.split(" + ")
        lines.append(f"{pad}{INDENT}{first}")
        lines.extend(f"{pad}{INDENT}+ {part}" for part in rest[:-1])
        lines.append(f"{pad}{INDENT}+ {rest[-1]},")
    else:
        lines.append(f"{pad}{INDENT}{url},")
    lines.extend(f"{pad}{INDENT}{name}={value}," for name, value in kwargs)
    lines.append(f"{pad}){suffix}")
    return lines


def _fits(line: str, width: int = 88) -> bool:
    return len(line) <= width


def _constant(value: Expr) -> str | None:
    """The text of a value that is a plain literal (an example, an enum member)."""
    if value.items is not None or value.elements is not None:
        return None
    try:
        literal = ast.literal_eval(value.source)
    except (ValueError, SyntaxError):
        return None
    if isinstance(literal, bool) or not isinstance(literal, str | int | float):
        return None
    return str(literal)


def _path_source(path: str, row: str | None, fixed: dict[str, Expr]) -> str:
    """The path template filled from a row's ids (or fixed values), as source.

    Every value is URL-encoded: a literal now, a value made at run time (an
    e-mail address, a name) by `quote()` in the locustfile.
    """
    pieces = path.replace("}", "{").split("{")
    made_at_run_time = any(
        piece in fixed and _constant(fixed[piece]) is None for piece in pieces[1::2]
    )
    parts: list[str] = []
    literal = ""
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            literal += piece
            continue
        constant = _constant(fixed[piece]) if piece in fixed else None
        if constant is not None:
            literal += quote(constant, safe="")
            continue
        value = fixed[piece].inline() if piece in fixed else f"{row}[{piece!r}]"
        if not made_at_run_time:
            # Only ids of rows the service returned: a plain f-string reads best.
            literal += "{" + value + "}"
            continue
        if literal:
            parts.append(py_str(literal))
            literal = ""
        text = value if value.startswith(('"', 'f"')) else f"str({value})"
        parts.append(f'quote({text}, safe="")')
    if not made_at_run_time:
        source = py_str(literal)
        return "f" + source if "{" in literal else source
    if literal:
        parts.append(py_str(literal))
    return " + ".join(parts)


class _Writer:
    def __init__(self, scenario: Scenario, *, seed_objects: int, filename: str) -> None:
        self.scenario = scenario
        self.seed = seed_objects
        self.filename = filename
        self.auth = scenario.auth
        self.lines: list[str] = []
        # Rows to delete come from measured creates, kept aside ("spare").
        self.deleted = {
            op.resource.var
            for op in scenario.operations
            if op.method == "DELETE" and op.resource is not None
        }

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def kwargs(
        self,
        *,
        authorized: bool,
        headers: tuple[tuple[str, Expr], ...] = (),
        query: tuple[tuple[str, Expr], ...] = (),
        json_body: Expr | None = None,
        form_body: Expr | None = None,
        name: str,
        context: str | None = None,
        indent: int = 12,
    ) -> list[tuple[str, str]]:
        kwargs: list[tuple[str, str]] = []
        if json_body is not None:
            kwargs.append(("json", json_body.render(indent, indent + len("json="))))
        if form_body is not None:
            kwargs.append(("data", form_body.render(indent, indent + len("data="))))
        if query:
            kwargs.append(
                ("params", Expr(items=query).render(indent, indent + len("params=")))
            )
        if headers:
            spread = (("**self.auth", Expr()),) if authorized else ()
            parts = [f"{py_str(k)}: {v.inline()}" for k, v in headers]
            parts = ["**self.auth", *parts] if spread else parts
            kwargs.append(("headers", "{" + ", ".join(parts) + "}"))
        elif authorized and self.auth.kind != "none":
            kwargs.append(("headers", "self.auth"))
        kwargs.append(("name", py_str(name)))
        if context is not None:
            kwargs.append(("context", context))
        return kwargs

    def render(self) -> str:
        # Grouped and ordered as isort (ruff's I rules) wants them.
        stdlib = ["import os", "import random", "import uuid"]
        third_party = [
            "from locust import FastHttpUser, constant, task",
            "from locust.contrib.fasthttp import ResponseContextManager",
        ]
        body_source = "\n".join(self._class_lines())
        if "datetime." in body_source:
            stdlib.append("from datetime import UTC, datetime")
        if "quote(" in body_source:
            stdlib.append("from urllib.parse import quote")
        if "gevent." in body_source:
            third_party.insert(0, "import gevent")
        imports = "\n".join(stdlib) + "\n\n" + "\n".join(third_party)
        left_out = ""
        if self.scenario.left_out:
            rows = "\n".join(f"    {key}: {why}" for key, why in self.scenario.left_out)
            left_out = f"\nLeft out of the mix:\n{rows}\n"
        auth_note = {
            "none": "",
            "oauth2_password": (
                "Every virtual user logs in with an account of its own (registered\n"
                "here unless LOADTEST_USERNAME and LOADTEST_PASSWORD are set) and\n"
                "creates the rows it reads, so reads hit real data.\n"
            ),
            "bearer": "Every virtual user sends the token in LOADTEST_TOKEN.\n",
            "api_key": "Every virtual user sends the key in LOADTEST_API_KEY.\n",
        }[self.auth.kind]
        header = HEADER.substitute(
            title=self.scenario.title,
            source=self.scenario.source,
            filename=self.filename,
            auth_note=auth_note,
            left_out=left_out,
            imports=imports,
            seed=self.seed,
        )
        return header + "\n\n" + body_source.rstrip("\n") + "\n"

    def _class_lines(self) -> list[str]:
        self.emit(
            "class ApiUser(FastHttpUser):",
            f"{INDENT}wait_time = constant(0)",
            "",
            f"{INDENT}def on_start(self) -> None:",
        )
        body = []
        if self.auth.kind != "none":
            body.append("self.auth: dict[str, str] = {}")
            body.append("self.log_in()")
        for resource in self.scenario.resources:
            seed = f"[self.new_{resource.singular}() for _ in range(SEED_OBJECTS)]"
            line = f"self.{resource.var}: list[dict[str, str]] = {seed}"
            if not _fits(INDENT * 2 + line):
                line = (
                    f"self.{resource.var}: list[dict[str, str]] = [\n{INDENT * 3}"
                    + (
                        f"self.new_{resource.singular}() for _ in range(SEED_OBJECTS)\n{INDENT * 2}]"
                    )
                )
            body.append(line)
            if resource.var in self.deleted:
                body.append(f"self.spare_{resource.var}: list[dict[str, str]] = []")
        self.emit(*(f"{INDENT * 2}{line}" for line in body or ["pass"]))
        self._auth_lines()
        for resource in self.scenario.resources:
            self._resource_lines(resource)
        for operation in self.scenario.operations:
            self._task_lines(operation)
        return self.lines

    def _auth_lines(self) -> None:
        kind = self.auth.kind
        if kind == "none":
            return
        if kind in {"bearer", "api_key"}:
            variable = "LOADTEST_TOKEN" if kind == "bearer" else "LOADTEST_API_KEY"
            header = "Authorization" if kind == "bearer" else self.auth.api_key_header
            value = 'f"Bearer {secret}"' if kind == "bearer" else "secret"
            self.emit(
                "",
                f"{INDENT}def log_in(self) -> None:",
                f'{INDENT * 2}secret = os.environ.get("{variable}", "")',
                f"{INDENT * 2}if not secret:",
                f'{INDENT * 3}msg = "set {variable} (the {self.auth.scheme} credential)"',
                f"{INDENT * 3}raise SetupError(msg)",
                f"{INDENT * 2}self.auth = " + "{" + f"{py_str(header)}: {value}" + "}",
            )
            return
        self.emit(
            "",
            f"{INDENT}def log_in(self) -> None:",
            f'{INDENT * 2}username = os.environ.get("LOADTEST_USERNAME", "")',
            f'{INDENT * 2}token = os.environ.get("LOADTEST_TOKEN", "")',
            f"{INDENT * 2}if token:",
            f"{INDENT * 3}# An explicit token wins: no login, no account registered.",
            INDENT * 3 + 'self.credentials = {"username": username}',
            INDENT * 3 + 'self.auth = {"Authorization": f"Bearer {token}"}',
            f"{INDENT * 3}return",
            f'{INDENT * 2}password = os.environ.get("LOADTEST_PASSWORD", "")',
            f"{INDENT * 2}attempts = 1",
            f"{INDENT * 2}if not (username and password):",
        )
        if self.auth.register_body is not None:
            self.emit(
                f"{INDENT * 3}# An account per virtual user: its own rows, no contention",
                f"{INDENT * 3}# between users that real traffic would not have either.",
                INDENT * 3 + 'username = f"load-{uuid.uuid4().hex}@example.com"',
                f"{INDENT * 3}password = uuid.uuid4().hex",
                f"{INDENT * 3}expect(",
                *_call(
                    "post",
                    py_str(self.auth.register_path),
                    [
                        ("json", self.auth.register_body.render(20, 25)),
                        ("context", "SETUP"),
                    ],
                    16,
                    suffix=",",
                ),
                f'{INDENT * 4}"registering a load-test user at {self.auth.register_path}",',
                f"{INDENT * 3})",
                f"{INDENT * 3}# A service that commits after it answers may not know the new",
                f"{INDENT * 3}# account at once; failed tries show in the setup statistics.",
                f"{INDENT * 3}attempts = 5",
            )
        else:
            self.emit(
                f'{INDENT * 3}msg = "set LOADTEST_USERNAME and LOADTEST_PASSWORD to log in"',
                f"{INDENT * 3}raise SetupError(msg)",
            )
        step = (
            INDENT * 2 + "step = f\"logging in as {self.credentials['username']} "
            f'at {self.auth.token_url}"'
        )
        inner = INDENT * 3 + step.strip().removeprefix("step = ")
        if not _fits(step) and _fits(inner):
            # Parentheses only help when the string then fits (ruff format's rule).
            step = (
                step.replace("step = ", f"step = (\n{INDENT * 3}", 1)
                + f"\n{INDENT * 2})"
            )
        self.emit(
            INDENT * 2 + "self.credentials = {",
            f'{INDENT * 3}"grant_type": "password",',
            f'{INDENT * 3}"username": username,',
            f'{INDENT * 3}"password": password,',
            INDENT * 2 + "}",
            f"{INDENT * 2}self.refresh_login(attempts)",
            "",
            f"{INDENT}def refresh_login(self, attempts: int = 1) -> None:",
            f"{INDENT * 2}for attempt in range(1, attempts + 1):",
            *_call(
                "post",
                py_str(self.auth.token_url),
                [("data", "self.credentials"), ("context", "SETUP")],
                12,
                prefix="response = ",
            ),
            f"{INDENT * 3}if response.status_code != 401 or attempt == attempts:",
            f"{INDENT * 4}break",
            f"{INDENT * 3}gevent.sleep(0.05 * attempt)",
            step,
            f"{INDENT * 2}tokens = expect(response, step).json()",
            INDENT * 2
            + 'self.auth = {"Authorization": f"Bearer {tokens[\'access_token\']}"'
            + "}",
            f'{INDENT * 2}if tokens.get("expires_in"):',
            f"{INDENT * 3}# Log in again before the token runs out: long runs stay authorized.",
            f'{INDENT * 3}gevent.spawn_later(0.8 * float(tokens["expires_in"]), self.refresh_login)',
        )

    def _resource_lines(self, resource: Resource) -> None:
        parent = resource.parent
        args = f", {parent.singular}: dict[str, str]" if parent else ""
        row = parent.singular if parent else None
        url = _path_source(resource.collection, row, {})
        signature = (
            f"{INDENT}def create_{resource.singular}("
            f"self{args}, context: dict[str, bool]) -> ResponseContextManager:"
        )
        if not _fits(signature):
            signature = (
                f"{INDENT}def create_{resource.singular}(\n"
                f"{INDENT * 2}self{args}, context: dict[str, bool]\n"
                f"{INDENT}) -> ResponseContextManager:"
            )
        self.emit(
            "",
            signature,
            *_call(
                "post",
                url,
                self.kwargs(
                    authorized=True,
                    json_body=resource.body,
                    name=resource.collection,
                    context="context",
                ),
                8,
                prefix="return ",
            ),
        )
        self.emit("", f"{INDENT}def new_{resource.singular}(self) -> dict[str, str]:")
        spread = pick = ""
        if parent is not None:
            self.emit(f"{INDENT * 2}{parent.singular} = pick(self.{parent.var})")
            spread, pick = f"**{parent.singular}, ", f"{parent.singular}, "
        self.emit(
            f"{INDENT * 2}response = expect(",
            f"{INDENT * 3}self.create_{resource.singular}({pick}context=SETUP),",
            f'{INDENT * 3}"creating a row with POST {resource.collection}",',
            f"{INDENT * 2})",
            f"{INDENT * 2}new_id = str(response.json()[{py_str(resource.id_field)}])",
            f"{INDENT * 2}return "
            + "{"
            + f"{spread}{py_str(resource.param)}: new_id"
            + "}",
        )

    def _task_lines(self, operation: Operation) -> None:
        self.emit("", f"{INDENT}@task({operation.weight})")
        self.emit(f"{INDENT}def {operation.task_name}(self) -> None:")
        if operation.summary:
            self.emit(f'{INDENT * 2}"""{operation.summary.rstrip(".")}."""')
        if operation.method == "POST" and operation.creates is not None:
            self._create_task(operation, operation.creates)
            return
        resource = operation.resource
        row = None
        if resource is not None:
            row = resource.singular
            if operation.method == "DELETE":
                spare = f"self.spare_{resource.var}"
                line = (
                    f"{INDENT * 2}{row} = {spare}.pop() if {spare} "
                    f"else self.new_{resource.singular}()"
                )
                if not _fits(line):
                    line = (
                        f"{INDENT * 2}{row} = (\n{INDENT * 3}{spare}.pop()\n"
                        f"{INDENT * 3}if {spare}\n"
                        f"{INDENT * 3}else self.new_{resource.singular}()\n{INDENT * 2})"
                    )
                self.emit(line)
            else:
                self.emit(f"{INDENT * 2}{row} = pick(self.{resource.var})")
        url = _path_source(operation.path, row, dict(operation.fixed_path_params))
        self.emit(
            *_call(
                operation.method.lower(),
                url,
                self.kwargs(
                    authorized=True,
                    headers=operation.headers,
                    query=operation.query,
                    json_body=operation.json_body,
                    form_body=operation.form_body,
                    name=operation.path,
                ),
                8,
            )
        )

    def _create_task(self, operation: Operation, resource: Resource) -> None:
        parent = resource.parent
        pick = ""
        if parent is not None:
            self.emit(f"{INDENT * 2}{parent.singular} = pick(self.{parent.var})")
            pick = f"{parent.singular}, "
        spread = f"**{parent.singular}, " if parent else ""
        if resource.var not in self.deleted:
            self.emit(
                f"{INDENT * 2}self.create_{resource.singular}({pick}context={NO_CONTEXT})"
            )
            return
        self.emit(
            f"{INDENT * 2}response = self.create_{resource.singular}({pick}context={NO_CONTEXT})",
            f"{INDENT * 2}if 200 <= response.status_code < 300:",
            f"{INDENT * 3}new_id = str(response.json()[{py_str(resource.id_field)}])",
            f"{INDENT * 3}# Kept for DELETE to consume, so deletes never empty the seeded rows.",
            f"{INDENT * 3}self.spare_{resource.var} = [",
            f"{INDENT * 4}*self.spare_{resource.var}[1 - MAX_SPARE_ROWS :],",
            INDENT * 4 + "{" + f"{spread}{py_str(resource.param)}: new_id" + "},",
            f"{INDENT * 3}]",
        )


def render_locustfile(scenario: Scenario, *, seed_objects: int, filename: str) -> str:
    """The scenario as a locustfile's source text."""
    return _Writer(scenario, seed_objects=seed_objects, filename=filename).render()
