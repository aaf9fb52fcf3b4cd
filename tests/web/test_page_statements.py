"""Pages that do little per request: the SQL statements a page view sends, counted (not timed)."""

from __future__ import annotations

import pytest
from flask import Flask

from apps.processes import jobs
from diagnose.db import make_engine
from tests.web.conftest import client_as
from tests.web.counting import statements
from web import create_app


def _flat(sent: list[str]) -> list[str]:
    return [" ".join(s.split())[:160] for s in sent]


def test_the_bureau_dashboard_reads_its_cached_figures_in_few_statements(world) -> None:  # type: ignore[no-untyped-def]
    settings = world.settings()
    app: Flask = create_app(settings, {"TESTING": True, "RATELIMIT_ENABLED": False})
    jobs.refresh_figures(make_engine(settings), settings)
    client = client_as(app, world, "bureau")
    assert client.get("/bureau/dashboard").status_code == 200  # the worker's first view
    with statements(app.extensions["diagnose_engine"]) as sent:
        page = client.get("/bureau/dashboard")
    assert page.status_code == 200
    # The user (1); the bureau and its regions, once (2); the table versions of every figure (1) and the batches
    # (2), the league's providers and open flags (2); the bell's count (1): 9. The figures themselves come from
    # the figure cache, not the database. Before: 26 (the regions and the bureau read again per use, a statement
    # per version, a sum per batch).
    assert len(sent) <= 11, _flat(sent)
    assert not [s for s in _flat(sent) if "FROM region WHERE" in s], _flat(sent)


def test_the_supervision_page_reads_in_few_statements(world) -> None:  # type: ignore[no-untyped-def]
    settings = world.settings()
    app: Flask = create_app(settings, {"TESTING": True, "RATELIMIT_ENABLED": False})
    jobs.refresh_figures(make_engine(settings), settings)
    client = client_as(app, world, "bureau")
    assert client.get("/bureau/supervision/").status_code == 200
    with statements(app.extensions["diagnose_engine"]) as sent:
        page = client.get("/bureau/supervision/")
    assert page.status_code == 200
    # Before: 20.
    assert len(sent) <= 10, _flat(sent)


@pytest.mark.parametrize("role", ["bureau", "provider", "enterprise", "admin"])
def test_the_order_list_reads_in_few_statements(world, role: str) -> None:  # type: ignore[no-untyped-def]
    settings = world.settings()
    app: Flask = create_app(settings, {"TESTING": True, "RATELIMIT_ENABLED": False})
    client = client_as(app, world, role)
    assert client.get("/orders?page=2").status_code == 200  # the count is cached per version of the orders
    with statements(app.extensions["diagnose_engine"]) as sent:
        page = client.get("/orders?page=2")
    assert page.status_code == 200
    # The user (1); the table versions (1); the page of orders with their enterprises (1); the bell (1);
    # a bureau's own bureau and regions (2).
    assert len(sent) <= (6 if role == "bureau" else 4), _flat(sent)
