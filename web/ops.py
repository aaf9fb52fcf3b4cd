"""Operations endpoints and request instrumentation: /healthz, /readyz, /metrics, request ids and access logs.

/metrics is for the platform's Prometheus, not for users: the reverse proxy answers it only to the
monitoring network (deploy/nginx.conf). Under gunicorn every worker writes its samples to the
multi-process folder (`DIAGNOSE_WEB_METRICS_DIR`) and /metrics sums them, whichever worker answers.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

from diagnose import migrate
from diagnose.observability import bind, unbind
from web.db import engine

log = logging.getLogger("web.access")
bp = Blueprint("ops", __name__)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MULTIPROC_DIR = "METRICS_MULTIPROC_DIR"  # app.config key, set by `diagnose serve`

REQUESTS = Counter("diagnose_web_requests", "HTTP requests answered.", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "diagnose_web_request_seconds",
    "Time to answer an HTTP request.",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


@functools.cache
def _head() -> str | None:
    return migrate.head_revision()


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up (no dependency checked)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers and its schema is the code's: 200, else 503 with what is wrong."""
    head = _head()
    try:
        with engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.current_revision(engine())
    except Exception as exc:  # any failure to reach the database means not ready
        log.warning("not ready: database unavailable: %s", exc.__class__.__name__)
        return jsonify(status="unavailable", database="unavailable", schema={"head": head}), 503
    schema = {"current": current, "head": head}
    if current != head:
        return jsonify(status="unavailable", database="ok", schema=schema), 503
    return jsonify(status="ok", database="ok", schema=schema), 200


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition: every worker's samples under gunicorn, this process's otherwise."""
    folder = current_app.config.get(MULTIPROC_DIR)
    registry = REGISTRY
    if folder:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _start() -> None:
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if REQUEST_ID.match(supplied) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    bind(request_id=g.request_id)


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    LATENCY.labels(request.method, endpoint).observe(seconds)
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "remote": request.headers.get("X-Real-IP", request.remote_addr),
        },
    )
    return response


def _forget(_exc: BaseException | None) -> None:
    unbind()


def init_app(app: Flask) -> None:
    """Register the blueprint and the request id / access-log / metrics hooks."""
    app.register_blueprint(bp)
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
