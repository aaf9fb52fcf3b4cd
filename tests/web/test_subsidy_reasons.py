"""Money explained on the result page: a ¥0 estimate says why, and each unpaid local clause has its reason."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.web.conftest import client_as
from web import create_app


@pytest.fixture(scope="module")
def app(world) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})


def test_a_zero_estimate_and_every_unpaid_line_say_why(app, world) -> None:  # type: ignore[no-untyped-def]
    page = client_as(app, world, "provider").get(f"/orders/{world.order_id}/result").get_data(as_text=True)
    sure = re.search(r'id="subsidy-sure">([^<]+)<', page)
    # The demo's plan earns nothing under the policies in force today (as the issue found): it says why.
    assert sure is not None and sure.group(1) == "0.00"
    reason = re.search(r'id="subsidy-zero-reason">([^<]+)<', page)
    assert reason is not None
    assert "常工信综合〔2021〕62号 未达门槛" in reason.group(1) and "失效于 2024-12-31" in reason.group(1)
    unpaid = page.split('id="subsidy-unpaid"')[1].split("</details>")[0]
    rows = re.findall(r'data-label="不予补贴的原因">([^<]*)<', unpaid)
    assert rows and all(r.strip() for r in rows)
    # The Wujin 2024 measures lapsed at the end of 2024: the demo's scoring (today) says so beside them.
    assert "失效于 2024-12-31" in unpaid
    # Clauses of other regions' policies are not listed as this enterprise's unpaid lines.
    assert "太政发" not in unpaid


@pytest.mark.parametrize("role", ["bureau", "enterprise"])
def test_the_bureau_and_the_enterprise_see_the_same_reasons(app, world, role: str) -> None:  # type: ignore[no-untyped-def]
    page = client_as(app, world, role).get(f"/orders/{world.order_id}/result").get_data(as_text=True)
    assert 'id="subsidy-unpaid"' in page
