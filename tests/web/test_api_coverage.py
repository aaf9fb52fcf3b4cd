"""What the API covers beyond orders: organisations, the plant, telemetry, indicators, reports, supervision,
policies; each as the UI scopes it, each write in one transaction."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import select

from apps.processes import jobs
from diagnose.models import (
    Device,
    DeviceHour,
    DiagnosisOrder,
    Enterprise,
    IssuedReport,
    OrderStatus,
    Telemetry,
)
from diagnose.services.shopfloor.broker_accounts import check_mosquitto_hash
from scoring.uscc import make_uscc
from tests.web.world import db_of
from web import create_app
from web.db import engine as app_engine

CONFIG = {"TESTING": True, "RATELIMIT_ENABLED": False}


@pytest.fixture
def app(world, tmp_path: Path) -> Flask:  # type: ignore[no-untyped-def]
    copy = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, copy)
    return create_app(world.settings(copy), CONFIG)


def call(app: Flask, world, role: str, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} | kwargs.pop("headers", {})
    return app.test_client().open(url, method=method, headers=headers, **kwargs)


def new_enterprise(industry_code: str, serial: int = 901) -> dict[str, object]:
    return {
        "uscc": make_uscc(f"91320412MA{serial:06d}X"),
        "name": "常州测试装备有限公司",
        "region_code": "320412",
        "industry_code": industry_code,
    }


def test_enterprise_registration_checks_the_industry_code(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    created = call(app, world, "admin", "POST", "/api/v1/enterprises", json=new_enterprise("c34"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["industry_code"] == "C34"
    refused = call(app, world, "admin", "POST", "/api/v1/enterprises", json=new_enterprise("D34", 902))
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "industry_code"
    assert "section C" in refused.get_json()["message"]
    again = call(app, world, "admin", "POST", "/api/v1/enterprises", json=new_enterprise("C34"))
    assert again.status_code == 422 and again.get_json()["field"] == "uscc"


@pytest.mark.parametrize("stored_code", ["C34", "ZZ"])
def test_scoring_survives_a_class_level_or_unknown_industry_code(app: Flask, world, stored_code: str) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        enterprise = db.get(Enterprise, world.enterprise_id)
        enterprise.industry_code = stored_code  # as stored before codes were checked
        db.add(enterprise)
        db.commit()
    scored = call(app, world, "provider", "POST", f"/api/v1/orders/{world.order_id}/score")
    assert scored.status_code == 200, scored.get_json()


def test_a_bureau_sees_only_enterprises_in_its_regions(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    wujin = {
        e["region_code"] for e in call(app, world, "bureau", "GET", "/api/v1/enterprises").get_json()["items"]
    }
    everyone = call(app, world, "admin", "GET", "/api/v1/enterprises").get_json()["items"]
    assert wujin and wujin < {e["region_code"] for e in everyone}
    assert all(code.startswith("320412") for code in wujin)


def _device_ids(app: Flask, enterprise_id: int) -> set[str]:
    with db_of(app) as db:
        return set(db.exec(select(Device.external_id).where(Device.enterprise_id == enterprise_id)).all())


def test_bulk_import_dry_run_stores_nothing_and_a_bad_row_stores_nothing(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/orders/{world.order_id}/devices/import"
    before = _device_ids(app, world.enterprise_id)
    rows = [{"external_id": "IMP-1", "kind": "CNC", "ideal_cycle_s": 40}, {"external_id": "IMP-2"}]
    dry = call(app, world, "provider", "POST", url, json={"devices": rows, "dry_run": True})
    assert dry.status_code == 200 and dry.get_json()["created"] == 0
    assert dry.get_json()["external_ids"] == ["IMP-1", "IMP-2"]
    assert _device_ids(app, world.enterprise_id) == before
    taken = sorted(before)[0]
    bad = call(app, world, "provider", "POST", url, json={"devices": [*rows, {"external_id": taken}]})
    assert bad.status_code == 422 and bad.get_json()["field"] == "devices.2.external_id"
    assert _device_ids(app, world.enterprise_id) == before
    done = call(app, world, "provider", "POST", url, json={"devices": rows})
    assert done.status_code == 201 and done.get_json()["created"] == 2
    assert _device_ids(app, world.enterprise_id) == before | {"IMP-1", "IMP-2"}


def test_credentials_are_shown_once_and_rotate(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/orders/{world.order_id}/devices/{world.device_id}/credentials"
    first = call(app, world, "provider", "POST", url)
    second = call(app, world, "provider", "POST", url)
    assert first.status_code == second.status_code == 201
    assert first.headers["Cache-Control"] == "no-store"
    old, new = first.get_json()["password"], second.get_json()["password"]
    assert old != new
    with db_of(app) as db:
        stored = db.get(Device, world.device_id).mqtt_password_hash
    assert check_mosquitto_hash(new, stored) and not check_mosquitto_hash(old, stored)
    listed = call(app, world, "provider", "GET", f"/api/v1/orders/{world.order_id}/devices").get_data(
        as_text=True
    )
    assert new not in listed and old not in listed


def test_telemetry_series_by_minute_and_by_hour(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with db_of(app) as db:
        for second in range(0, 180, 20):
            db.add(
                Telemetry(
                    device_id=world.device_id,
                    seq=10_000_000 + second,
                    ts=start + timedelta(seconds=second),
                    state="RUN",
                    count_total=100 + second,
                    count_good=90 + second,
                    power_kw=10.0 + second / 20,
                )
            )
        zero = {f: 0 for f in ("idle_us", "down_us", "planned_stop_us", "off_us", "unknown_us")}
        db.add(
            DeviceHour(
                device_id=world.device_id,
                hour_start=start,
                hour_end=start + timedelta(hours=1),
                run_us=3_600_000_000,
                planned_us=3_600_000_000,
                count_total=160,
                count_good=150,
                energy_kwh="25/2",
                sample_count=9,
                **zero,
            )
        )
        db.commit()
    base = f"/api/v1/orders/{world.order_id}/devices/{world.device_id}/telemetry"
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    minute = call(app, world, "enterprise", "GET", base, query_string=window | {"resolution": "minute"})
    points = minute.get_json()["points"]
    assert minute.status_code == 200 and [p["samples"] for p in points] == [3, 3, 3]
    assert points[0]["count_total"] == 140 and points[0]["power_kw"] == pytest.approx(11.0)
    hour = call(app, world, "enterprise", "GET", base, query_string=window | {"resolution": "hour"})
    (only,) = hour.get_json()["points"]
    assert only["seconds_by_state"]["RUN"] == 3600 and only["energy_kwh"] == 12.5
    too_long = {
        "start": start.isoformat(),
        "end": (start + timedelta(days=3)).isoformat(),
        "resolution": "minute",
    }
    refused = call(app, world, "enterprise", "GET", base, query_string=too_long)
    assert refused.status_code == 422 and refused.get_json()["field"] == "start"


def test_indicators_carry_their_window(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    window = {"start": "2026-11-01T00:00:00+08:00", "end": "2026-11-08T00:00:00+08:00"}
    found = call(
        app, world, "bureau", "GET", f"/api/v1/orders/{world.order_id}/indicators", query_string=window
    )
    body = found.get_json()
    assert found.status_code == 200, body
    assert body["start"].startswith("2026-10-31T16:00:00") and body["end"].startswith("2026-11-07T16:00:00")
    assert body["devices_total"] >= 1 and "networking_rate" in body and "coverage" in body


def test_reports_list_download_and_verify(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    pdf = b"%PDF-1.4 issued report bytes"
    with db_of(app) as db:
        db.add(
            IssuedReport(
                order_id=world.order_id,
                report_number="ZZ-TEST-0001",
                version=1,
                lang="zh",
                content_sha256="c" * 64,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                size_bytes=len(pdf),
                pdf=pdf,
                data={},
            )
        )
        db.commit()
    listed = call(app, world, "enterprise", "GET", f"/api/v1/orders/{world.order_id}/reports").get_json()
    assert [(r["report_number"], r["version"]) for r in listed["items"]] == [("ZZ-TEST-0001", 1)]
    download = call(app, world, "enterprise", "GET", f"/api/v1/orders/{world.order_id}/reports/1.pdf")
    assert download.status_code == 200 and download.data == pdf and download.mimetype == "application/pdf"
    download.close()
    verified = call(
        app, world, "bureau_other", "POST", "/api/v1/reports/verify", data=pdf, content_type="application/pdf"
    )
    assert verified.status_code == 200 and verified.get_json()["verdict"] == "issued"


def test_supervision_flags_and_league(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    flags = call(app, world, "bureau", "GET", "/api/v1/supervision/flags").get_json()["items"]
    assert [f["id"] for f in flags] == [world.flag_id]
    assert call(app, world, "bureau_other", "GET", "/api/v1/supervision/flags").get_json()["items"] == []
    league = call(
        app, world, "bureau", "GET", "/api/v1/supervision/league", query_string={"from": "2026-01-01"}
    )
    assert league.status_code == 200 and league.get_json()["start"] == "2026-01-01"


README_PLAN = {
    "date": "2024-06-01",
    "enterprise": {"region": "320412", "industry": "C", "strategic_emerging": True},
    "investments": {"equipment_cny": 8000000, "it_cny": 1200000, "robots_cny": 0, "energy_saved_tce": 0},
    "recognitions": ["smart_workshop_city", "cmmm_certification"],
}


def test_policies_and_subsidy_sizing(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    catalogue = call(app, world, "enterprise", "GET", "/api/v1/policies").get_json()
    assert catalogue["policies"] and catalogue["clauses"] and catalogue["targets"]
    sized = call(app, world, "enterprise", "POST", "/api/v1/subsidy", json=README_PLAN)
    assert sized.status_code == 200, sized.get_json()
    assert sized.get_json()["total_cny"] == "460000.00"  # the README's worked example
    bad = README_PLAN | {"enterprise": {"region": "999999"}}
    refused = call(app, world, "enterprise", "POST", "/api/v1/subsidy", json=bad)
    assert refused.status_code == 422 and refused.get_json()["field"] == "enterprise.region"


def test_a_report_is_issued_through_the_api_once_and_followed_to_its_version(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        order = db.exec(
            select(DiagnosisOrder).where(
                DiagnosisOrder.status == OrderStatus.accepted, DiagnosisOrder.provider_id == world.provider_id
            )
        ).first()
        assert order is not None
    url = f"/api/v1/orders/{order.id}/reports"
    queued = call(app, world, "provider", "POST", url, json={"lang": "zh"})
    assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
    again = call(app, world, "provider", "POST", url, json={})
    assert again.get_json()["id"] == queued.get_json()["id"]  # one job while one waits, not two
    bad = call(app, world, "provider", "POST", url, json={"lang": "fr"})
    assert bad.status_code == 422
    assert call(app, world, "enterprise", "POST", url, json={}).status_code == 403
    with app.app_context():
        assert jobs.render_reports(app_engine(), world.settings()) == 1
    job_url = f"/api/v1/orders/{order.id}/report-jobs/{queued.get_json()['id']}"
    done = call(app, world, "provider", "GET", job_url).get_json()
    assert done["status"] == "done" and done["version"] >= 1
    listed = call(app, world, "provider", "GET", url).get_json()["items"]
    assert listed[-1]["version"] == done["version"]
