import json
import logging

import pytest

from {{ cookiecutter.package_name }}.observability import JsonFormatter, request_id_var


def test_log_lines_are_json_with_extras_and_request_id() -> None:
    record = logging.makeLogRecord(
        {"msg": "paid %s", "args": ("42",), "levelname": "INFO", "amount": 42}
    )
    token = request_id_var.set("req-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)

    entry = json.loads(line)
    assert entry["message"] == "paid 42"
    assert entry["amount"] == 42
    assert entry["request_id"] == "req-1"
    assert "args" not in entry


def format_extra(**extra: object) -> dict[str, object]:
    record = logging.makeLogRecord({"msg": "event", "levelname": "INFO", **extra})
    entry: dict[str, object] = json.loads(JsonFormatter().format(record))
    return entry


def test_credentials_are_redacted_by_field_name() -> None:
    entry = format_extra(
        authorization="Bearer abc",
        password="hunter2hunter2",
        refresh_token="opaque",
        x_api_key="k",
        amount=42,
    )

    assert entry["authorization"] == entry["password"] == "[redacted]"
    assert entry["refresh_token"] == entry["x_api_key"] == "[redacted]"
    assert entry["amount"] == 42


@pytest.mark.parametrize(
    "secret",
    [
        "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "sk_q3v9XkLm2Rt8wZpYb5cNd0sHgF7eA",
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
    ],
    ids=["bearer", "jwt", "api-key", "iban-spaced", "iban", "card", "card-dashed"],
)
def test_secrets_and_account_numbers_are_redacted_wherever_they_appear(
    secret: str,
) -> None:
    entry = format_extra(msg=f"paid from {secret} today", note=f"({secret})")

    assert secret not in json.dumps(entry)
    assert entry["message"] == "paid from [redacted] today"
    assert entry["note"] == "([redacted])"


@pytest.mark.parametrize(
    "harmless",
    ["order 1234567890123", "2026-12-02T07:26:24+00:00", "Missing bearer token."],
    ids=["not-luhn", "timestamp", "wording"],
)
def test_ordinary_text_is_kept(harmless: str) -> None:
    assert format_extra(msg=harmless)["message"] == harmless


def test_one_entry_per_line_whatever_the_input_holds() -> None:
    forged = 'forged\n{"level": "ERROR"}'
    line = JsonFormatter().format(logging.makeLogRecord({"msg": forged, "args": ()}))

    assert "\n" not in line
    assert json.loads(line)["message"] == forged
