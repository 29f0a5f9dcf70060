"""Logging: DEBUG is safe to turn on, because libraries that log query parameters or request
lines are held at INFO."""

from __future__ import annotations

import logging

from gpanel.logs import QUIET_LOGGERS, configure_logging


def test_debug_keeps_parameter_logging_libraries_at_info() -> None:
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        configure_logging("DEBUG")
        assert logging.getLogger("gpanel").isEnabledFor(logging.DEBUG)
        for name in QUIET_LOGGERS:
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
