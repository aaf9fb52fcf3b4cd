"""Forms validated by the shared schemas: the one place the pages read what was POSTed.

`parse_form(Model)` reads `request.form` (and `request.files` for the model's `Upload` fields) into a model of
diagnose.schemas, the same model the API takes for the same operation where there is one, and returns it; or
raises `FormError`, the shared FieldError (every field at fault, as the API reports them) with each field's
message for a person (translated; Chinese first). Nothing is stored before that, so a refused form changes
nothing. What the browser sends is read as a form means it:

- an empty text for a field that may be absent (`X | None`) is None; for a text field it stays "" (a required
  one says "required"); for any other field it is left out (the default applies, or "required");
- a bool field with a default is a checkbox: absent is False (an unchecked box sends nothing); one whose
  default is None (`bool | None = None`) is a yes / no / not-stated choice: empty is None;
- a list field takes every value of its name (a multi-select or several checkboxes), empty ones dropped
  (none chosen is an empty list, which a list that needs one item refuses as "choose at least one");
- an `Upload` field takes the file of its name (none chosen: absent);
- the CSRF token is not a field (Flask-WTF's CSRFProtect checks it before the view runs); any other name the
  model does not have is refused as unknown, as the API refuses it.

`typed()` is what was typed, for a page that shows the form again (never a password), and `field_error(name)`
(a template global) the message for one field next to its input.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import Flask, abort, flash, g, request
from markupsafe import Markup
from pydantic import BaseModel, Json
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from werkzeug.datastructures import FileStorage, MultiDict

from diagnose.schemas.common import Upload
from diagnose.schemas.errors import FieldError, FieldMessage, first_error
from web.db import get_session
from web.messages import describe, not_saved

M = TypeVar("M", bound=BaseModel)
NOT_FIELDS = frozenset({"csrf_token"})
UNION_TYPES = (typing.Union, types.UnionType)


class FormError(FieldError):
    """A form the schema refused: `errors` as the API reports them, `shown` the same for a person."""

    def __init__(self, errors: list[FieldMessage]) -> None:
        head = errors[0] if errors else FieldMessage(field="", message="is not valid")
        super().__init__(head.field, head.reason, errors=errors or [head], **head.params)
        self.message = head.message
        self.shown = [
            FieldMessage(field=e.field, message=describe(e), reason=e.reason, params=e.params)
            for e in self.errors
        ]

    def by_field(self) -> dict[str, str]:
        """The first message for each field (its top-level name), for the inputs of the page."""
        found: dict[str, str] = {}
        for error in self.shown:
            found.setdefault(error.field.partition(".")[0], error.message)
        return found


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types a field accepts (the members of a union, else the type itself), constraints taken off; a
    JSON text (pydantic's Json) is a str, as the browser sends it."""
    members = typing.get_args(annotation) if typing.get_origin(annotation) in UNION_TYPES else (annotation,)
    found: list[Any] = []
    for member in members:
        if typing.get_origin(member) is typing.Annotated:
            inner, *metadata = typing.get_args(member)
            member = str if any(m is Json or type(m) is Json for m in metadata) else inner
        found.append(member)
    return tuple(found)


def _accepts_none(info: FieldInfo) -> bool:
    return type(None) in _members(info.annotation)


def _accepts_empty_text(info: FieldInfo) -> bool:
    for member in _members(info.annotation):
        if member is str:
            return True
        if typing.get_origin(member) is typing.Literal and "" in typing.get_args(member):
            return True
    return False


def _is(info: FieldInfo, kind: type) -> bool:
    return any(m is kind or typing.get_origin(m) is kind for m in _members(info.annotation))


def _is_upload(info: FieldInfo) -> bool:
    return any(isinstance(m, type) and issubclass(m, Upload) for m in _members(info.annotation))


def _upload(storage: FileStorage) -> dict[str, Any]:
    try:
        data = storage.read()
    finally:
        storage.close()
    return {"filename": storage.filename or "", "content_type": storage.mimetype or "", "data": data}


def form_data(
    model: type[BaseModel], form: MultiDict[str, str], files: MultiDict[str, FileStorage] | None = None
) -> dict[str, Any]:
    """What a model validates, read from a form's fields and files as the module's docstring says."""
    data: dict[str, Any] = {}
    known: set[str] = set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        known.add(key)
        if _is_upload(info):
            storage = files.get(key) if files is not None else None
            if storage is not None and storage.filename:
                data[key] = _upload(storage)
            continue
        if _is(info, list):
            data[key] = [v for v in form.getlist(key) if v.strip()]  # none chosen: an empty list
            continue
        if _is(info, bool) and not info.is_required():
            value = form.get(key, "")
            # An unticked checkbox is no; a yes / no / not-stated choice (`bool | None = None`) left empty is None.
            tri_state = info.default is None and _accepts_none(info)
            data[key] = value if value.strip() else (None if tri_state else False)
            continue
        if key not in form:
            continue
        value = form[key]
        if value.strip():
            data[key] = value
        elif _accepts_none(info):
            data[key] = None
        elif _accepts_empty_text(info):
            data[key] = value
    for key in form:
        if key not in known and key not in NOT_FIELDS:
            data[key] = form[key]  # refused by the model as an unknown field, as the API refuses it
    if files is not None:
        for key in files:
            if key not in known:
                data[key] = "(a file)"
    return data


def parse_form(
    model: type[M],
    form: MultiDict[str, str] | None = None,
    files: MultiDict[str, FileStorage] | None = None,
) -> M:
    """The POSTed form (or `form` and `files`) as `model`; FormError naming every field at fault otherwise."""
    if form is None:
        form, files = request.form, request.files
    try:
        return model.model_validate(form_data(model, form, files))
    except PydanticValidationError as exc:
        refused = FormError(first_error(exc, model).errors)
        g.form_errors = refused.by_field()
        raise refused from None


def refuse(exc: FieldError) -> None:
    """A refused form: its transaction rolled back; 403 for an actor who may not do this, else the flash
    saying why (and the field's message by its input)."""
    get_session().rollback()
    if exc.code == "forbidden":
        abort(403)
    flash(not_saved(exc), "error")


def typed() -> Mapping[str, str]:
    """What was typed into the POSTed form, to show it again (passwords and the CSRF token left out)."""
    if request.method != "POST":
        return {}
    return {k: v for k, v in request.form.items() if k not in NOT_FIELDS and "password" not in k}


def field_error(name: str) -> Markup:
    """The message for one field of the refused form, next to its input ('' when the field is fine)."""
    message = g.get("form_errors", {}).get(name)
    if not message:
        return Markup("")
    return Markup('<span class="field-error" role="alert">{}</span>').format(message)


def init_app(app: Flask) -> None:
    """Make `field_error` a template global."""
    app.add_template_global(field_error, "field_error")
