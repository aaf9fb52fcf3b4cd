"""Translations on a page: the request's catalogue is looked up once, not once per string (counted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_babel
import pytest
from flask import Flask

from tests.web.conftest import client_as
from web import create_app, extensions, labels


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the calls of the request's lookup (web.extensions.request_translations) and of flask-babel's
    own (Domain.get_translations, which a lazy string or flask_babel.gettext runs on every call)."""
    calls = {"request_translations": 0, "flask_babel": 0}

    def wrap(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return counted

    lookup = wrap("request_translations", extensions.request_translations)
    monkeypatch.setattr(extensions, "request_translations", lookup)
    monkeypatch.setattr(labels, "request_translations", lookup)
    monkeypatch.setattr(
        flask_babel.Domain, "get_translations", wrap("flask_babel", flask_babel.Domain.get_translations)
    )
    return calls


@pytest.mark.parametrize("role", ["bureau", "provider", "enterprise"])
def test_the_order_list_looks_its_catalogue_up_once(
    world, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    app: Flask = create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})
    client = client_as(app, world, role)
    assert client.get("/orders").status_code == 200
    calls = _counting(monkeypatch)
    page = client.get("/orders")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "诊断" in text
    # Once for the page's render, once in the pager macro (imported without the page's context, it uses
    # the environment's gettext); flask-babel's own lookup once, by the first. Before: 101 and more, one per
    # string and label on the page.
    assert calls["request_translations"] <= 2 and calls["flask_babel"] == 1, calls


def test_template_strings_are_formatted_only_when_they_can_change(world) -> None:  # type: ignore[no-untyped-def]
    app: Flask = create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        page = app.jinja_env.from_string(
            "{{ _('Orders') }}|{{ _('100%% done') }}|{{ _('Hello %(name)s', name='<b>') }}|"
            "{% trans %}50% left{% endtrans %}"
        )
        rendered = page.render(**extensions.catalogue_context())
        again = page.render(**extensions.catalogue_context())  # the second render reads the Markup cache
    assert rendered == again == "Orders|100% done|Hello &lt;b&gt;|50% left"
