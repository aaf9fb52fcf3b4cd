"""Operations endpoints: liveness, readiness (database and schema), metrics, request ids in structured logs;
the collector's and the jobs' metrics."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from prometheus_client import generate_latest
from sqlalchemy.engine import Engine

from apps.processes import jobs
from collectors.service import Collector
from diagnose import migrate
from diagnose.observability import JsonFormatter, KeyValueFormatter, log_context
from diagnose.settings import Settings
from web import create_app


def test_healthz_and_readyz_on_a_current_schema(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["database"] == "ok" and body["schema"]["current"] == body["schema"]["head"] is not None


def test_readyz_refuses_a_schema_behind_the_code(db_settings: Settings, engine: Engine) -> None:
    migrate.downgrade(engine, "0006")
    response = create_app(db_settings, {"TESTING": True}).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["schema"] == {"current": "0006", "head": migrate.head_revision()}


def test_readyz_refuses_when_the_database_is_away(settings: Settings) -> None:
    away = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    client = create_app(away, {"TESTING": True}).test_client()
    assert client.get("/healthz").status_code == 200  # the process is up all the same
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["database"] == "unavailable"


def test_each_request_has_an_id_in_its_header_and_its_log_line(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="web.access"):
        given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        made = client.get("/healthz", headers={"X-Request-ID": "bad id; drop"})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(made.headers["X-Request-ID"]) == 32  # a bad one is replaced by a fresh id
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "web.access"]
    assert lines[0]["request_id"] == "abc-123"
    assert lines[0]["status"] == 200 and lines[0]["path"] == "/healthz" and lines[0]["method"] == "GET"
    assert lines[1]["request_id"] == made.headers["X-Request-ID"]


def test_metrics_count_requests_by_route(app: Flask) -> None:
    client = app.test_client()
    client.get("/healthz")
    client.get("/no/such/page")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'diagnose_web_requests_total{endpoint="/healthz",method="GET",status="200"}' in text
    assert 'endpoint="unmatched"' in text and "diagnose_web_request_seconds_bucket" in text


def test_key_value_lines_carry_the_bound_batch_id() -> None:
    with log_context(batch_id="b1"):
        record = logging.getLogger("collectors.writer").makeRecord(
            "collectors.writer", logging.WARNING, "", 0, "db away %s", ("x",), None
        )
    line = KeyValueFormatter().format(record)  # formatted later, elsewhere: the id was captured
    doc = json.loads(JsonFormatter().format(record))
    assert "batch_id=b1" in line and 'msg="db away x"' in line
    assert doc["batch_id"] == "b1" and doc["level"] == "WARNING"


def test_collector_metrics_read_the_writer(settings: Settings, engine: Engine) -> None:
    collector = Collector(settings.model_copy(update={"sparkplug_groups": ""}), engine)
    collector.writer.stats.inserted = 7
    collector.writer.stats.ack_dropped = 2
    collector.writer.on_batch(3, 0.02)  # type: ignore[misc]
    collector.metrics.tick(100.0)
    collector.writer.stats.inserted = 27
    collector.metrics.tick(110.0)
    text = generate_latest(collector.metrics.registry).decode()
    for line in (
        "diagnose_collector_rows_inserted_total 27.0",
        "diagnose_collector_ack_drops_total 2.0",
        "diagnose_collector_queue_depth 0.0",
        "diagnose_collector_rows_per_second 2.0",
        "diagnose_collector_batch_seconds_count 1.0",
        "diagnose_collector_dead_letters_total 0.0",
    ):
        assert line in text


def test_job_runs_are_timed_and_failures_counted(engine: Engine, db_settings: Settings) -> None:
    def boom(_e: Engine, _s: Settings) -> int:
        raise RuntimeError("no")

    failures_before = jobs.REGISTRY.get_sample_value("diagnose_job_failures_total", {"job": "boom"}) or 0.0
    jobs.timed(jobs.JobSpec("mark_offline_devices", jobs.mark_offline_devices, 60), engine, db_settings)
    with pytest.raises(RuntimeError):
        jobs.timed(jobs.JobSpec("boom", boom, 60), engine, db_settings)
    text = generate_latest(jobs.REGISTRY).decode()
    assert 'diagnose_job_seconds_count{job="mark_offline_devices"}' in text
    assert (
        jobs.REGISTRY.get_sample_value("diagnose_job_failures_total", {"job": "boom"}) == failures_before + 1
    )
    assert 'diagnose_job_last_success_timestamp_seconds{job="mark_offline_devices"}' in text
