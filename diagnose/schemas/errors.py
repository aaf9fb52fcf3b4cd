"""The one error type for bad input (field + reason code), and its JSON form for the API and the forms.

`FieldError` is what services, the workflow, the forms and the API raise or report: a reason code of
diagnose.schemas.reasons and its params, worded in English for the API (`message`) and in the reader's
language on the pages (web.messages). `ErrorOut` is the body of every 4xx answer of the API. `field_errors`
turns a pydantic ValidationError into the same fields, worded from each error's `type` and `ctx` (never from
pydantic's English), naming each field by its Chinese title.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from diagnose.schemas.reasons import REASONS, english


class FieldError(ValueError):
    """Bad input: `field` names what is at fault ('' for the request as a whole), `reason` (a code of
    diagnose.schemas.reasons, filled by `params`) says why; `message` is that reason in English.

    `code` is 'invalid' (wrong value or state: 422) or 'forbidden' (the actor may not do this: 403).
    `errors` lists every field at fault (a schema's validation may find several), the first being `field`.
    An unregistered reason or a param its template lacks raises KeyError here, where it is raised.
    """

    def __init__(
        self,
        field: str,
        reason: str,
        *,
        code: str = "invalid",
        errors: list[FieldMessage] | None = None,
        **params: Any,
    ) -> None:
        message = english(reason, params)
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = reason
        self.params = params
        self.message = message
        self.code = code
        self.errors = errors or [FieldMessage(field=field, message=message, reason=reason, params=params)]

    @classmethod
    def of(cls, field: str, exc: Exception) -> FieldError:
        """`exc` (a refusal carrying `reason` and `params`: a FieldError, scoring's or a domain check's) for
        `field`; a plain ValueError's own sentence as the `detail` reason."""
        reason = getattr(exc, "reason", None)
        if isinstance(reason, str) and reason in REASONS:
            return cls(field, reason, **dict(getattr(exc, "params", {}) or {}))
        return cls(field, "detail", detail=str(exc))


class FieldMessage(BaseModel):
    """One field at fault."""

    model_config = ConfigDict(title="FieldMessage")

    field: str = Field(title="字段", description="Dotted path of the field ('' for the whole body)")
    message: str = Field(title="说明")
    reason: str = Field(default="invalid", title="原因代码", description="The reason's code (see `message`)")
    params: dict[str, Any] = Field(default_factory=dict, title="参数", description="What fills the reason")
    _title: str = PrivateAttr(default="")  # the field's Chinese title, for the pages


class ErrorOut(BaseModel):
    """The body of every error answer (4xx) of the API."""

    error: str = Field(title="错误", description="HTTP reason, e.g. 'Unprocessable Entity'")
    message: str = Field(title="说明", description="What is wrong, for a person")
    field: str | None = Field(default=None, title="字段", description="The first field at fault, if any")
    reason: str | None = Field(default=None, title="原因代码", description="The first reason's code, if any")
    params: dict[str, Any] = Field(default_factory=dict, title="参数", description="What fills the reason")
    errors: list[FieldMessage] = Field(default_factory=list, title="各字段错误")


def _title(model: type[BaseModel] | None, name: str) -> str:
    info = model.model_fields.get(name) if model is not None else None
    return info.title if info is not None and info.title else ""


def _model_named(name: str) -> type[BaseModel] | None:
    """The schema model a validation error names (its `title`), searched among BaseModel's subclasses."""
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        if model.__name__ == name and model.__module__.startswith("diagnose.schemas"):
            return model
        stack.extend(model.__subclasses__())
    return None


# pydantic's error types (pydantic_core ErrorType), each as our reason: the ctx names its limits.
NUMBER_TYPES = frozenset(
    {
        "int_parsing", "int_type", "int_from_float", "int_parsing_size", "float_parsing", "float_type",
        "decimal_parsing", "decimal_type", "finite_number", "decimal_max_digits", "decimal_max_places",
        "decimal_whole_digits",
    }
)  # fmt: skip
DATE_TYPES = frozenset(
    {"date_parsing", "date_type", "date_from_datetime_inexact", "date_from_datetime_parsing", "date_past"}
)
CHOICE_TYPES = frozenset({"literal_error", "enum", "bool_parsing", "bool_type", "string_type", "list_type"})
BOUND_TYPES = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}
BOUND_REASONS = {"ge": "at_least", "gt": "more_than", "le": "at_most", "lt": "below"}


def reason_of(error: Any) -> tuple[str, dict[str, Any]]:
    """One pydantic error (an item of `errors()`) as (reason code, params), from its `type` and `ctx`; 'invalid'
    when the ctx lacks what the reason's template names."""
    reason, params = _reason_of(error)
    try:
        english(reason, params)
    except (KeyError, TypeError, ValueError):
        return "invalid", {}
    return reason, params


def _reason_of(error: Any) -> tuple[str, dict[str, Any]]:
    kind, ctx, loc = error.get("type", ""), dict(error.get("ctx") or {}), error.get("loc", ())
    if kind in REASONS:  # a PydanticCustomError of ours: its type is our code, its ctx the params
        return kind, ctx
    if kind in ("value_error", "assertion_error"):
        return _carried(ctx.get("error"))
    if kind == "missing":
        return "required", {}
    if kind == "string_too_short":
        return ("required", {}) if ctx.get("min_length") == 1 else ("min_chars", _only(ctx, "min_length"))
    if kind == "string_too_long":
        return "max_chars", _only(ctx, "max_length")
    if kind == "string_pattern_mismatch":
        return "pattern", _only(ctx, "pattern")
    if kind == "too_short":
        return "choose_at_least_one", {}
    if kind == "too_long":
        return "too_many", _only(ctx, "max_length")
    if kind in BOUND_TYPES:
        bound = BOUND_TYPES[kind]
        return BOUND_REASONS[bound], {bound: ctx.get(bound)}
    if kind in NUMBER_TYPES:
        return "not_a_number", {}
    if kind in DATE_TYPES:
        return "not_a_date", {}
    if kind == "json_invalid":
        return "unreadable", {}
    if kind == "extra_forbidden":
        return "unknown_field", {}
    if kind in ("model_type", "model_attributes_type", "dict_type") and not loc:
        return "not_an_object", {}
    if kind in CHOICE_TYPES:
        return "not_a_choice", _only(ctx, "expected")
    return "invalid", {}


def _only(ctx: dict[str, Any], name: str) -> dict[str, Any]:
    return {name: ctx[name]} if name in ctx else {}


def _carried(exc: Any) -> tuple[str, dict[str, Any]]:
    """The reason a validator's ValueError carries (a FieldError, or scoring's refusal with `reason`)."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason in REASONS:
        return reason, dict(getattr(exc, "params", {}) or {})
    return "invalid", {}


def field_errors(exc: PydanticValidationError, model: type[BaseModel] | None = None) -> list[FieldMessage]:
    """Each error of a pydantic validation: its reason and params, the English prefixed by the field's title."""
    model = model or _model_named(exc.title)
    found: list[FieldMessage] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ())]
        reason, params = reason_of(error)
        text = english(reason, params)
        title = _title(model, loc[0]) if loc else ""
        item = FieldMessage(
            field=".".join(loc), message=f"{title}：{text}" if title else text, reason=reason, params=params
        )
        item._title = title
        found.append(item)
    return found


def first_error(exc: PydanticValidationError, model: type[BaseModel] | None = None) -> FieldError:
    """A pydantic validation as a FieldError: the first field at fault, and every one in `errors`."""
    return from_messages(field_errors(exc, model))


def from_messages(errors: list[FieldMessage]) -> FieldError:
    """A FieldError for fields at fault (the first is `field`); its message the first's, title included."""
    head = errors[0] if errors else FieldMessage(field="", message=english("invalid", {}))
    refused = FieldError(head.field, head.reason, errors=errors or [head], **head.params)
    refused.message = head.message
    return refused


def validate(model: type[BaseModel], data: Any) -> Any:
    """`model.model_validate(data)`, raising FieldError (every field at fault, the first as `field`) instead of
    pydantic's error."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise first_error(exc, model) from None
