"""Every reason a service gives for refusing input reads in Chinese on the pages.

The services speak English (the API's `message`, logs); the pages translate their reasons through
`web.messages.reason_text`. This test reads every refusal the services can raise (literal messages, and
f-strings filled with sample values) from the source and checks each comes out in Chinese, so a new
message without a translation fails here rather than showing English to a provider on site.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask, session

from diagnose.settings import load_settings
from web import create_app
from web.messages import reason_text

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
SAMPLES = {"action": "submit", "status": "accepted", "order.status": "accepted", "row.status": "issued"}


def _sample(expression: ast.expr) -> str:
    """A plausible value for a formatted field: numbers for limits and amounts, an id-like word otherwise."""
    source = ast.unparse(expression)
    if source in SAMPLES:
        return SAMPLES[source]
    if re.search(r"MAX|yuan|fen|version|number|line|days", source):
        return "12"
    return "D01"


def _message(call: ast.Call) -> ast.expr | None:
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    if not name.endswith("Error"):
        return None
    index = 2 if name == "RowError" else 1  # RowError(row number, field, message)
    return call.args[index] if len(call.args) > index else None


def service_messages() -> list[tuple[str, str]]:
    """(where, message) for every refusal raised in diagnose/ and the page modules of web/ (the JSON API
    answers in the contract's English) with a message written in its source."""
    found = []
    pages = [
        path for path in (ROOT / "web").rglob("*.py") if "api" not in path.relative_to(ROOT / "web").parts
    ]
    for path in sorted([*(ROOT / "diagnose").rglob("*.py"), *pages]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            message = _message(node)
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                text = message.value
            elif isinstance(message, ast.JoinedStr):
                text = "".join(
                    v.value if isinstance(v, ast.Constant) else _sample(v.value)  # type: ignore[attr-defined]
                    for v in message.values
                )
            else:
                continue
            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    return found


MESSAGES = service_messages()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    settings = load_settings(
        env="test", var_dir=tmp_path_factory.mktemp("var"), secret_key="t", database_url="sqlite://",
        mqtt_url="mqtt://127.0.0.1:1",
    )  # fmt: skip
    return create_app(settings, {"TESTING": True})


def test_the_scan_finds_the_services_refusals() -> None:
    assert len(MESSAGES) > 60  # the scan itself works: dozens of refusals across the services
    assert any(m == "the questionnaire cannot be edited while the order is accepted" for _w, m in MESSAGES)


@pytest.mark.parametrize(("where", "message"), MESSAGES, ids=[w for w, _m in MESSAGES])
def test_every_refusal_reads_in_chinese(app: Flask, where: str, message: str) -> None:
    with app.test_request_context("/"):
        session["lang"] = "zh"
        shown = reason_text(message)
    assert CJK.search(shown), f"{where}: {message!r} is shown untranslated as {shown!r}"
