"""The report's QR code and short link point where the platform is actually served (issue #23)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from apps.processes import jobs
from apps.processes.server import public_url_warning
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, IssuedReport, OrderStatus, User
from diagnose.settings import load_settings
from reports import data_of
from tests.web.conftest import log_in_as
from web import create_app


def _app(demo_db: Path, tmp_path: Path, **settings: object):  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    loaded = load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="test-secret", database_url=f"sqlite:///{copy}",
        web_host="127.0.0.1", web_port=8765, **settings,
    )  # fmt: skip
    app = create_app(loaded, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    engine = make_engine(loaded)
    with Session(engine) as session:
        order = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.accepted)
        ).first()
        assert order is not None
        provider = session.exec(select(User).where(User.provider_id == order.provider_id)).first()
        assert provider is not None
        ids = (order.id, provider.id)
    return app, loaded, engine, ids


def _issue_from(app, engine, loaded, ids, base_url: str) -> str:  # type: ignore[no-untyped-def]
    order_id, provider_id = ids
    client = app.test_client()
    log_in_as(app, client, provider_id)
    client.post(f"/orders/{order_id}/report/issue", data={"lang": "zh"}, base_url=base_url)
    assert jobs.render_reports(engine, loaded) == 1
    with Session(engine) as session:
        row = session.exec(select(IssuedReport).where(IssuedReport.order_id == order_id)).one()
        return data_of(row).verify_base_url


@pytest.mark.slow
def test_unset_public_url_takes_the_address_the_report_was_requested_at(
    demo_db: Path, tmp_path: Path
) -> None:
    app, loaded, engine, ids = _app(demo_db, tmp_path, public_url="")
    assert _issue_from(app, engine, loaded, ids, "http://localhost:5055") == "http://localhost:5055"
    engine.dispose()


@pytest.mark.slow
def test_configured_public_url_wins(demo_db: Path, tmp_path: Path) -> None:
    app, loaded, engine, ids = _app(demo_db, tmp_path, public_url="https://zhizhen.example.cn/")
    assert _issue_from(app, engine, loaded, ids, "http://localhost:5055") == "https://zhizhen.example.cn"
    engine.dispose()


def test_served_url_and_the_production_warning() -> None:
    served = load_settings(env="test", web_host="127.0.0.1", web_port=8123, public_url="")
    assert served.served_url == "http://127.0.0.1:8123"
    assert public_url_warning(served) is None  # not production
    production = load_settings(
        env="production", secret_key="k" * 32, audit_key="a" * 32, web_port=8123, public_url=""
    )
    warning = public_url_warning(production)
    assert warning is not None and "DIAGNOSE_PUBLIC_URL" in warning and ":8123" in warning
    configured = load_settings(
        env="production", secret_key="k" * 32, audit_key="a" * 32, public_url="https://zhizhen.example.cn"
    )
    assert public_url_warning(configured) is None
