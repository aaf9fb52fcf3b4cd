"""The bureau's dashboard right after a change: the figures of a moment ago, said to be so, not a slow page."""

from __future__ import annotations

import re

from flask import Flask
from sqlmodel import Session, select

from apps.processes import jobs
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder
from tests.web.conftest import client_as
from web import create_app


def _tile(html: str, status: str) -> int:
    match = re.search(rf'class="tile status-{status}"[^>]*><span class="n">(\d+)</span>', html)
    assert match, f"no {status} tile"
    return int(match.group(1))


def test_the_dashboard_says_its_figures_are_of_a_moment_ago_until_the_job_has_counted(world) -> None:  # type: ignore[no-untyped-def]
    settings = world.settings()
    app: Flask = create_app(settings, {"TESTING": True, "RATELIMIT_ENABLED": False})
    engine = make_engine(settings)
    jobs.refresh_figures(engine, settings)
    client = client_as(app, world, "bureau")
    page = client.get("/bureau/dashboard").get_data(as_text=True)
    assert 'id="figures-as-of"' not in page
    created = _tile(page, "created")

    with Session(engine) as session:  # a new order in the bureau's regions
        template = session.get(DiagnosisOrder, world.order_id)
        assert template is not None
        top = max(session.exec(select(DiagnosisOrder.id)).all())
        session.add(
            DiagnosisOrder(
                number=f"WJ-2026-{top + 9000}", bureau_id=template.bureau_id, enterprise_id=template.enterprise_id,
                kind="factory", fee_fen=1_000_000, status="created",
            )
        )  # fmt: skip
        session.commit()

    page = client.get("/bureau/dashboard").get_data(as_text=True)
    notice = re.search(r'id="figures-as-of">([^<]+)<', page)
    assert notice and re.match(r"图表统计截至 \d{2}:\d{2}:\d{2}；最新变动正在统计", notice.group(1)), notice
    assert _tile(page, "created") == created  # as they were, and said to be

    jobs.refresh_figures(engine, settings)
    page = client.get("/bureau/dashboard").get_data(as_text=True)
    assert 'id="figures-as-of"' not in page and _tile(page, "created") == created + 1
    engine.dispose()
