"""Every refusal is a registered code worded from the catalogues: Chinese on the pages, English for the API.

Services, the workflow and the schemas refuse with `FieldError(field, reason, **params)`; the reason is a code
of diagnose.schemas.reasons (an unknown one fails where it is raised), its English template the msgid of a
reviewed Chinese entry in web/translations. pydantic's errors are worded from their `type` and `ctx`, never
from pydantic's English.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask, session
from pydantic import BaseModel, Field, ValidationError
from pydantic_core.core_schema import ErrorType

from diagnose.schemas.enterprises import EnterpriseCreate
from diagnose.schemas.errors import FieldError, field_errors, reason_of
from diagnose.schemas.reasons import REASONS
from diagnose.settings import load_settings
from web import create_app
from web.messages import describe, word

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
with (ROOT / "web/translations/zh/LC_MESSAGES/messages.po").open("rb") as _po:
    CATALOGUE = read_po(_po)
FREE_TEXT = {"detail", "password_rejected"}  # a domain check's own sentence, shown as it words it


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    settings = load_settings(
        env="test", var_dir=tmp_path_factory.mktemp("var"), secret_key="t", database_url="sqlite://",
        mqtt_url="mqtt://127.0.0.1:1",
    )  # fmt: skip
    return create_app(settings, {"TESTING": True})


def _sample(template: str) -> dict[str, object]:
    return {name: 12 if name.endswith("_fen") else "D01" for name in PLACEHOLDER.findall(template)}


def test_no_reason_is_named_like_a_pydantic_error_type() -> None:
    """A PydanticCustomError of ours is told from pydantic's own errors by its type."""
    assert not set(REASONS) & set(typing.get_args(ErrorType))


@pytest.mark.parametrize("reason", sorted(REASONS))
def test_every_reason_has_english_and_a_reviewed_chinese_entry(reason: str) -> None:
    template = REASONS[reason]
    entry = CATALOGUE.get(template)
    assert entry is not None and entry.string and not entry.fuzzy, f"{reason}: {template!r} has no Chinese"
    assert sorted(PLACEHOLDER.findall(str(entry.string))) == sorted(PLACEHOLDER.findall(template))
    assert FieldError("x", reason, **_sample(template)).message  # the English fills without a KeyError


@pytest.mark.parametrize("reason", sorted(set(REASONS) - FREE_TEXT))
def test_every_reason_reads_in_chinese_on_a_page(app: Flask, reason: str) -> None:
    with app.test_request_context("/"):
        session["lang"] = "zh"
        shown = word(reason, _sample(REASONS[reason]))
    assert CJK.search(shown), f"{reason} is shown untranslated as {shown!r}"


def test_an_unregistered_reason_fails_where_it_is_raised() -> None:
    with pytest.raises(KeyError, match="unregistered refusal reason 'no such code'"):
        FieldError("name", "no such code")
    with pytest.raises(KeyError):
        FieldError("fee_fen", "fee_cap")  # its template needs max_fen


def test_amounts_are_worded_in_yuan(app: Flask) -> None:
    refused = FieldError("fee_fen", "fee_cap", max_fen=20_000_000)
    assert refused.message == "must be more than ¥0.00 and at most ¥200,000.00"
    assert (refused.reason, refused.params) == ("fee_cap", {"max_fen": 20_000_000})
    with app.test_request_context("/"):
        session["lang"] = "zh"
        assert word(refused.reason, refused.params) == "须大于 ¥0.00 且不超过 ¥200,000.00"


class Sample(BaseModel):
    """Fields with the constraints our schemas use."""

    name: str = Field(min_length=1, max_length=4, title="名称")
    code: str = Field(default="", min_length=0, pattern=r"^[0-9]{6}$", title="代码")
    year: int = Field(default=2026, ge=2000, le=2100, title="年度")
    share: float = Field(default=1, gt=0, lt=2)
    kind: typing.Literal["factory", "workshop"] = "factory"
    on: typing.Any = None
    ids: list[int] = Field(default_factory=lambda: [1], min_length=1, max_length=2)


@pytest.mark.parametrize(
    ("data", "reason", "params"),
    [
        ({}, "required", {}),
        ({"name": ""}, "required", {}),
        ({"name": "toolong"}, "max_chars", {"max_length": 4}),
        ({"name": "a", "code": "12"}, "pattern", {"pattern": "^[0-9]{6}$"}),
        ({"name": "a", "year": "x"}, "not_a_number", {}),
        ({"name": "a", "year": 1999}, "at_least", {"ge": 2000}),
        ({"name": "a", "year": 2101}, "at_most", {"le": 2100}),
        ({"name": "a", "share": 0}, "more_than", {"gt": 0.0}),
        ({"name": "a", "share": 2}, "below", {"lt": 2.0}),
        ({"name": "a", "kind": "shop"}, "not_a_choice", {"expected": "'factory' or 'workshop'"}),
        ({"name": "a", "ids": []}, "choose_at_least_one", {}),
        ({"name": "a", "ids": [1, 2, 3]}, "too_many", {"max_length": 2}),
    ],
)
def test_pydantic_errors_are_worded_from_type_and_ctx(data: dict, reason: str, params: dict) -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    first = field_errors(caught.value, Sample)[0]
    assert (first.reason, first.params) == (reason, params)
    assert first.message.startswith("名称：") or first.field != "name"


def test_an_unknown_field_and_our_validators_codes() -> None:
    with pytest.raises(ValidationError) as caught:
        EnterpriseCreate.model_validate({"extra": 1})
    reasons = {e.field: e.reason for e in field_errors(caught.value)}
    assert reasons["extra"] == "unknown_field"
    with pytest.raises(ValidationError) as caught:
        EnterpriseCreate.model_validate({"uscc": "91320500MA1XXXXXX0", "industry_code": "C99"})
    reasons = {e.field: e.reason for e in field_errors(caught.value)}
    assert reasons["industry_code"] == "industry_division"


@pytest.mark.parametrize("kind", typing.get_args(ErrorType))
def test_every_pydantic_error_type_is_worded(app: Flask, kind: str) -> None:
    """Whatever pydantic reports, the pages word a registered reason (at worst 'is not valid')."""
    reason, params = reason_of({"type": kind, "loc": ("name",), "ctx": {}})
    assert reason in REASONS
    with app.test_request_context("/"):
        session["lang"] = "zh"
        assert CJK.search(word(reason, params))


def test_a_schema_field_is_named_by_its_title_on_chinese_pages(app: Flask) -> None:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({"name": "toolong"})
    error = field_errors(caught.value, Sample)[0]
    with app.test_request_context("/"):
        session["lang"] = "zh"
        assert describe(error) == "名称：最多 4 个字符"
