"""The option matrix: every combination of the template's choice and yes/no options
that the pre-gen hook accepts."""

import contextlib
import importlib.util
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import cookiecutter.utils
import jinja2
import pytest

from tests.conftest import TEMPLATE

# Answers that only change names or versions: the answer sets cover those.
NOT_IN_MATRIX = {"python_version"}
# Options that change a few files: each of their other values is baked with every
# combination of the options those files also depend on (the rest at defaults),
# not multiplied into the whole matrix.
SPARSE = {"use_redis": ("auth", "database", "ci", "deploy")}
SHARDS = 2

Answers = dict[str, object]


def context() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    return loaded


def matrix_options() -> dict[str, list[object]]:
    """Each choice option's values and each yes/no option's two, in template order."""
    options: dict[str, list[object]] = {}
    for name, value in context().items():
        if name.startswith("_") or name in NOT_IN_MATRIX:
            continue
        if isinstance(value, bool):
            options[name] = [True, False]
        elif isinstance(value, list):
            options[name] = list(value)
    return options


def default(option: str) -> object:
    value = context()[option]
    return value[0] if isinstance(value, list) else value


def answer(answers: Answers, option: str) -> object:
    """The value an answer set gives an option, its default when it gives none."""
    return answers.get(option, default(option))


def load_hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        name, TEMPLATE / "hooks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def product(options: dict[str, list[object]]) -> list[Answers]:
    return [
        dict(zip(options, values, strict=True))
        for values in itertools.product(*options.values())
    ]


def all_combinations() -> list[Answers]:
    """The full product with sparse options at their defaults, then the sparse ones."""
    options = matrix_options()
    dense = {
        name: values if name not in SPARSE else [default(name)]
        for name, values in options.items()
    }
    combos = product(dense)
    for name, axes in SPARSE.items():
        for value in options[name]:
            if value == default(name):
                continue
            for answers in product({axis: options[axis] for axis in axes}):
                answers[name] = value
                # Without a database there is no example resource to keep.
                if answers.get("database") == "none":
                    answers["example_resource"] = False
                combos.append(answers)
    return combos


def refused(answers: Answers) -> bool:
    """The pre-gen hook refuses this combination (e.g. local accounts, no database)."""
    return bool(load_hook("pre_gen_project").combination_errors(answers))


def combinations() -> list[Answers]:
    return [answers for answers in all_combinations() if not refused(answers)]


def shard(index: int) -> list[Answers]:
    return combinations()[index::SHARDS]


def combination_id(answers: Answers) -> str:
    return ",".join(f"{option}:{value}" for option, value in answers.items())


def distinct_files(projects: list[Path], pattern: str) -> list[Path]:
    """One file per distinct content among the projects' files matching pattern."""
    seen: dict[bytes, Path] = {}
    for project in projects:
        for path in sorted(project.glob(pattern)):
            seen.setdefault(path.read_bytes(), path)
    return list(seen.values())


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory, keyed by name and source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = MemoryBytecodeCache()


@contextlib.contextmanager
def compiled_once() -> Iterator[None]:
    """Bakes in this block share compiled templates.

    Cookiecutter builds a new Jinja environment per bake, so each bake compiles
    every file of the template again: measured, half of a bake's time (0.91 s →
    0.46 s per bake with this cache). A template whose source changed gets a new
    checksum, so it is compiled again.
    """
    base = cookiecutter.utils.StrictEnvironment

    class CachingEnvironment(base):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.bytecode_cache = _COMPILED

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cookiecutter.utils, "StrictEnvironment", CachingEnvironment)
        yield
