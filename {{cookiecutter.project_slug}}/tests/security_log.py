"""What the service logs as security events, captured for assertions."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from {{ cookiecutter.package_name }}.observability import security_logger


@contextmanager
def security_events() -> Iterator[list[dict[str, object]]]:
    """The security events logged meanwhile, as their fields.

    A handler on the security logger itself: create_app() resets the root
    logger's handlers, pytest's caplog among them.
    """
    events: list[dict[str, object]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append(vars(record))

    recorder = Recorder()
    security_logger.addHandler(recorder)
    try:
        yield events
    finally:
        security_logger.removeHandler(recorder)
