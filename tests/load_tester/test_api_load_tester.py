"""scripts/api_load_tester.py, run as a user runs it, against services started for real.

Every run is short (a few seconds of load); the assertions are about behaviour
(exit codes, what is measured and reported), never about how fast this machine is.
"""

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run
from tests.load_tester.conftest import LoadTester, read_report

pytestmark = pytest.mark.xdist_group("loadtest")

SHORT = ("--duration", "3s", "--warmup", "0.5s", "--timeout", "3s")
# One 1 s freeze of the whole server, 2 s into a 3 s window at 100 req/s.
STALL_EVERY, STALL_S, RATE = 250, 1.0, 100


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def latency(report: dict[str, Any], key: str) -> float:
    value: float = report["summary"]["latency_ms"][key]
    return value


def test_open_model_run_passes_its_slos(
    load_tester: LoadTester, service: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = load_tester(
        "--host", service, "--rate", "40", "--users", "2", *SHORT, "--out", out,
        "--analyze", "--slo", "p95=2s", "--slo", "error_rate=5%", "--slo", "min_rps=30",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: PASS" in result.stdout
    assert "p99.9" in result.stdout  # the terminal table
    report = read_report(out)
    assert report["parameters"]["model"] == "open"
    assert report["validity"]["valid"], report["validity"]
    # Every send the schedule planned in the window was measured, none failed:
    # reads of /items/{item_id} hit rows the virtual users created.
    planned = report["schedule"]["planned"]
    assert planned == 40 * 3
    assert report["summary"]["requests"] == planned
    # Nothing was sent off the schedule: the warmup held exactly its share.
    assert report["excluded"] == {"warmup": 40 * 0.5}
    assert report["summary"]["failures"] == 0
    # Each virtual user's registration, login and seeding worked the first time.
    assert report["setup"]["failures"] == 0, report["setup"]["errors"]
    assert set(report["endpoints"]) == {
        "GET /api/v1/items",
        "GET /api/v1/items/{item_id}",
        "GET /api/v1/users/me",
    }
    for entry in report["endpoints"].values():
        buckets = entry["histogram"]["buckets"].values()
        assert sum(buckets) == entry["requests"]
    assert report["run"]["host"] == service
    assert report["tool"]["locust"] == "2.47.0"
    assert {v["status"] for v in report["analysis"]["verdicts"]} == {"pass"}
    for chart in ("latency-histogram.png", "timeline.png"):
        width, height = png_size(out / chart)
        assert width > 500
        assert height > 300
    assert (out / "locustfile.py").is_file()


def test_closed_model_with_writes_reports_an_slo_breach(
    load_tester: LoadTester, service: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = load_tester(
        "--host", service, "--users", "2", "--include-writes", *SHORT, "--out", out,
        "--no-plots", "--analyze", "--slo", "p50=0.01ms", "--slo", "error_rate=5%",
        "--check-responses", "1",
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    assert "SLO BREACH: p50=0.01ms" in result.stdout
    report = read_report(out)
    # Every answer of the service, its 204s too, matches its own OpenAPI schema.
    assert report["checks"], report
    assert {e: r for e, r in report["checks"].items() if r["failed"]} == {}
    assert report["parameters"]["model"] == "closed"
    assert report["validity"]["valid"], report["validity"]
    writes = {"POST /api/v1/items", "PATCH /api/v1/items/{item_id}"}
    assert writes <= set(report["endpoints"])
    # A row is there as soon as its POST answers: DELETE, right after, finds it.
    assert report["summary"]["failures"] == 0, report["errors"]
    statuses = {v["objective"]: v["status"] for v in report["analysis"]["verdicts"]}
    assert statuses == {"p50=0.01ms": "breach", "error_rate=5%": "pass"}


def test_login_failure_is_an_invalid_run(
    load_tester: LoadTester, service: str, tmp_path: Path
) -> None:
    result = load_tester(
        "--host", service, "--rate", "10", "--users", "1", *SHORT,
        "--out", tmp_path, "--username", "nobody@example.com",
        "--password", "not the password",
    )  # fmt: skip

    assert result.returncode == 3, result.stdout + result.stderr
    assert "INVALID RUN" in result.stdout
    assert "logging in as nobody@example.com at /api/v1/auth/token" in result.stdout
    assert "HTTP 401" in result.stdout


@pytest.fixture(scope="module")
def open_runs(
    load_tester: LoadTester,
    stall_server: Callable[[int, float], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """The same open-model run against a steady server and against a stalling one."""
    runs = {}
    # The steady run uses two worker processes: a baseline stays comparable
    # however the load was generated.
    for name, stall_every, processes in (
        ("steady", 0, "2"),
        ("stalled", STALL_EVERY, "1"),
    ):
        out = tmp_path_factory.mktemp(name)
        host = stall_server(stall_every, STALL_S)
        result = load_tester(
            "--host", host, "--rate", str(RATE), "--users", "4", *SHORT,
            "--processes", processes, "--out", out, "--no-plots",
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        runs[name] = out
    return runs


def test_open_model_latency_shows_a_server_stall(
    load_tester: LoadTester,
    stall_server: Callable[[int, float], str],
    open_runs: dict[str, Path],
    tmp_path: Path,
) -> None:
    closed = tmp_path / "closed"
    result = load_tester(
        "--host", stall_server(STALL_EVERY, STALL_S), "--users", "1",
        "--think-time", "5ms", *SHORT, "--out", closed, "--no-plots",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    open_report = read_report(open_runs["stalled"])
    closed_report = read_report(closed)
    stall_ms = STALL_S * 1000

    # Both saw the stall happen...
    assert latency(open_report, "max") >= 0.9 * stall_ms
    assert latency(closed_report, "max") >= 0.9 * stall_ms
    # ...but the closed model's one user simply waited, so only one of its
    # requests shows it, while the open model keeps the ~100 requests that were
    # due during the stall and counts their wait from their intended send time.
    assert latency(open_report, "p99") >= 0.8 * stall_ms
    assert latency(open_report, "p90") >= 0.3 * stall_ms
    assert latency(closed_report, "p99") < 0.2 * stall_ms
    slow = sum(
        count
        for bucket, count in open_report["summary"]["histogram"]["buckets"].items()
        if int(bucket) >= 100_000
    )
    assert slow >= 0.6 * RATE * STALL_S
    print(  # the numbers behind the assertions, for the test log
        f"stall {stall_ms:.0f} ms: open p99 {latency(open_report, 'p99')} ms, "
        f"closed p99 {latency(closed_report, 'p99')} ms, "
        f"closed max {latency(closed_report, 'max')} ms"
    )


def test_processes_share_one_schedule(open_runs: dict[str, Path]) -> None:
    report = read_report(open_runs["steady"])

    assert report["parameters"]["processes"] == 2
    assert len({g["pid"] for g in report["generators"]}) == 2
    # Together the workers sent the schedule's requests, each on time.
    assert report["schedule"]["planned"] == RATE * 3
    assert report["summary"]["requests"] == RATE * 3
    assert report["validity"]["checks"]["on_time_share"] >= 0.95
    per_second = [row["requests"] for row in report["timeline"]]
    # A send due exactly on a second's boundary may land on either side of it.
    assert all(abs(count - RATE) <= 1 for count in per_second), per_second


def test_regression_against_the_baseline_exits_2(
    load_tester: LoadTester, open_runs: dict[str, Path], tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    saved = load_tester(
        "--analyze", "--report", open_runs["steady"] / "report.json",
        "--slo", "p50=10s", "--save-baseline", baseline,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stdout + saved.stderr

    result = load_tester(
        "--analyze", "--report", open_runs["stalled"] / "report.json",
        "--slo", "p50=10s", "--baseline", baseline, "--tolerance", "10%",
    )  # fmt: skip

    assert result.returncode == 2, result.stdout + result.stderr
    verdict = next(line for line in result.stdout.splitlines() if "result:" in line)
    assert "REGRESSION:" in verdict
    assert "All p99" in verdict
    assert "REGRESSED  All p99" in result.stdout


def test_baseline_with_other_parameters_is_refused(
    load_tester: LoadTester, open_runs: dict[str, Path], tmp_path: Path
) -> None:
    report = read_report(open_runs["steady"])
    report["parameters"]["rate"] = 50.0
    other = tmp_path / "other-rate.json"
    other.write_text(json.dumps(report))

    result = load_tester(
        "--analyze", "--report", open_runs["stalled"] / "report.json",
        "--baseline", other,
    )  # fmt: skip

    assert result.returncode == 4
    assert "rate: baseline 50.0, this run 100.0" in result.stderr


def test_overloaded_generator_makes_an_invalid_run(
    load_tester: LoadTester, stall_server: Callable[[int, float], str], tmp_path: Path
) -> None:
    result = load_tester(
        "--host", stall_server(0, 0), "--rate", "20000", "--users", "4",
        "--duration", "1s", "--warmup", "0.2s", "--timeout", "0.5s",
        "--out", tmp_path, "--no-plots",
        "--analyze", "--slo", "p99=10s",
    )  # fmt: skip

    assert result.returncode == 3, result.stdout + result.stderr
    assert "could not keep up" in result.stdout
    validity = read_report(tmp_path)["validity"]
    assert not validity["valid"]
    assert validity["checks"]["on_time_share"] < 0.95


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "choose a load model", id="no-load-model"),
        pytest.param(
            ["--rate", "10", "--think-time", "1s"], "--think-time is for", id="mixed"
        ),
        pytest.param(["--rate", "-5"], "not a number above 0", id="negative-rate"),
        pytest.param(
            ["--users", "2", "--duration", "soon"], "not a duration", id="dur"
        ),
        pytest.param(["--rate", "5", "--slo", "p95=1s"], "only take effect", id="slo"),
        pytest.param(
            ["--rate", "5", "--analyze", "--slo", "p95=200"], "needs a unit", id="unit"
        ),
        pytest.param(
            ["--rate", "5", "--analyze", "--slo", "p95=fast"],
            "latency 'fast' is not a number",
            id="not-a-number",
        ),
        pytest.param(
            ["--stages", "30s:50", "--rate", "5"], "drop --rate", id="stages-rate"
        ),
        pytest.param(
            ["--stages", "30s:fast"], "'30s:fast' is not DURATION:RATE", id="stages"
        ),
        pytest.param(["--stages", "10s:0"], "every target is 0", id="stages-zero"),
        pytest.param(
            ["--rate", "abc"],
            "(see python scripts/api_load_tester.py --help)",
            id="hint",
        ),
        pytest.param(
            ["--rate", "5", "--analyze", "--slo", "p95<200ms"],
            "expected METRIC=VALUE",
            id="slo-syntax",
        ),
        pytest.param(
            ["--analyze", "--report", "missing.json"], "cannot read", id="report"
        ),
        pytest.param(
            ["--rate", "5", "--analyze", "--tolerance", "lots", "--slo", "p99=1s"],
            "--tolerance",
            id="tolerance",
        ),
    ],
)
def test_bad_flags_are_usage_errors(
    load_tester: LoadTester, args: list[str], message: str
) -> None:
    result = load_tester("--host", "http://127.0.0.1:9", *args)

    assert result.returncode == 4, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    # One line, not argparse's whole usage block.
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_generated_locustfile_is_clean_and_runs_again(
    load_tester: LoadTester, project: Path, service: str, tmp_path: Path
) -> None:
    locustfile = project / "perf" / "locustfile.py"
    # Writes weigh as much as reads here, so a short run surely deletes.
    generated = load_tester(
        "--host", service, "--include-writes", "--generate-locustfile", locustfile,
        "--weight", "POST /api/v1/items=4", "--weight", "DELETE /api/v1/items/{item_id}=4",
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    run([".venv/bin/ruff", "check", str(locustfile)], cwd=project)
    run([".venv/bin/ruff", "format", "--check", str(locustfile)], cwd=project)

    result = load_tester(
        "--host", service, "--locustfile", locustfile, "--rate", "20", "--users", "2",
        *SHORT, "--out", tmp_path, "--no-plots", "--analyze", "--slo", "error_rate=5%",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path)
    assert "DELETE /api/v1/items/{item_id}" in report["endpoints"]
    assert report["summary"]["failures"] == 0, report["errors"]
    assert report["parameters"]["mix"]["ApiUser.delete_items_item_id"] == 4


ORDERS_API: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Orders", "version": "1"},
    "security": [{"key": []}],
    "components": {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        },
        "schemas": {
            "OrderIn": {
                "type": "object",
                "required": ["customer", "placed_at"],
                "properties": {
                    "customer": {"type": "string", "maxLength": 40},
                    "placed_at": {"type": "string", "format": "date-time"},
                },
            },
            "Order": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "LineIn": {
                "type": "object",
                "required": ["sku", "quantity"],
                "properties": {
                    "sku": {"type": "string", "enum": ["A-1", "B-2"]},
                    "quantity": {"type": "integer", "minimum": 1},
                },
            },
            "Line": {
                "type": "object",
                "properties": {"line_id": {"type": "string", "format": "uuid"}},
            },
        },
    },
    "paths": {
        "/v2/orders": {
            "get": {
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": ["open", "closed"]},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            },
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/OrderIn"}
                        }
                    }
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Order"}
                            }
                        },
                    }
                },
            },
        },
        "/v2/orders/{order_id}/lines": {
            "parameters": [
                {
                    "name": "order_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/LineIn"}
                        }
                    }
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Line"}
                            }
                        },
                    }
                },
            },
        },
        "/v2/orders/{order_id}/lines/{line_id}": {
            "get": {
                "x-load-weight": 7,
                "parameters": [
                    {"name": "order_id", "in": "path", "required": True},
                    {
                        "name": "line_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    },
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/v2/reports/{year}": {
            "get": {
                "parameters": [
                    {
                        "name": "year",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 2020},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/v2/things/{thing_id}": {
            "get": {
                "parameters": [{"name": "thing_id", "in": "path", "required": True}],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


def test_scenario_follows_nested_resources_and_api_keys(
    load_tester: LoadTester, project: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(ORDERS_API))
    locustfile = project / "perf" / "orders_locustfile.py"

    result = load_tester(
        "--openapi", spec, "--api-key", "k", "--generate-locustfile", locustfile
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "GET /v2/things/{thing_id}: cannot fill" in result.stdout
    run([".venv/bin/ruff", "check", str(locustfile)], cwd=project)
    run([".venv/bin/ruff", "format", "--check", str(locustfile)], cwd=project)
    source = locustfile.read_text()
    compile(source, str(locustfile), "exec")
    # Lines are read through orders they were created in, with the API key.
    assert "def new_line(self) -> dict[str, str]:" in source
    assert 'return {**order, "line_id": new_id}' in source
    assert "f\"/v2/orders/{line['order_id']}/lines/{line['line_id']}\"" in source
    assert 'self.auth = {"X-API-Key": secret}' in source
    assert "@task(7)" in source
    assert 'params={"status": "open"}' in source
    assert '"/v2/reports/2020"' in source


def test_weight_for_an_unknown_operation_is_a_usage_error(
    load_tester: LoadTester, tmp_path: Path
) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(ORDERS_API))

    result = load_tester(
        "--openapi", spec, "--api-key", "k", "--weight", "GET /v2/nothing=3",
        "--generate-locustfile", tmp_path / "locustfile.py",
    )  # fmt: skip

    assert result.returncode == 4
    [line] = result.stderr.splitlines()
    assert line == (
        "error: --weight 'GET /v2/nothing' names no operation (closest: "
        "GET /v2/things/{thing_id}, GET /v2/orders, GET /v2/reports/{year})"
    )
