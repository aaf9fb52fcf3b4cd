"""The questionnaire a sub-domain at a time (issue #23 point 8): every page is small enough for a phone, the
jump list reaches every sub-domain, every requirement is on exactly one page, and a requirement's page is
found by its id (an attached photo comes back to it)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import Assessment
from diagnose.services.diagnosis import assessments
from tests.web.conftest import client_as, csrf_from
from web import create_app

PAGE_LIMIT = 200 * 1024  # bytes of HTML a page may weigh (one 363 KB page before)


@pytest.fixture(scope="module")
def app(world) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})


def test_every_page_is_small_and_every_requirement_is_on_exactly_one(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    base = f"/provider/orders/{world.order_id}/questionnaire"
    overview = client.get(base)
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200 and len(overview.data) <= PAGE_LIMIT, len(overview.data)
    assert 'id="device-figures"' in html and 'id="tailoring"' in html and 'class="req"' not in html
    links = re.findall(r'<a href="[^"]*\?sub=([^"]+)" data-sub="\1"', html)
    total = int(re.search(r'id="q-progress" data-total="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert total == len(_requirements(world)) > 100
    seen: list[str] = []
    sizes = {}
    for number, sub in enumerate(links, start=1):
        page = client.get(f"{base}?sub={sub}")
        sizes[sub] = len(page.data)
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        shown = re.findall(r'<div class="req" id="req-([^"]+)"', body)
        assert shown and f'id="sub-{sub}"' in body
        assert f"第 {number} / {len(links)} 个子域" in body  # where the provider is
        assert 'aria-current="page"' in body and f'data-sub="{sub}" aria-current="page"' in body
        # The page's own upload forms only: one per requirement shown.
        assert len(re.findall(r'<form id="photo-', body)) == len(shown)
        assert ('rel="next"' in body) == (number < len(links))
        seen += shown
    assert len(seen) == len(set(seen)) == total
    assert max(sizes.values()) <= PAGE_LIMIT, sizes
    assert sum(sizes.values()) > PAGE_LIMIT  # the whole questionnaire would not have fitted one page


def test_a_requirement_is_found_by_its_id_and_a_photo_returns_to_it(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    base = f"/provider/orders/{world.order_id}/questionnaire"
    last = _requirements(world)[-1]
    page = client.get(f"{base}?req={last.id}").get_data(as_text=True)
    assert f'id="req-{last.id}"' in page and f'id="sub-{last.subdomain}"' in page
    sent = client.post(
        f"/provider/orders/{world.order_id}/attachments",
        data={"csrf_token": csrf_from(page), "requirement_id": last.id, "file": (_png(), "现场.png")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"{base}?req={last.id}#req-{last.id}")
    back = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "现场.png" in back
    # An unknown sub-domain or requirement shows the overview, not an error.
    assert 'id="q-overview"' in client.get(f"{base}?sub=nope&req=<x>").get_data(as_text=True)


def test_answers_on_other_pages_count_in_the_progress(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    base = f"/provider/orders/{world.order_id}/questionnaire"
    first, second = _requirements(world)[0], None
    for r in _requirements(world):
        if r.subdomain != first.subdomain:
            second = r
            break
    assert second is not None
    page = client.get(f"{base}?req={first.id}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    before = int(re.search(r'id="q-answered">(\d+)<', page).group(1))  # type: ignore[union-attr]
    elsewhere = int(re.search(r'data-elsewhere="(\d+)"', page).group(1))  # type: ignore[union-attr]
    saved = client.post(
        f"/provider/orders/{world.order_id}/answers",
        json={"requirement_id": second.id, "rating": "0.5"},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 200
    again = client.get(f"{base}?req={first.id}").get_data(as_text=True)
    assert int(re.search(r'id="q-answered">(\d+)<', again).group(1)) in (before, before + 1)  # type: ignore[union-attr]
    assert int(re.search(r'data-elsewhere="(\d+)"', again).group(1)) - elsewhere in (0, 1)  # type: ignore[union-attr]
    count = re.search(rf'data-sub-count="{second.subdomain}" data-total="(\d+)">(\d+)/\1<', again)
    assert count is not None


def _requirements(world) -> list:  # type: ignore[no-untyped-def,type-arg]
    """The requirements of the world's order, as its assessment's industry type selects them."""
    engine = make_engine(url=world.settings().database_url)
    with Session(engine) as session:
        kind = session.exec(
            select(Assessment.industry_type).where(Assessment.order_id == world.order_id)
        ).one()
    engine.dispose()
    return list(assessments.requirements_for(kind))


def _png() -> object:
    import io

    from tests.e2e.test_screens_walkthrough import tiny_png

    return io.BytesIO(tiny_png())


def test_the_overview_of_a_large_plant_stays_small(app, world) -> None:  # type: ignore[no-untyped-def]
    """A plant of 150 devices: the overview lists 40 (the bottleneck first) and says how many more it counts."""
    from diagnose.models import DiagnosisOrder
    from tests import factories

    engine = make_engine(url=world.settings().database_url)
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        for n in range(150):
            factories.device(session, order.enterprise_id, f"BIG-{n:03d}", name=f"机床 {n}号", kind="CNC")  # type: ignore[union-attr]
        session.commit()
    engine.dispose()
    page = client_as(app, world, "provider").get(f"/provider/orders/{world.order_id}/questionnaire")
    html = page.get_data(as_text=True)
    assert len(page.data) <= PAGE_LIMIT, len(page.data)
    assert html.count("<tr data-device=") == 40
    more = re.search(r'<p id="more-devices">另有 (\d+) 台设备计入上方指标', html)
    assert more and int(more.group(1)) >= 150 - 40 + 1
