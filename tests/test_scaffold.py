"""A new resource is one command: scaffolded into a fresh bake, `make check` passes."""

from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.conftest import ANSWER_SETS, TEMPLATE, run

# A contract written API-first, as a team would hand it over.
CONTRACT = """\
openapi: 3.1.0
info: {title: Accounts, version: "1"}
paths: {}
components:
  schemas:
    Account:
      type: object
      required: [iban, currency, balance, status]
      properties:
        id: {type: string, format: uuid, readOnly: true}
        iban: {type: string, maxLength: 34}
        currency: {type: string, maxLength: 3}
        balance: {type: string, format: decimal}
        status: {type: string, enum: [open, frozen, closed]}
        opened_on: {type: string, format: date}
        overdraft_limit: {type: number}
        tags: {type: object}
"""


@pytest.mark.xdist_group("scaffold")
def test_scaffolded_resources_pass_make_check(tmp_path: Path) -> None:
    """One resource from an OpenAPI schema, one referencing it, into a fresh bake.

    API keys: the tests' callers must be granted the new resources' permissions.
    """
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\n")
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context=ANSWER_SETS["api-key"],
            output_dir=str(tmp_path / "bake"),
            config_file=str(config),
        )
    )
    (project / "contract.yaml").write_text(CONTRACT)
    run(["make", "install"], cwd=project)

    run(
        [
            "make",
            "resource",
            "name=accounts",
            "openapi=contract.yaml#/components/schemas/Account",
            "owned=yes",
        ],
        cwd=project,
    )
    run(
        [
            "make",
            "resource",
            "name=transfers",
            "fields=account_id:ref:accounts amount:decimal:18:2 "
            "reference:str:35:optional booked_at:datetime",
            "owned=yes",
        ],
        cwd=project,
    )

    package = next(path for path in (project / "src").iterdir() if path.is_dir())
    api = (package / "api.py").read_text()
    for name in ("accounts", "transfers"):
        mount = f"{name}_router, prefix=API_PREFIX, dependencies=AUTHENTICATED"
        assert mount in api
        assert (project / "tests" / name / "test_router.py").is_file()
    migrations = sorted((project / "migrations" / "versions").glob("*_create_*.py"))
    assert [path.name.split("_", 1)[1] for path in migrations] == [
        "create_accounts.py",
        "create_transfers.py",
    ]
    run(["make", "check"], cwd=project)
