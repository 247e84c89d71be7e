"""CPU per request of the generated service's hot routes, beside the two references.

Bakes the default service (or the one from --service-from GIT_REF), migrates a
fresh PostgreSQL database and runs benchmarks/asgi_driver.py with the service's
own interpreter: each app is called as ASGI directly, with no HTTP server and no
load generator sharing the cores, and the process's CPU time per request is
printed with each route's ratio to the references (a ratio of CPU per request is
a ratio of throughput per core). It measures the app's own code alone: no HTTP
server cost (benchmarks/service.py includes it) and no load generator competing
for the cores, so a profile of the same driver (py-spy) explains its numbers.
Run to run on a 2-core VM the item list moved between 540 and 682 µs, the
same-work reference with it (ratio 67-78 %): compare commits in one session.

Run: .venv/bin/python benchmarks/cpu_per_request.py [--service-from GIT_REF]
(needs PostgreSQL on 127.0.0.1:5432 as user postgres, like the test suite).
"""

import argparse
import shutil
import tempfile
import uuid
from pathlib import Path

from service import POSTGRES, SECRET_KEY, TEMPLATE, bake_and_install, psql

from tests.conftest import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="per round")
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds; the least counts"
    )
    parser.add_argument(
        "--service-from",
        metavar="GIT_REF",
        help="measure the service as baked from this commit",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cpu-bench-") as workdir:
        print(f"baking and installing the service in {workdir} ...", flush=True)
        project = bake_and_install(Path(workdir) / "service", args.service_from)
        shutil.copy(TEMPLATE / "benchmarks" / "asgi_driver.py", project)
        package = next(p.name for p in (project / "src").iterdir() if p.is_dir())
        database = f"bench_{uuid.uuid4().hex[:12]}"
        psql(f'CREATE DATABASE "{database}"')
        try:
            env = {
                "APP_ENV": "production",
                "DATABASE_URL": f"{POSTGRES}/{database}",
                "SECRET_KEY": SECRET_KEY,
                # One account drives the whole load: the limiter runs, never refuses.
                "RATE_LIMIT_CALLER": "1000000/second",
            }
            run([".venv/bin/alembic", "upgrade", "head"], cwd=project, env=env)
            print("measuring ...", flush=True)
            output = run(
                [
                    ".venv/bin/python",
                    "asgi_driver.py",
                    f"--package={package}",
                    f"--requests={args.requests}",
                    f"--repeat={args.repeat}",
                ],
                cwd=project,
                env=env,
            ).stdout
        finally:
            psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    costs = {
        name: float(cost)
        for name, cost in (line.split("\t") for line in output.splitlines() if line)
    }
    ceiling, same_work = list(costs.values())[:2]
    print()
    print(
        f"service from {args.service_from or 'this checkout'}; one process, "
        f"{args.requests} requests per round, least of {args.repeat} rounds"
    )
    header = (
        f"{'route':<38} {'CPU µs/req':>10} {'req/s/core':>10}"
        f" {'vs ceiling':>10} {'vs same work':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, cost in costs.items():
        print(
            f"{name:<38} {cost:>10.0f} {1e6 / cost:>10.0f}"
            f" {ceiling / cost:>10.1%} {same_work / cost:>12.1%}"
        )


if __name__ == "__main__":
    main()
