"""The shared schemas: one error type with Chinese field titles, money limits told in yuan, industry codes."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose import workflow
from diagnose.schemas import FieldError, validate
from diagnose.schemas.enterprises import check_industry_code
from diagnose.schemas.orders import BatchCreate
from diagnose.services.accounts import orgs
from tests import factories


@pytest.mark.parametrize(
    ("code", "normal"), [("3484", "3484"), ("c34", "C34"), ("C", "C"), (" C3484 ", "C3484")]
)
def test_industry_codes_of_gbt4754_are_accepted(code: str, normal: str) -> None:
    assert check_industry_code(code) == normal


@pytest.mark.parametrize("code", ["", "Z", "D34", "99", "C3", "C34567", "3x"])
def test_other_industry_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError):
        check_industry_code(code)


def test_registration_refuses_a_bad_industry_code(engine: Engine) -> None:
    with Session(engine) as session:
        factories.regions(session)
        with pytest.raises(FieldError) as refused:
            orgs.create_enterprise(
                session=session,
                actor="test",
                uscc=factories.uscc(),
                name="测试",
                region_code="320412",
                industry_code="D34",
            )
    assert refused.value.field == "industry_code"


def test_one_error_type_with_titles_and_yuan() -> None:
    assert orgs.ValidationError is FieldError and workflow.WorkflowError is FieldError
    with pytest.raises(FieldError) as too_much:
        validate(BatchCreate, {"name": "2026 第一批", "year": 2026, "budget_fen": 3_000_000_000})
    assert too_much.value.field == "budget_fen"
    assert too_much.value.message == "批次预算：may be at most ¥20,000,000.00"
    assert (too_much.value.reason, too_much.value.params) == ("amount_at_most", {"max_fen": 2_000_000_000})
    with pytest.raises(FieldError) as unknown:
        validate(BatchCreate, {"name": "x", "year": 2026, "budget_fen": 1, "colour": "red"})
    assert (unknown.value.field, unknown.value.reason) == ("colour", "unknown_field")


def test_forms_take_yuan_and_state_their_limits_in_yuan() -> None:
    from diagnose.schemas.orders import BatchForm

    form = validate(BatchForm, {"name": "第一批", "year": "2026", "budget_yuan": "150,000.50"})
    assert form.create().budget_fen == 15_000_050
    for typed, message in (
        ("1.234", "may have at most two decimals"),
        ("30000000", "may be at most ¥20,000,000.00"),
        ("abc", ""),
    ):
        with pytest.raises(FieldError) as refused:
            validate(BatchForm, {"name": "第一批", "year": 2026, "budget_yuan": typed})
        assert refused.value.field == "budget_yuan" and refused.value.message.startswith("批次预算：")
        assert message in refused.value.message
