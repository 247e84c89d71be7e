{%- set database = cookiecutter.database == "postgresql" -%}
"""The server's own limits, met as a client meets them: over a socket, before the app."""

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
{%- if database %}
from sqlalchemy.engine import URL
{%- endif %}

from tests.server import running_server

HEAD_LIMIT = 4096
HEAD_TIMEOUT = 1.0


@pytest.fixture(scope="module")
{%- if database %}
def server(
    database_url: URL, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The service, started as the container starts it, with small limits."""
    with running_server(
        database_url,
        tmp_path_factory.mktemp("server"),
{%- else %}
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service, started as the container starts it, with small limits."""
    with running_server(
        tmp_path_factory.mktemp("server"),
{%- endif %}
        MAX_REQUEST_HEADER_BYTES=str(HEAD_LIMIT),
        REQUEST_HEAD_TIMEOUT_SECONDS=str(HEAD_TIMEOUT),
    ) as base:
        yield base


def connect(server: str) -> socket.socket:
    address = urlsplit(server)
    assert address.hostname is not None
    assert address.port is not None
    connection = socket.create_connection((address.hostname, address.port))
    connection.settimeout(HEAD_TIMEOUT * 10)
    return connection


def send_quietly(connection: socket.socket, data: bytes) -> None:
    """Send what the server takes; it may close the connection part way."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.sendall(data)


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the one response the server sends."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return int(status_line.split(" ")[1]), headers, body


def test_a_head_within_the_limit_is_served(server: str) -> None:
    with connect(server) as connection:
        cookie = "c" * (HEAD_LIMIT // 2)
        request = (
            f"GET /health/live HTTP/1.1\r\nHost: test\r\nCookie: {cookie}\r\n"
            "Connection: close\r\n\r\n"
        )
        connection.sendall(request.encode())
        status, _, _ = read_response(connection)

    assert status == 200


def test_an_oversized_header_is_refused_before_it_is_read(server: str) -> None:
    """100 MB of header once took the process over its memory limit."""
    with connect(server) as connection:
        send_quietly(connection, b"GET /health/live HTTP/1.1\r\nHost: test\r\nX-Big: ")
        # Far more than the limit, in pieces: the answer comes before the end.
        for _ in range(64):
            send_quietly(connection, b"a" * 65536)
        status, headers, body = read_response(connection)

    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert headers["cache-control"] == "no-store"
    assert json.loads(body)["status"] == 431


def test_a_head_that_trickles_in_is_timed_out(server: str) -> None:
    with connect(server) as connection:
        connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: te")
        started = time.monotonic()
        status, headers, _ = read_response(connection)

    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert time.monotonic() - started < HEAD_TIMEOUT * 5


def test_a_connection_that_sends_nothing_is_closed(server: str) -> None:
    with connect(server) as connection:
        started = time.monotonic()
        closed = connection.recv(1) == b""

    assert closed
    assert time.monotonic() - started < HEAD_TIMEOUT * 5


def test_keep_alive_requests_each_get_the_whole_limit(server: str) -> None:
    """The limit is per request: a long-lived connection is not cut off."""
    cookie = "c" * (HEAD_LIMIT * 3 // 4)
    request = f"GET /health/live HTTP/1.1\r\nHost: test\r\nCookie: {cookie}\r\n\r\n"
    statuses = []
    with connect(server) as connection, connection.makefile("rb") as responses:
        for _ in range(3):
            connection.sendall(request.encode())
            statuses.append(int(responses.readline().split(b" ")[1]))
            length = 0
            while (line := responses.readline()) != b"\r\n":
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            responses.read(length)

    assert statuses == [200, 200, 200]
