"""Structured logs: one JSON object (or key=value line) per record, carrying the request or batch id in context."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Fields bound for the current request (web) or batch (collector): request_id, batch_id, …
_context: ContextVar[dict[str, Any] | None] = ContextVar("diagnose_log_context", default=None)
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


CONTEXT_ATTR = "diagnose_context"
_base_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # The bound fields are captured when the record is made, not when (or in which thread) it is formatted.
    record = _base_factory(*args, **kwargs)
    setattr(record, CONTEXT_ATTR, _context.get())
    return record


logging.setLogRecordFactory(_record_with_context)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind fields to every log record made inside the block (in this thread or task)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Bind fields for the rest of the current context (a Flask request: reset by `unbind`)."""
    _context.set({**(_context.get() or {}), **fields})


def unbind() -> None:
    """Forget every bound field."""
    _context.set(None)


def current_fields() -> dict[str, Any]:
    """The fields bound right now."""
    return dict(_context.get() or {})


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """ts, level, logger, msg, the bound context, the record's extras and any exception."""
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    fields.update(getattr(record, CONTEXT_ATTR, None) or {})
    fields.update(
        {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD and k != CONTEXT_ATTR and not k.startswith("_")
        }
    )
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


class JsonFormatter(logging.Formatter):
    """JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record), ensure_ascii=False, default=str)


class KeyValueFormatter(logging.Formatter):
    """key=value pairs; values with spaces or quotes are JSON-quoted."""

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        for key, value in record_fields(record).items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            if not text or any(c in text for c in ' "=\n'):
                text = json.dumps(text, ensure_ascii=False)
            parts.append(f"{key}={text}")
        return " ".join(parts)


def configure_logging(*, fmt: str = "text", level: int = logging.INFO) -> None:
    """Root logging to stderr in `fmt`: json, kv, or text (human-readable, with the bound fields), like
    logging.basicConfig a no-op when logging was configured by someone else."""
    root = logging.getLogger()
    root.setLevel(level)
    if any(not getattr(h, "_diagnose", False) for h in root.handlers):
        return  # someone configured logging already (a test runner, an embedding program): leave it
    handler = logging.StreamHandler()
    handler._diagnose = True  # type: ignore[attr-defined]
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    elif fmt == "kv":
        handler.setFormatter(KeyValueFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, CONTEXT_ATTR, None) or {}
        return line + "".join(f" {k}={v}" for k, v in fields.items()) if fields else line
