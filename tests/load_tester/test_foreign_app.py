"""The load tester on a service it was not written for.

foreign_app.py.txt is an ordinary FastAPI app (trailing-slash collections, items
by UUID, users by e-mail, skip/limit, OAuth2 password login, DELETE /users/me,
its schema under /api/v1/openapi.json), served by uvicorn from the service's
virtualenv. Each test reads back from the app what the load did to it.
"""

import json
import os
import pty
import py_compile
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, subprocess_env
from tests.load_tester.conftest import LoadTester, read_report, stop, wait_for

pytestmark = pytest.mark.xdist_group("loadtest")

APP = Path(__file__).with_name("foreign_app.py.txt")
API = "/api/v1"
# Short runs: these tests are about what is sent, not about latency.
QUICK = ("--users", "3", "--duration", "2", "--warmup", "0")


@dataclass(frozen=True)
class ForeignApp:
    base: str

    def stats(self) -> dict[str, int]:
        stats: dict[str, int] = httpx.get(f"{self.base}{API}/utils/stats/").json()
        return stats

    def register(self, email: str, password: str) -> None:
        created = httpx.post(
            f"{self.base}{API}/users/signup",
            json={"email": email, "password": password},
        )
        assert created.status_code == 201, created.text

    def token(self, email: str, password: str) -> str:
        response = httpx.post(
            f"{self.base}{API}/login/access-token",
            data={"username": email, "password": password},
        )
        token: str = response.json()["access_token"]
        return token


@pytest.fixture
def foreign_app(
    project: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[ForeignApp]:
    """A fresh app (empty in-memory state) for each test; `request.param` is
    its environment (SLOW_LOGINS, SLOW_LOGIN_SECONDS)."""
    env: dict[str, str] = getattr(request, "param", {})
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(APP, folder / "main.py")
    port = free_port()
    server = subprocess.Popen(
        [
            str(project / ".venv" / "bin" / "python"),
            "-m",
            "uvicorn",
            "main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=folder,
        env=subprocess_env(**env),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}{API}/utils/health-check/")
        yield ForeignApp(base)
    finally:
        stop(server)


def endpoints(out: Path) -> dict[str, Any]:
    found: dict[str, Any] = read_report(out)["endpoints"]
    return found


def test_writes_seed_real_rows_and_spare_the_callers_identity(
    load_tester: LoadTester, foreign_app: ForeignApp, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"

    result = load_tester(
        "--host", foreign_app.base, "--include-writes", *QUICK, "--out", out
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    # Not a terminal: no progress lines in the output.
    assert "req/s  p95" not in result.stderr
    # No --openapi: found where FastAPI apps usually put it.
    assert f"scenario from {foreign_app.base}{API}/openapi.json" in result.stdout
    assert "identity: a new account per virtual user, registered at" in result.stdout
    assert (
        f"DELETE {API}/users/me: acts on the caller's own account or credentials "
        f"(send it only by naming it: --only 'DELETE {API}/users/me')"
    ) in result.stdout
    assert f"PATCH {API}/users/me/password: acts on the caller's own" in result.stdout
    measured = endpoints(out)
    # The trailing-slash collection seeds the rows its item routes read.
    for key in (
        f"POST {API}/items/",
        f"GET {API}/items/",
        f"GET {API}/items/{{id}}",
        f"PUT {API}/items/{{id}}",
        f"DELETE {API}/items/{{id}}",
        f"GET {API}/users/{{email}}",
    ):
        assert measured[key]["requests"] > 0, key
        assert measured[key]["failures"] == 0, (key, result.stdout)
    stats = foreign_app.stats()
    assert stats["deleted_accounts"] == 0
    assert stats["password_changes"] == 0
    assert stats["items"] > 0
    # The generated locustfile compiles and passes the service's linter and formatter.
    locustfile = out / "locustfile.py"
    py_compile.compile(str(locustfile), doraise=True)
    ruff = str(project / ".venv" / "bin" / "ruff")
    for command in ([ruff, "check"], [ruff, "format", "--check", "--diff"]):
        lint = subprocess.run(
            [*command, str(locustfile)],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "quote(" in locustfile.read_text()


def test_an_identity_operation_is_sent_only_by_name_and_lost_state_is_flagged(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    wildcard = load_tester(
        "--host", foreign_app.base, "--include-writes", "--only", "* /api/v1/users/*",
        *QUICK, "--out", tmp_path / "wildcard",
    )  # fmt: skip
    named = load_tester(
        "--host", foreign_app.base, "--include-writes",
        "--only", f"DELETE {API}/users/me", "--only", f"GET {API}/users/me",
        *QUICK, "--out", tmp_path / "named",
    )  # fmt: skip

    assert f"DELETE {API}/users/me" not in endpoints(tmp_path / "wildcard")
    assert wildcard.returncode == 0, wildcard.stdout + wildcard.stderr
    # Named exactly, it is sent: the accounts go, and the errors that follow
    # make the run invalid instead of a pass.
    assert foreign_app.stats()["deleted_accounts"] > 0
    assert named.returncode == 3, named.stdout + named.stderr
    assert "of requests failed (most:" in named.stdout
    assert "INVALID RUN" in named.stdout
    # Each kind of error shows what the server answered.
    assert f"GET {API}/users/me  HTTP 401 Unauthorized\n" in named.stdout
    assert '          {"detail":"Could not validate"}' in named.stdout
    samples = {row["sample"] for row in read_report(tmp_path / "named")["errors"]}
    assert samples == {'{"detail":"Could not validate"}'}


def test_slos_name_endpoints_the_way_the_server_routes_them(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    bare = load_tester(
        "--host", foreign_app.base, *QUICK, "--out", tmp_path / "bare",
        "--analyze", "--slo", f"GET {API}/items:p50=5000ms",
    )  # fmt: skip
    typo = load_tester(
        "--host", foreign_app.base, *QUICK, "--out", tmp_path / "typo",
        "--analyze", "--slo", f"GET {API}/itemz:p50=5000ms",
    )  # fmt: skip

    assert bare.returncode == 0, bare.stdout + bare.stderr
    assert f"pass          GET {API}/items: p50=5000ms: measured" in bare.stdout
    # The same verdicts, the table and both charts on one self-contained page.
    page = (tmp_path / "bare" / "report.html").read_text()
    HTMLParser().feed(page)
    assert f"<td>GET {API}/items</td><td>p50=5000ms</td><td class=pass>pass" in page
    assert f"<td>GET {API}/items/</td>" in page
    assert page.count("data:image/png;base64,") == 2
    assert typo.returncode == 4, typo.stdout + typo.stderr
    assert typo.stderr.strip().splitlines()[-1] == (
        f"error: SLO 'GET {API}/itemz: p50=5000ms' names an endpoint this run never "
        f"called (closest: GET {API}/items/, GET {API}/items/{{id}}, "
        f"GET {API}/users/me)"
    )
    # The run is kept for a second look with --report.
    assert (tmp_path / "typo" / "report.json").is_file()


def test_only_matches_without_the_trailing_slash_and_names_near_misses(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    locustfile = tmp_path / "locustfile.py"
    found = load_tester(
        "--host", foreign_app.base, "--only", f"GET {API}/items",
        "--generate-locustfile", locustfile,
    )  # fmt: skip
    missed = load_tester(
        "--host", foreign_app.base, "--only", f"GET {API}/item",
        "--generate-locustfile", locustfile,
    )  # fmt: skip

    assert found.returncode == 0, found.stderr
    assert f"100%  GET {API}/items/\n" in found.stdout
    assert missed.returncode == 4
    [line] = missed.stderr.splitlines()
    assert line.startswith(f"error: --only 'GET {API}/item' matches no operation")
    assert f"(closest: GET {API}/items/" in line
    assert len(line) < 300


def test_an_explicit_token_wins_and_no_secret_reaches_the_report(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    email, password = f"ops-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    foreign_app.register(email, password)
    token = foreign_app.token(email, password)
    with_token = load_tester(
        "--host", foreign_app.base, "--token", token, "--username", email,
        *QUICK, "--out", tmp_path / "token",
    )  # fmt: skip
    with_password = load_tester(
        "--host", foreign_app.base, "--username", email, f"--password={password}",
        *QUICK, "--out", tmp_path / "password",
    )  # fmt: skip

    assert with_token.returncode == 0, with_token.stdout + with_token.stderr
    assert "identity: the token given (--token / LOADTEST_TOKEN)" in with_token.stdout
    assert with_password.returncode == 0, with_password.stdout + with_password.stderr
    assert f"identity: {email} (--username)" in with_password.stdout
    # Only the one account registered above: neither run made its own.
    assert foreign_app.stats()["users"] == 1
    for run in ("token", "password"):
        page = (tmp_path / run / "report.html").read_text()
        assert token not in page
        assert password not in page
        report = (tmp_path / run / "report.json").read_text()
        assert token not in report
        assert password not in report
        command = json.loads(report)["run"]["command"]
        assert "***" in " ".join(command)
    assert token not in with_token.stdout + with_token.stderr
    assert password not in with_password.stdout + with_password.stderr


@pytest.mark.parametrize(
    "foreign_app",
    [{"SLOW_LOGINS": "2", "SLOW_LOGIN_SECONDS": "2.5"}],
    indirect=True,
    ids=["two-slow-logins"],
)
def test_a_slow_login_is_retried_not_the_end_of_the_run(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    """Two logins outlast --timeout: those users retry, the run goes on."""
    result = load_tester(
        "--host", foreign_app.base, "--timeout", "1", *QUICK, "--out", tmp_path / "run"
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert foreign_app.stats()["logins"] > 3
    assert endpoints(tmp_path / "run")[f"GET {API}/items/"]["failures"] == 0


def test_progress_is_live_on_a_terminal(
    project: Path, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    """On a terminal, a line redrawn every second: elapsed, req/s, p95, errors."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [
            ".venv/bin/python", "scripts/api_load_tester.py", "--host", foreign_app.base,
            "--users", "2", "--duration", "3", "--warmup", "0", "--no-plots",
            "--out", str(tmp_path / "run"),
        ],
        cwd=project,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed: the tool has exited
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=60) == 0
    os.close(primary)
    redraws = shown.decode().split("\r\x1b[2K")
    assert len(redraws) >= 3, shown
    assert re.search(r"3/3 s +[0-9.]+ req/s  p95 [0-9.]+ ms  errors 0", redraws[-1])


def test_answers_are_checked_against_the_openapi_schema(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    """Fast but wrong is not fast: /utils/version/ answers a number for a string."""
    result = load_tester(
        "--host", foreign_app.base, "--include-writes", "--check-responses", "1",
        *QUICK, "--out", tmp_path / "run",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    checks = read_report(tmp_path / "run")["checks"]
    wrong = {endpoint for endpoint, r in checks.items() if r["failed"]}
    # Every other endpoint's answers match FastAPI's own schemas: no false alarm.
    assert wrong == {f"GET {API}/utils/version/"}, checks
    assert checks[f"GET {API}/items/{{id}}"]["checked"] > 0
    assert checks[f"GET {API}/utils/version/"]["first_problem"] == (
        "$.version: expected string, got 2"
    )
    assert (
        f"GET {API}/utils/version/  $.version: expected string, got 2" in result.stdout
    )


def test_stages_ramp_the_rate_up_and_down_on_schedule(
    load_tester: LoadTester, foreign_app: ForeignApp, tmp_path: Path
) -> None:
    """0 -> 60 req/s over 3 s, back to 0 over 3 s: 10, 30, 50, 50, 30, 10 a second."""
    result = load_tester(
        "--host", foreign_app.base, "--only", f"GET {API}/utils/health-check/",
        "--stages", "3s:60,3s:0", "--out", tmp_path / "run",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "open model in stages 3s:60,3s:0 (peak 60 req/s" in result.stdout
    report = read_report(tmp_path / "run")
    per_second = [row["requests"] for row in report["timeline"]]
    assert per_second == [10, 30, 50, 50, 30, 10], per_second
    assert report["parameters"]["duration_s"] == 6
    assert report["validity"]["valid"], report["validity"]
