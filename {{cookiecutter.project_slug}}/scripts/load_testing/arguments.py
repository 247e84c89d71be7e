"""The command line's contract: its options, its exit codes, its usage errors."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import NoReturn

EXIT_OK = 0
EXIT_SLO_BREACH = 1
EXIT_REGRESSION = 2
EXIT_INVALID = 3
EXIT_USAGE = 4

SCRIPT = Path(__file__).resolve().parents[1] / "api_load_tester.py"
PROJECT = SCRIPT.parents[1]
DEFAULT_SLO_FILE = PROJECT / "perf" / "slo.yaml"
DEFAULT_HOST = "http://127.0.0.1:8000"
CREDENTIAL_VARIABLES = {
    "username": "LOADTEST_USERNAME",
    "password": "LOADTEST_PASSWORD",
    "token": "LOADTEST_TOKEN",
    "api_key": "LOADTEST_API_KEY",
}

EPILOG = """\
load models:
  open    --rate R: R requests per second on a fixed schedule, whatever the
          latency; latency counts from each request's intended send time, so a
          server stall shows up in the percentiles (no coordinated omission).
          --users N sets how many virtual users (accounts) share the schedule.
  closed  --users N (no --rate): N users each wait for an answer (and
          --think-time) before sending again.

examples:
  python scripts/api_load_tester.py --rate 50 --duration 60s --analyze
  python scripts/api_load_tester.py --users 20 --include-writes --duration 2m
  python scripts/api_load_tester.py --rate 200 --analyze --baseline perf/baseline.json
  python scripts/api_load_tester.py --analyze --report perf/results/report.json
  python scripts/api_load_tester.py --generate-locustfile perf/locustfile.py
  python scripts/api_load_tester.py --locustfile perf/locustfile.py --rate 50

beyond one machine (Locust's master/worker mode):
  --processes N runs N worker processes here. Across machines, start
  `--master --expect-workers N` with the load options, and on each machine
  `--worker --master-host HOST --locustfile FILE` (the same locustfile; write
  it with --generate-locustfile). On Kubernetes: put the locustfile in a
  ConfigMap, run the master as a Job with a Service on port 5557, and the
  workers as a Deployment of N replicas running
  `python scripts/api_load_tester.py --worker --master-host <service>
  --locustfile /scenario/locustfile.py` from an image of this project with its
  `tools` dependency group installed.

credentials: LOADTEST_USERNAME/LOADTEST_PASSWORD (OAuth2 password login; without
them each virtual user registers its own account where the API allows it),
LOADTEST_TOKEN (bearer), LOADTEST_API_KEY; the flags of the same names override.

exit codes: 0 pass, 1 SLO breach, 2 regression against the baseline,
3 invalid run (the load could not be sent as asked, or a login/setup failed),
4 usage error.
"""


class UsageError(Exception):
    """The command line asks for something that cannot be done."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line that says what is wrong; the usage block would bury it.
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


def parse_seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?", text.strip())
    if match is None:
        msg = f"{text!r} is not a duration: e.g. 30s, 2m, 500ms"
        raise argparse.ArgumentTypeError(msg)
    scale = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[match.group(2)]
    return float(match.group(1)) * scale


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        msg = f"{text!r} is not a whole number of at least 1"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        msg = f"{text!r} is not a number above 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def weight(text: str) -> tuple[str, int]:
    key, _, value = text.rpartition("=")
    if not key or not value.isdigit():
        msg = f"{text!r}: expected 'METHOD /path=WEIGHT', e.g. 'GET /api/v1/items=5'"
        raise argparse.ArgumentTypeError(msg)
    method, _, path = key.strip().partition(" ")
    return f"{method.upper()} {path.strip()}", int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python scripts/api_load_tester.py",
        description=(
            "Load-test this service from its OpenAPI document with Locust, check "
            "SLOs and compare with a baseline."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--host",
        default=os.environ.get("LOADTEST_HOST", DEFAULT_HOST),
        help="base URL of the service (default: $LOADTEST_HOST or %(default)s)",
    )
    target.add_argument(
        "--openapi",
        help=(
            "OpenAPI URL or file (default: HOST/openapi.json, /api/v1/openapi.json, "
            "/api/openapi.json or the link on /docs)"
        ),
    )
    target.add_argument("--username", help="log in as this user (see credentials)")
    target.add_argument("--password", help="... with this password")
    target.add_argument("--token", help="bearer token for APIs without a login")
    target.add_argument("--api-key", help="API key for APIs secured by one")

    scenario = parser.add_argument_group("scenario")
    scenario.add_argument(
        "--include-writes",
        action="store_true",
        help="also send POST, PUT, PATCH, DELETE",
    )
    scenario.add_argument(
        "--only", action="append", default=[], metavar="PATTERN",
        help="only operations matching, e.g. 'GET /api/v1/items*' (repeatable)",
    )  # fmt: skip
    scenario.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN",
        help="leave out operations matching (repeatable)",
    )  # fmt: skip
    scenario.add_argument(
        "--weight", action="append", type=weight, default=[], metavar="'METHOD /path=N'",
        help="weight of an operation in the mix (default: GET 4, writes 1)",
    )  # fmt: skip
    scenario.add_argument(
        "--seed-objects", type=positive_int, default=5, metavar="N",
        help="objects each virtual user creates to read (default: %(default)s)",
    )  # fmt: skip
    scenario.add_argument("--locustfile", type=Path, help="run this locustfile instead")
    scenario.add_argument(
        "--generate-locustfile", type=Path, metavar="PATH",
        help="write the scenario as an editable locustfile and exit",
    )  # fmt: skip

    load = parser.add_argument_group("load")
    load.add_argument(
        "--rate", type=positive_float, help="open model: requests per second"
    )
    load.add_argument(
        "--users", type=positive_int, help="virtual users (see load models)"
    )
    load.add_argument(
        "--think-time", type=parse_seconds, help="closed model: pause between requests"
    )
    load.add_argument(
        "--stages",
        metavar="DURATION:RATE,...",
        help=(
            "open model with a rate that ramps: each stage goes linearly from the "
            "previous rate (0 at first) to RATE req/s, e.g. 30s:50,2m:200,30s:0"
        ),
    )
    load.add_argument(
        "--duration",
        type=parse_seconds,
        default=None,
        help="measured time (default: 30s; with --stages, the stages after --warmup)",
    )
    load.add_argument(
        "--warmup",
        type=parse_seconds,
        default=None,
        help="unmeasured lead-in (default: 5s; with --stages 0s)",
    )
    load.add_argument(
        "--timeout", type=parse_seconds, default=10.0, help="per request (default: 10s)"
    )
    load.add_argument(
        "--check-responses",
        type=int,
        default=20,
        metavar="N",
        help=(
            "check every Nth answer of each endpoint against its OpenAPI response "
            "schema (default: 20; 0: never)"
        ),
    )
    load.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "elapsed time, req/s, p95 and errors during the run (default: a live "
            "line on a terminal, nothing otherwise; --progress in a log: every 10 s)"
        ),
    )
    load.add_argument(
        "--max-in-flight", type=positive_int, default=1000, metavar="N",
        help="open model: requests in flight at most (default: %(default)s)",
    )  # fmt: skip
    load.add_argument(
        "--setup-timeout", type=parse_seconds, default=120.0,
        help="for all virtual users to log in and seed (default: 120s)",
    )  # fmt: skip

    distributed = parser.add_argument_group("distributed")
    distributed.add_argument(
        "--processes", type=positive_int, default=1, metavar="N",
        help="worker processes on this machine, sharing the load (default: 1)",
    )  # fmt: skip
    distributed.add_argument(
        "--master", action="store_true", help="coordinate workers on other machines"
    )
    distributed.add_argument(
        "--expect-workers", type=positive_int, metavar="N",
        help="with --master: start once N workers are connected",
    )  # fmt: skip
    distributed.add_argument(
        "--master-bind-host", default="*", metavar="HOST",
        help="with --master: interface to listen on (default: all)",
    )  # fmt: skip
    distributed.add_argument(
        "--master-bind-port", type=positive_int, default=5557, metavar="PORT",
        help="with --master: port to listen on (default: %(default)s)",
    )  # fmt: skip
    distributed.add_argument(
        "--worker", action="store_true", help="send load for a master, then exit"
    )
    distributed.add_argument(
        "--master-host", default="127.0.0.1", metavar="HOST",
        help="with --worker: the master's address (default: %(default)s)",
    )  # fmt: skip
    distributed.add_argument(
        "--master-port", type=positive_int, default=5557, metavar="PORT",
        help="with --worker: the master's port (default: %(default)s)",
    )  # fmt: skip

    output = parser.add_argument_group("output")
    output.add_argument(
        "--out", type=Path, default=Path("perf/results"),
        help="directory for report.json, PNGs, locustfile.py (default: %(default)s)",
    )  # fmt: skip
    output.add_argument("--no-plots", action="store_true", help="skip the PNG charts")

    analysis = parser.add_argument_group("analysis")
    analysis.add_argument(
        "--analyze",
        action="store_true",
        help="check SLOs and the baseline; set the exit code",
    )
    analysis.add_argument(
        "--slo", action="append", default=[], metavar="[ENDPOINT:]METRIC=VALUE",
        help="e.g. p95=200ms, error_rate=1%%, min_rps=100, 'GET /api/v1/items:p99=300ms'",
    )  # fmt: skip
    analysis.add_argument(
        "--slo-file", type=Path,
        help=f"YAML objectives (default with --analyze and no --slo: {DEFAULT_SLO_FILE.relative_to(PROJECT)})",
    )  # fmt: skip
    analysis.add_argument(
        "--baseline", type=Path, help="compare with this saved report"
    )
    analysis.add_argument(
        "--save-baseline", type=Path, help="save this run as a baseline"
    )
    analysis.add_argument(
        "--tolerance",
        default="10%",
        help="allowed worsening vs the baseline (default: 10%%)",
    )
    analysis.add_argument(
        "--fail-on-inconclusive", action="store_true",
        help="exit 3 when a run is too small to judge an SLO",
    )  # fmt: skip
    analysis.add_argument(
        "--report", type=Path, help="analyze this report.json instead of running load"
    )
    return parser
