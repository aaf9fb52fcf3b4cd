"""The public verification page: issued, altered and unknown files and links; it leaks nothing else."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, Enterprise, IssuedReport, OrderStatus, Provider, Region
from diagnose.settings import load_settings
from reports import data_of, issue_report
from scoring.china_time import to_china
from web import create_app

# The whole module on one xdist worker: its report is issued once, not on each worker it would spread to.
pytestmark = pytest.mark.xdist_group("verify-page")


@pytest.fixture(scope="module")
def world(
    demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, IssuedReport, dict[str, str]]:
    """A demo copy with one issued report, and what the page must never show about it."""
    folder = tmp_path_factory.mktemp("verify")
    copy = folder / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine, expire_on_commit=False) as session:
        order = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.accepted)
        ).first()
        assert order is not None
        row = issue_report(
            session=session, order=order, actor="system:test", public_url="https://zz.example.cn"
        )
        session.commit()
        enterprise = session.get(Enterprise, order.enterprise_id)
        provider = session.get(Provider, order.provider_id)
        assert enterprise is not None and provider is not None
        region = session.get(Region, enterprise.region_code)
        data = data_of(row)
        secrets = {
            "uscc": enterprise.uscc,
            "provider": provider.name,
            "order": f">{order.number}<",
            "score": f"{data.summary.score:.2f}",
            "region": region.name if region else enterprise.region_code,
            "pdf_hash": row.pdf_sha256,
            "content_hash": row.content_sha256,
        }
    engine.dispose()
    return copy, row, secrets


def _app(db: Path, tmp_path: Path, **config: object) -> Flask:
    settings = load_settings(
        env="test",
        var_dir=tmp_path / "var",
        secret_key="test-secret",
        database_url=f"sqlite:///{db}",
        verify_rate_limit=str(config.pop("limit", "1000 per minute")),
    )
    return create_app(settings, {"TESTING": True, **config})


def _upload(client: FlaskClient, body: bytes) -> str:
    """POST a file to /verify as multipart built here: werkzeug's own encoder spools big bodies to a
    temporary file the test client never closes (a ResourceWarning, an error under -W error)."""
    boundary = "----zhizhen-test-boundary"
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = client.post("/verify", data=payload, content_type=f"multipart/form-data; boundary={boundary}")
    return answer.get_data(as_text=True)


def _verdict(html: str) -> str:
    for verdict in ("issued", "altered", "unknown"):
        if f'data-verdict="{verdict}"' in html:
            return verdict
    return ""


def _assert_no_leak(html: str, secrets: dict[str, str], *, allowed: tuple[str, ...] = ()) -> None:
    for key, value in secrets.items():
        if key not in allowed:
            assert value not in html, key


def test_issued_link_shows_number_name_date_and_level_only(
    world: tuple[Path, IssuedReport, dict[str, str]], tmp_path: Path
) -> None:
    db, row, secrets = world
    client = _app(db, tmp_path).test_client()  # nobody logged in
    answer = client.get(f"/v/{row.report_number}-v{row.version}/{row.content_sha256[:16]}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and _verdict(html) == "issued"
    data = data_of(row)
    assert f"{row.report_number} v{row.version}" in html
    assert data.cover.enterprise_name in html
    assert to_china(row.issued_at).date().isoformat() in html
    assert re.search(rf">{data.summary.level} 级<", html) if data.summary.level else "未达一级" in html
    _assert_no_leak(html, secrets)


def test_issued_file_upload(world: tuple[Path, IssuedReport, dict[str, str]], tmp_path: Path) -> None:
    db, row, secrets = world
    client = _app(db, tmp_path).test_client()
    html = _upload(client, row.pdf)
    assert _verdict(html) == "issued" and data_of(row).cover.enterprise_name in html
    _assert_no_leak(html, secrets)


def test_altered_file_and_link(world: tuple[Path, IssuedReport, dict[str, str]], tmp_path: Path) -> None:
    db, row, secrets = world
    client = _app(db, tmp_path).test_client()
    edited = row.pdf + b"\n% edited\n"  # still a PDF with the footer, but not the issued bytes
    html = _upload(client, edited)
    assert _verdict(html) == "altered" and row.report_number in html
    assert data_of(row).cover.enterprise_name not in html
    _assert_no_leak(html, secrets)
    wrong = "f" * 16 if not row.content_sha256.startswith("f" * 16) else "0" * 16
    link = client.get(f"/v/{row.report_number}-v{row.version}/{wrong}").get_data(as_text=True)
    assert _verdict(link) == "altered" and data_of(row).cover.enterprise_name not in link
    typed = client.post(
        "/verify", data={"reference": f"{row.report_number}-v{row.version}", "digest": wrong}
    ).get_data(as_text=True)
    assert _verdict(typed) == "altered"


def test_unknown_file_and_link(world: tuple[Path, IssuedReport, dict[str, str]], tmp_path: Path) -> None:
    db, row, secrets = world
    client = _app(db, tmp_path).test_client()
    for html in (
        _upload(client, b"not a report"),
        client.get(f"/v/{row.report_number}-v99/{row.content_sha256[:16]}").get_data(as_text=True),
        client.get(f"/v/R-NOPE-v1/{row.content_sha256[:16]}").get_data(as_text=True),
        client.get(f"/v/{row.report_number}-v{row.version}/{row.content_sha256[:8]}").get_data(as_text=True),
    ):
        assert _verdict(html) == "unknown"
        assert data_of(row).cover.enterprise_name not in html
        _assert_no_leak(html, secrets)


def test_empty_form_is_a_400_in_chinese(
    world: tuple[Path, IssuedReport, dict[str, str]], tmp_path: Path
) -> None:
    db, _, _ = world
    answer = _app(db, tmp_path).test_client().post("/verify", data={})
    assert answer.status_code == 400 and "请填写报告上印的报告编号" in answer.get_data(as_text=True)


def test_rate_limited(world: tuple[Path, IssuedReport, dict[str, str]], tmp_path: Path) -> None:
    db, row, _ = world
    client = _app(db, tmp_path, limit="3 per minute", RATELIMIT_ENABLED=True).test_client()
    url = f"/v/{row.report_number}-v{row.version}/{row.content_sha256[:16]}"
    codes = [client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
