"""Benchmark the generated service against two references, with its own load tester.

Bakes the default service, installs it, migrates a fresh PostgreSQL database,
seeds one user with ITEMS items, and serves it as in production (`python -m`,
one worker per core, APP_ENV=production). Beside it, with the same server and
settings, it serves the references in benchmarks/reference_apps.py:

- ceiling: a bare `async def` FastAPI route, the stack's best case;
- same work: the item list done the shortest way (bare Starlette, the same
  token check, the same query with asyncpg, the same JSON).

Each route is measured twice with scripts/api_load_tester.py: a closed model
(USERS users in a loop) for its maximum throughput, and an open model at a
fixed rate for p50/p99. Throughput is also printed as a ratio of both
references, which compares across machines better than raw numbers. Finally
the item list runs at half its maximum rate, where its p99 should stay low.

Run: .venv/bin/python benchmarks/service.py [--duration 10] [--rate 200]
     [--service-from GIT_REF]   # e.g. the commit before an optimization
(needs PostgreSQL on 127.0.0.1:5432 as user postgres, like the test suite).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TEMPLATE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE))
from tests.conftest import run, subprocess_env  # noqa: E402 - the template's helpers

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ITEMS = 1000
USERS = 32
SECRET_KEY = "benchmark-secret-key-of-sufficient-length"
EMAIL = "bench@example.com"
PASSWORD = "benchmark password"


@dataclass(frozen=True)
class Target:
    name: str
    host: str
    operation: str  # as the load tester's --only names it
    openapi: str | None = None  # for apps that publish none
    writes: bool = False


@dataclass(frozen=True)
class Measurement:
    rps: float
    error_rate: float
    p50: float | None
    p99: float | None
    valid: bool
    reasons: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def psql(sql: str, database: str = "postgres") -> None:
    run(["psql", "-q", f"{POSTGRES}/{database}", "-c", sql], cwd=TEMPLATE)


@contextmanager
def server(args: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """Start a server process, wait until it answers, stop it afterwards."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env=subprocess_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log.seek(0)
                    sys.exit(f"{' '.join(args)} did not start:\n{log.read().decode()}")
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def load(
    project: Path,
    target: Target,
    token: str,
    out: Path,
    model: list[str],
    duration: int,
) -> Measurement:
    args = [
        ".venv/bin/python",
        "scripts/api_load_tester.py",
        "--host",
        target.host,
        "--only",
        target.operation,
        "--token",
        token,
        *model,
        "--duration",
        f"{duration}s",
        "--warmup",
        "2s",
        "--out",
        str(out),
        "--no-plots",
    ]
    if target.openapi:
        args += ["--openapi", target.openapi]
    if target.writes:
        args.append("--include-writes")
    # Exit code 3 (invalid run) still carries numbers: report it, do not hide it.
    done = subprocess.run(
        args, cwd=project, env=subprocess_env(), capture_output=True, text=True
    )
    report_file = out / "report.json"
    if not report_file.is_file():
        sys.exit(
            f"the load tester wrote no report for {target.name}:\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    report: dict[str, Any] = json.loads(report_file.read_text())
    summary = report["summary"]
    return Measurement(
        rps=summary["rps"],
        error_rate=summary["error_rate"],
        p50=summary["latency_ms"].get("p50"),
        p99=summary["latency_ms"].get("p99"),
        valid=report["validity"]["valid"],
        reasons=report["validity"]["reasons"],
    )


def wrk(url: str, token: str | None, duration: int) -> float:
    """Requests per second wrk reaches on one URL (2 threads, USERS connections)."""
    args = ["wrk", "-t2", f"-c{USERS}", f"-d{duration}s", url]
    if token is not None:
        args[1:1] = ["-H", f"Authorization: Bearer {token}"]
    output = run(args, cwd=TEMPLATE, timeout=duration + 60).stdout
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    sys.exit(f"wrk printed no rate:\n{output}")


def bearer_schema(service: str, operation: str, destination: Path) -> str:
    """The service's OpenAPI cut to one operation, secured by a plain bearer token.

    Every target then runs as the seeded user (`--token`) instead of registering
    fresh, empty users, so the item list reads the same 20 rows everywhere.
    """
    method, path = operation.split(" ", 1)
    schema: dict[str, Any] = httpx.get(f"{service}/openapi.json").json()
    entry = schema["paths"][path][method.lower()]
    entry["security"] = [{"bearer": []}]
    schema["paths"] = {path: {method.lower(): entry}}
    schema["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"}
    }
    destination.write_text(json.dumps(schema))
    return str(destination)


def bake_and_install(workdir: Path, ref: str | None = None) -> Path:
    """Bake the defaults (from this checkout, or from commit `ref`) and install."""
    workdir.mkdir()
    template = TEMPLATE
    if ref is not None:
        template = workdir / "template"
        template.mkdir()
        archive = subprocess.run(
            ["git", "archive", ref], cwd=TEMPLATE, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(template)], input=archive, check=True)
    run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(workdir / "out"),
            str(template),
        ],
        cwd=TEMPLATE,
    )
    project = next((workdir / "out").iterdir())
    run(["make", "install"], cwd=project)
    shutil.copy(
        TEMPLATE / "benchmarks" / "reference_apps.py", project / "reference_apps.py"
    )
    return project


def seed(url: str, database: str) -> str:
    """Register the benchmark user, give it ITEMS items, return its access token."""
    with httpx.Client(base_url=f"{url}/api/v1") as api:
        api.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
        tokens = api.post("/auth/token", data={"username": EMAIL, "password": PASSWORD})
        tokens.raise_for_status()
    psql(
        "INSERT INTO items (id, owner_id, name, description, version) "
        f"SELECT gen_random_uuid(), users.id, 'item ' || n, 'seeded item ' || n, 1 "
        f"FROM users, generate_series(1, {ITEMS}) AS n WHERE users.email = '{EMAIL}'; "
        "ANALYZE",
        database,
    )
    token: str = tokens.json()["access_token"]
    return token


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--rate", type=float, default=200, help="open-model req/s")
    parser.add_argument(
        "--service-from",
        metavar="GIT_REF",
        help="measure the service as baked from this commit (the load tester, the "
        "references and the seed still come from this checkout)",
    )
    args = parser.parse_args()
    workers = os.cpu_count() or 1

    with ExitStack() as stack:
        workdir = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-"))
        )
        print(f"baking and installing the default service in {workdir} ...", flush=True)
        project = bake_and_install(workdir / "current")
        measured = project
        if args.service_from:
            measured = bake_and_install(workdir / "measured", args.service_from)
        package = next(p.name for p in (measured / "src").iterdir() if p.is_dir())
        database = f"bench_{uuid.uuid4().hex[:12]}"
        psql(f'CREATE DATABASE "{database}"')
        stack.callback(psql, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        env = {
            "APP_ENV": "production",
            "DATABASE_URL": f"{POSTGRES}/{database}",
            "SECRET_KEY": SECRET_KEY,
            # One account drives the whole load, and every virtual user registers
            # from this one address: the limiter runs, never refuses.
            "RATE_LIMIT_CALLER": "1000000/second",
            "RATE_LIMIT_LOGIN": "1000000/second",
            "RATE_LIMIT_REGISTER": "1000000/second",
            # The targets' schemas are cut from the service's own.
            "EXPOSE_OPENAPI": "true",
            "WORKERS": str(workers),
            "HOST": "127.0.0.1",
        }
        run([".venv/bin/alembic", "upgrade", "head"], cwd=measured, env=env)

        ports = {name: free_port() for name in ("service", "ceiling", "same_work")}
        service = stack.enter_context(
            server(
                [".venv/bin/python", "-m", package],
                measured,
                env | {"PORT": str(ports["service"])},
                ports["service"],
            )
        )
        uvicorn = [".venv/bin/python", "-m", "uvicorn", "--workers", str(workers)]
        uvicorn += ["--no-access-log", "--log-level", "warning", "--host", "127.0.0.1"]
        ceiling = stack.enter_context(
            server(
                [*uvicorn, "--port", str(ports["ceiling"]), "reference_apps:ceiling"],
                project,
                env,
                ports["ceiling"],
            )
        )
        same_work = stack.enter_context(
            server(
                [
                    *uvicorn,
                    "--port",
                    str(ports["same_work"]),
                    "reference_apps:same_work",
                ],
                project,
                env,
                ports["same_work"],
            )
        )
        token = seed(service, database)

        def schema(operation: str) -> str:
            name = operation.replace(" ", "_").replace("/", "_")
            return bearer_schema(service, operation, workdir / f"{name}.json")

        items = "GET /api/v1/items"
        targets = [
            Target("ceiling: bare async route", ceiling, "GET /bare"),
            Target(
                "same work: bare Starlette + asyncpg",
                same_work,
                items,
                openapi=schema(items),
            ),
            Target("GET /health/live", service, "GET /health/live"),
            Target(
                "GET /api/v1/users/me",
                service,
                "GET /api/v1/users/me",
                openapi=schema("GET /api/v1/users/me"),
            ),
            Target("GET /api/v1/items?limit=20", service, items, openapi=schema(items)),
            Target(
                "POST /api/v1/items",
                service,
                "POST /api/v1/items",
                openapi=schema("POST /api/v1/items"),
                writes=True,
            ),
        ]
        results: dict[str, tuple[Measurement, Measurement]] = {}
        for number, target in enumerate(targets):
            print(f"measuring {target.name} ...", flush=True)
            closed = load(
                project,
                target,
                token,
                workdir / f"closed-{number}",
                ["--users", str(USERS)],
                args.duration,
            )
            fixed = load(
                project,
                target,
                token,
                workdir / f"open-{number}",
                ["--rate", str(args.rate)],
                args.duration,
            )
            results[target.name] = (closed, fixed)

        # The same two routes through wrk, a generator much lighter than ours.
        by_wrk: tuple[float, float] | None = None
        if shutil.which("wrk"):
            print("measuring the ceiling and the item list with wrk ...", flush=True)
            by_wrk = (
                wrk(f"{ceiling}/bare", None, args.duration),
                wrk(f"{service}/api/v1/items?limit=20", token, args.duration),
            )

        item_list = targets[4]
        half = results[item_list.name][0].rps / 2
        at_half = load(
            project,
            item_list,
            token,
            workdir / "half",
            ["--rate", f"{half:.0f}"],
            args.duration,
        )

    ceiling_rps = results[targets[0].name][0].rps
    same_work_rps = results[targets[1].name][0].rps
    print()
    print(
        f"service from {args.service_from or 'this checkout'}; "
        f"{workers} workers per server; closed model {USERS} users, open model "
        f"{args.rate:g} req/s; {args.duration} s per run; {ITEMS} items seeded"
    )
    header = (
        f"{'route':<38} {'max req/s':>9} {'vs ceiling':>10} {'vs same work':>12}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  validity"
    )
    print(header)
    print("-" * len(header))
    for name, (closed, fixed) in results.items():
        notes = [*closed.reasons, *fixed.reasons]
        print(
            f"{name:<38} {closed.rps:>9.0f} {closed.rps / ceiling_rps:>10.1%}"
            f" {closed.rps / same_work_rps:>12.1%} {fmt(fixed.p50):>7} {fmt(fixed.p99):>7}"
            f" {max(closed.error_rate, fixed.error_rate):>6.1%}"
            f"  {'valid' if closed.valid and fixed.valid else 'INVALID: ' + '; '.join(notes)}"
        )
    if by_wrk is not None:
        bare, listed = by_wrk
        print(
            f"wrk ({USERS} connections): ceiling {bare:.0f} req/s, item list"
            f" {listed:.0f} req/s = {listed / bare:.1%} of the ceiling"
        )
    else:
        print("wrk: not installed, not measured")
    print()
    print(
        f"item list at half its maximum rate ({half:.0f} req/s): p50 {fmt(at_half.p50)} ms,"
        f" p99 {fmt(at_half.p99)} ms"
        + ("" if at_half.valid else f" (INVALID: {'; '.join(at_half.reasons)})")
    )


if __name__ == "__main__":
    main()
