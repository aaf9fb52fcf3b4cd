"""The API blueprint and what every endpoint shares: Bearer-token auth with roles and scopes, JSON error
bodies, the guard that refuses a malformed or non-object body, and the one transactional helper for writes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

from flask import Flask, Response, abort, current_app, g, jsonify, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from diagnose.models import Role
from diagnose.schemas.errors import ErrorOut, FieldError, FieldMessage, field_errors, from_messages
from diagnose.services.accounts import tokens
from web.db import get_session
from web.extensions import csrf
from web.scope import get_plant_order

F = TypeVar("F", bound=Callable[..., Any])
ALL = tuple(Role)  # every role, admin first
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

bp = APIBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    abp_security=[{"bearer": []}],
    abp_responses=ERRORS,  # type: ignore[arg-type]
    operation_id_callback=lambda *, name, path, method: name,  # the view's name: unique, readable
)
csrf.exempt(bp)  # no cookies are used here: a Bearer token cannot be sent by a cross-site form

# endpoint name (the view's __name__) → roles allowed; views without an entry are public (the document).
ROLES: dict[str, tuple[str, ...]] = {}
COMPUTES: set[str] = set()  # POSTs that store nothing (sizing, verifying): a read-scope token may call them
PLANT: set[str] = set()  # endpoints that show or change the plant of `order_id`: only while the order is open


def api_role(*roles: str, stores: bool = True, plant: bool = False) -> Callable[[F], F]:
    """Allow only these roles (403); the token is checked before anything else (401), see `_authenticate`.
    `stores=False` marks a POST that changes nothing, so a read-scope token may call it; `plant=True` an
    endpoint on the order's plant (devices, telemetry, indicators, the questionnaire), which a provider reaches
    only while that order is open (`web.scope.get_plant_order`)."""

    def decorator(view: F) -> F:
        ROLES[view.__name__] = roles
        if not stores:
            COMPUTES.add(view.__name__)
        if plant:
            PLANT.add(view.__name__)
        return view

    return decorator


def tag(name: str, description: str) -> list[Tag]:
    """An operation group in the document."""
    return [Tag(name=name, description=description)]


def error_response(
    code: int,
    message: str,
    field: str | None = None,
    errors: list[FieldMessage] | None = None,
    refused: FieldError | None = None,
) -> Response:
    """The JSON body of an error answer: a refusal's reason code and params are its first error's."""
    head = errors[0] if errors else (refused.errors[0] if refused is not None else None)
    if not errors and field is not None:
        errors = [FieldMessage(field=field, message=message, reason=head.reason if head else "invalid")]
    body = ErrorOut(
        error=HTTP_STATUS_CODES.get(code, "Error"),
        message=message,
        field=field,
        reason=head.reason if head else None,
        params=head.params if head else {},
        errors=errors or [],
    )
    response = jsonify(body.model_dump(mode="json"))
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


@bp.before_request
def _authenticate() -> Response | None:
    """Token (401), role (403), scope (403 for a write with a read-only token), then a well-formed body."""
    name = (request.endpoint or "").rpartition(".")[2]
    roles = ROLES.get(name)
    if roles is None:
        return None
    # RFC 9110 §11.1: the scheme name is case-insensitive ("bearer …" is as good as "Bearer …").
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    bearer = scheme.lower() == "bearer"
    found = tokens.token_holder(session=get_session(), token=token.strip()) if bearer else None
    if found is None:
        return error_response(401, "a valid, unexpired Bearer token is required")
    g.user, g.token_scope = found
    if g.user.role not in roles:
        return error_response(403, f"this operation is for: {', '.join(roles)}")
    if request.method not in READ_METHODS and g.token_scope != "write" and name not in COMPUTES:
        return error_response(403, "this token is read-only: issue a token with the write scope")
    if name in PLANT:
        get_plant_order((request.view_args or {})["order_id"])  # 404 out of scope, 403 once the order ended
    return _check_body()


def _check_body() -> Response | None:
    if request.method in READ_METHODS or request.mimetype not in ("", "application/json"):
        return None  # a file upload (application/pdf) is the body itself
    # A JSON body is parsed whole: capped like an import file (413 above), so parsing it stays bounded.
    request.max_content_length = current_app.extensions["diagnose_settings"].import_max_bytes
    if not request.get_data(cache=True):
        return None
    try:
        parsed = json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(400, f"the body is not valid JSON: {exc}", "")
    except RecursionError:
        return error_response(400, "the body is not valid JSON: nested too deep", "")
    if not isinstance(parsed, dict):
        refused = FieldError("", "not_an_object")
        return error_response(422, refused.message, "", refused.errors)
    return None


def validation_error(exc: PydanticValidationError) -> Response:
    """flask-openapi3's validation_error_callback: one ErrorOut with every field at fault."""
    refused = from_messages(field_errors(exc))
    return error_response(422, refused.message, refused.field, refused.errors)


@bp.errorhandler(FieldError)
def _field_error(exc: FieldError) -> Response:
    get_session().rollback()
    if exc.code == "forbidden":
        return error_response(403, exc.message, refused=exc)
    return error_response(422, exc.message, exc.field, exc.errors)


@bp.errorhandler(IntegrityError)
def _conflict(exc: IntegrityError) -> Response:
    get_session().rollback()
    return error_response(422, "conflicts with stored data (a duplicate?)", "")


def json_http_error(exc: HTTPException) -> Response | HTTPException:
    """An HTTP error as an ErrorOut body on /api/ paths (other paths: as it was). An app-wide error page
    handler registered by status code should call this first for /api/ paths, since Flask prefers a handler
    by code over this one by class for routing errors (which belong to no blueprint)."""
    if not request.path.startswith("/api/"):
        return exc
    return error_response(exc.code or 500, exc.description or exc.name)


# Inside the blueprint, by code too: a blueprint's handler by code beats an app-wide error page by code.
for _code in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503):
    bp.register_error_handler(_code, json_http_error)


def init_app(app: Flask) -> None:
    """JSON errors for every /api/ path, including routing errors (an unknown or out-of-range id)."""
    app.register_error_handler(HTTPException, json_http_error)


@contextmanager
def writing() -> Iterator[Session]:
    """The one transaction of an API write: commit if the block ends, roll back on any error (which the
    blueprint's handlers then answer: FieldError → 422/403)."""
    db = get_session()
    try:
        yield db
        db.flush()
    except BaseException:
        db.rollback()
        raise
    db.commit()


def ok(model: BaseModel, status: int = 200) -> Response:
    """A response body from its schema."""
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


def not_found(what: str = "not found") -> NoReturn:
    """404 (outside the caller's scope looks the same as absent)."""
    abort(404, what)
