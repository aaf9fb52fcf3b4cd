"""The one error type for bad input (field + message), and its JSON form for the API and the forms.

`FieldError` is what services, the workflow, the forms and the API raise or report; `ErrorOut` is the body of
every 4xx answer of the API. `field_errors` turns a pydantic ValidationError into the same (field, message)
pairs, naming each field by its Chinese title so a message can be shown as it is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError


class FieldError(ValueError):
    """Bad input: `field` names what is at fault ('' for the request as a whole), `message` says why.

    `code` is 'invalid' (wrong value or state: 422) or 'forbidden' (the actor may not do this: 403).
    `errors` lists every field at fault (a schema's validation may find several), the first being `field`.
    """

    def __init__(
        self,
        field: str,
        message: str,
        code: str = "invalid",
        errors: list[FieldMessage] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.code = code
        self.errors = errors or [FieldMessage(field=field, message=message)]


class FieldMessage(BaseModel):
    """One field at fault."""

    model_config = ConfigDict(title="FieldMessage")

    field: str = Field(title="字段", description="Dotted path of the field ('' for the whole body)")
    message: str = Field(title="说明")


class ErrorOut(BaseModel):
    """The body of every error answer (4xx) of the API."""

    error: str = Field(title="错误", description="HTTP reason, e.g. 'Unprocessable Entity'")
    message: str = Field(title="说明", description="What is wrong, for a person")
    field: str | None = Field(default=None, title="字段", description="The first field at fault, if any")
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


def field_errors(exc: PydanticValidationError, model: type[BaseModel] | None = None) -> list[FieldMessage]:
    """(field, message) for each error of a pydantic validation, messages prefixed by the field's title."""
    model = model or _model_named(exc.title)
    found: list[FieldMessage] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ())]
        field = ".".join(loc)
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            message = "unknown field"
        elif kind in ("model_type", "model_attributes_type", "dict_type") and not loc:
            message = "the body must be a JSON object"
        elif kind == "value_error" and "error" in error.get("ctx", {}):
            message = str(error["ctx"]["error"])  # our own validators' words, without pydantic's prefix
        else:
            message = str(error.get("msg", "invalid"))
        title = _title(model, loc[0]) if loc else ""
        found.append(FieldMessage(field=field, message=f"{title}：{message}" if title else message))
    return found


def first_error(exc: PydanticValidationError, model: type[BaseModel] | None = None) -> FieldError:
    """A pydantic validation as a FieldError: the first field at fault, and every one in `errors`."""
    errors = field_errors(exc, model)
    head = errors[0] if errors else FieldMessage(field="", message="invalid input")
    return FieldError(head.field, head.message, errors=errors or [head])


def validate(model: type[BaseModel], data: Any) -> Any:
    """`model.model_validate(data)`, raising FieldError (every field at fault, the first as `field`) instead of
    pydantic's error."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise first_error(exc, model) from None
