"""The Python side of a revision: statement spans, suppressions, functions."""

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from .model import Revision

SUPPRESSION = re.compile(r"#\s*migration-safety:\s*ignore\[([^\]]*)\]\s*(.*)$")


@dataclass(frozen=True)
class Suppression:
    line: int
    rules: frozenset[str]
    reason: str


class SourceIndex:
    """Answers "which statement is on this line" and "is this finding suppressed"."""

    def __init__(self, revision: Revision) -> None:
        self.revision = revision
        self.lines = revision.source.splitlines()
        self._statements = [
            node
            for node in ast.walk(revision.tree)
            if isinstance(node, ast.stmt) and not isinstance(node, ast.Module)
        ]
        self.suppressions = _suppressions(revision.source)

    def function(self, name: str) -> ast.FunctionDef | None:
        for node in self.revision.tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
        return None

    def statement_at(self, line: int) -> ast.stmt | None:
        """The innermost statement spanning `line` (an op call's own line)."""
        best: ast.stmt | None = None
        for node in self._statements:
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end and (
                best is None
                or end - node.lineno <= (best.end_lineno or 0) - best.lineno
            ):
                best = node
        return best

    def report_line(self, line: int) -> int:
        node = self.statement_at(line)
        if node is None or isinstance(node, ast.FunctionDef):
            return line
        return node.lineno

    def suppression_for(self, rule: str, line: int) -> Suppression | None:
        """A suppression on the statement's lines or the comment lines above it."""
        node = self.statement_at(line)
        first, last = line, line
        if node is not None and not isinstance(node, (ast.FunctionDef, ast.With)):
            first, last = node.lineno, node.end_lineno or node.lineno
        while first > 1 and self.lines[first - 2].strip().startswith("#"):
            first -= 1
        for suppression in self.suppressions:
            if first <= suppression.line <= last and rule in suppression.rules:
                return suppression
        return None


def _suppressions(source: str) -> list[Suppression]:
    if "migration-safety" not in source:
        # Tokenizing is the slow part of reading a revision; most have nothing to find.
        return []
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = SUPPRESSION.search(token.string)
        if match:
            rules = frozenset(
                rule.strip() for rule in match.group(1).split(",") if rule.strip()
            )
            found.append(Suppression(token.start[0], rules, match.group(2).strip()))
    return found


def downgrade_state(index: SourceIndex) -> tuple[str, int] | None:
    """('missing' | 'empty', line) when downgrade() cannot undo what upgrade() does.

    A revision that does nothing either way (a merge point, an empty baseline)
    needs no downgrade.
    """
    function = index.function("downgrade")
    upgrade = index.function("upgrade")
    if function is None:
        return "missing", upgrade.lineno if upgrade else 1
    if not _does_nothing(function) or (upgrade is not None and _does_nothing(upgrade)):
        return None
    return "empty", function.lineno


def _does_nothing(function: ast.FunctionDef) -> bool:
    """Only `pass`, docstrings and `...` in the body."""
    return all(
        isinstance(node, ast.Pass)
        or (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and (isinstance(node.value.value, str) or node.value.value is Ellipsis)
        )
        for node in function.body
    )


def uses_live_connection(index: SourceIndex) -> int | None:
    """The line of an `op.get_bind()` in upgrade(): offline rendering cannot run it."""
    function = index.function("upgrade")
    if function is None:
        return None
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get_bind", "get_x_argument"}
        ):
            return node.lineno
    return None
