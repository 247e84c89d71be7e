"""`scripts/scaffold.py` refuses bad input before writing anything, and writes the
pattern the example resource follows."""

import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Names no resource of this service has, whatever it has scaffolded so far.
NEW = f"probe_{uuid.uuid4().hex[:8]}_widgets"
NOWHERE = f"probe_{uuid.uuid4().hex[:8]}_gadgets"
SCAFFOLD = ROOT / "scripts" / "scaffold.py"
PACKAGE = ROOT / "src" / "{{ cookiecutter.package_name }}"
CONTRACT = {
    "openapi": "3.1.0",
    "components": {
        "schemas": {
            "Account": {
                "type": "object",
                "required": ["iban", "balance", "status"],
                "properties": {
                    "id": {"type": "string", "format": "uuid", "readOnly": True},
                    "iban": {"type": "string", "maxLength": 34},
                    "balance": {"type": "number"},
                    "status": {"type": "string", "enum": ["open", "closed"]},
                    "opened_on": {"type": "string", "format": "date"},
                    "note": {"type": ["string", "null"]},
                    "limits": {"type": "object"},
                    "sequence": {"type": "integer", "format": "int64"},
                },
            },
        },
    },
}


def load_scaffold() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scaffold", SCAFFOLD)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snapshot() -> dict[str, int]:
    """Every file the scaffolder could write or change, with its modification time."""
    return {
        str(path.relative_to(ROOT)): path.stat().st_mtime_ns
        for folder in ("src", "tests", "migrations")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def scaffold(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCAFFOLD), "resource", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(CONTRACT))
    return path


REFUSED = {
    "keyword": (["class", "--field", "name:str"], "is a Python keyword"),
    "existing-package": (["health", "--field", "name:str"], "exists already"),
    "unknown-type": ([NEW, "--field", "iban:string"], "unknown type 'string'"),
    "duplicate-field": (
        [NEW, "--field", "iban:str", "--field", "iban:text"],
        "given twice",
    ),
    "reserved-field": ([NEW, "--field", "version:int"], "is taken"),
    "bad-length": ([NEW, "--field", "iban:str:long"], "neither a number"),
    "float-money": ([NEW, "--field", "balance:float"], "unknown type"),
    "enum-without-values": ([NEW, "--field", "status:enum"], "list its values"),
    "reference-to-nothing": (
        [NEW, "--field", f"gadget_id:ref:{NOWHERE}"],
        f"no resource {NOWHERE!r}",
    ),
    "singular": ([NEW.removesuffix("s"), "--field", "name:str"], "reads as singular"),
    "no-fields": ([NEW], "at least one --field"),
}


@pytest.mark.parametrize(("args", "message"), REFUSED.values(), ids=list(REFUSED))
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    args: list[str], message: str
) -> None:
    before = snapshot()

    done = scaffold(*args)

    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert snapshot() == before


def test_an_openapi_reference_that_does_not_resolve_is_refused(contract: Path) -> None:
    before = snapshot()

    done = scaffold(NEW, "--from-openapi", f"{contract}#/components/schemas/Acount")

    assert done.returncode == 2
    assert "'Acount' does not resolve" in done.stderr
    assert snapshot() == before


def test_dry_run_lists_what_it_would_write_and_writes_nothing(contract: Path) -> None:
    before = snapshot()

    done = scaffold(
        NEW,
        "--owned",
        "--from-openapi",
        f"{contract}#/components/schemas/Account",
        "--dry-run",
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    package = PACKAGE.relative_to(ROOT)
    assert f"would create  {package}/{NEW}/router.py" in lines
    assert f"would create  tests/{NEW}/test_router.py" in lines
    assert f"would rewrite {package}/api.py" in lines
    assert f"would rewrite {package}/models_registry.py" in lines
    assert f"would create  migrations/versions/<today>_create_{NEW}.py" in lines
    assert snapshot() == before


def test_openapi_properties_become_fields(contract: Path) -> None:
    fields = load_scaffold().fields_from_openapi(
        f"{contract}#/components/schemas/Account"
    )

    assert [(f.name, f.kind, f.optional) for f in fields] == [
        ("iban", "str", False),
        ("balance", "decimal", False),  # money is never a float
        ("status", "enum", False),
        ("opened_on", "date", True),
        ("note", "text", True),
        ("limits", "json", True),
        ("sequence", "bigint", True),
    ]
{%- if cookiecutter.example_resource %}


def test_items_is_written_in_the_pattern_the_scaffolder_emits(tmp_path: Path) -> None:
    scaffolder = load_scaffold()
    items = scaffolder.Resource(
        name="items",
        singular="item",
        model="Item",
        owned=True,
        fields=[
            scaffolder.parse_field("name:str:200"),
            scaffolder.parse_field("description:text:2000:optional"),
        ],
    )
    written = {
        "models.py": scaffolder.render_models(items),
        "schemas.py": scaffolder.render_schemas(items),
        "service.py": scaffolder.render_service(items, {}),
        "router.py": scaffolder.render_router(items),
    }
    for name, text in written.items():
        (tmp_path / name).write_text(text)
    config = ["--config", str(ROOT / "pyproject.toml")]
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", *config, "--fix", "-q", str(tmp_path)], check=True)
    subprocess.run([*ruff, "format", *config, "-q", str(tmp_path)], check=True)

    for name in written:
        shipped = (PACKAGE / "items" / name).read_text()
        assert (tmp_path / name).read_text() == shipped, name
{%- endif %}
