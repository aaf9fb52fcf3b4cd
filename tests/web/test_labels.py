"""Labels and template strings come from the request's catalogue, looked up once per request and locale."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale

TEMPLATE = (
    "{{ 'accepted'|status_label }} {{ _('Status') }} {{ 'nonsense'|status_label }} {{ None|status_label }}"
)


def test_labels_follow_the_locale_even_when_it_changes_within_a_request(app: Flask) -> None:
    with app.test_request_context("/"):
        assert render_template_string(TEMPLATE) == "已验收 状态 nonsense —"
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "Accepted Status nonsense —"
        assert render_template_string(TEMPLATE) == "已验收 状态 nonsense —"
    with app.test_request_context("/?lang=en"):
        assert render_template_string(TEMPLATE) == "Accepted Status nonsense —"


def test_a_label_with_variables_is_still_formatted(app: Flask) -> None:
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Level %(n)s', n=3) }}") == "3 级"
