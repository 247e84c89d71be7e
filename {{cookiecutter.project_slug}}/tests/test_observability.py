import json
import logging

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
