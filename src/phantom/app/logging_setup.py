"""Structured logging: JSON lines to ``logs/phantom.log``, warnings to the console.

Secrets never reach a log: settings hold them as SecretStr and nothing logs a settings object
whole; ``redact`` masks any value whose key looks secret as a last line of defence.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import structlog

_SECRET_HINTS = ("key", "secret", "password", "token_auth", "mnemonic")


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name in list(event):
        if any(h in name.lower() for h in _SECRET_HINTS):
            event[name] = "********"
    return event


def configure(logs_dir: Path, level: str = "INFO", console_level: str = "WARNING") -> Path:
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / "phantom.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    # every rejection is logged with its reason: rotate so a long run cannot fill the disk
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=20 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    file_handler.setLevel(level)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    root.addHandler(file_handler)
    root.addHandler(console)
    root.setLevel(min(logging.getLevelName(level), logging.getLevelName(console_level)))
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    return path


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
