"""JSON API under /api/v1/ with Bearer-token auth: the same operations as the UI, described by openapi.json."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from importlib import resources
from typing import Any, TypeVar

from flask import Blueprint, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from diagnose import workflow
from diagnose.models import DiagnosisOrder, Enterprise
from diagnose.services import assessments, orders, tokens
from diagnose.services.orgs import ValidationError
from web.db import get_session
from web.extensions import csrf
from web.orders import inputs_from_form
from web.scope import get_order, list_args

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are used here: a Bearer token cannot be sent by a cross-site form
F = TypeVar("F", bound=Callable[..., Any])
ALL = ("admin", "bureau", "provider", "enterprise")


def api_role(*roles: str) -> Callable[[F], F]:
    """Authenticate by Bearer token (401) and allow only these roles (403)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            user = (
                tokens.user_for_token(session=get_session(), token=token.strip())
                if scheme == "Bearer"
                else None
            )
            if user is None:
                abort(401)
            g.user = user
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


@bp.errorhandler(HTTPException)
def _json_error(exc: HTTPException) -> tuple[Response, int]:
    response = jsonify(error=exc.name, message=exc.description)
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response, exc.code or 500


def _unprocessable(field: str, message: str) -> tuple[Response, int]:
    return jsonify(error="Unprocessable Entity", field=field, message=message), 422


def order_json(order: DiagnosisOrder, enterprise: Enterprise | None = None) -> dict[str, Any]:
    """The public form of an order."""
    enterprise = enterprise or get_session().get(Enterprise, order.enterprise_id)
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "kind": order.kind,
        "fee_fen": order.fee_fen,
        "bureau_id": order.bureau_id,
        "batch_id": order.batch_id,
        "provider_id": order.provider_id,
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "uscc": enterprise.uscc}
        if enterprise
        else None,
        "due_date": order.due_date.isoformat() if order.due_date else None,
        "visit_date": order.visit_date.isoformat() if order.visit_date else None,
        "return_reason": order.return_reason,
        "confirmed": order.confirmed_at is not None,
        "rating": order.rating,
        "rating_comment": order.rating_comment,
        "allowed_actions": workflow.allowed_actions(order.status, g.user.role)
        if workflow.is_party(order, g.user)
        else [],
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(json.loads(resources.files("web").joinpath("openapi.json").read_text("utf-8")))


@bp.get("/me")
@api_role(*ALL)
def me() -> Response:
    """Who the token belongs to."""
    u = g.user
    return jsonify(id=u.id, username=u.username, role=u.role, display_name=u.display_name)


@bp.get("/orders")
@api_role(*ALL)
def list_orders() -> Response:
    """Orders in scope; q, status, sort, dir and page as in the UI."""
    page = orders.list_orders(session=get_session(), user=g.user, **list_args())
    return jsonify(
        items=[order_json(o, e) for o, e in page.items], page=page.page, pages=page.pages, total=page.total
    )


@bp.post("/orders")
@api_role("bureau")
def create_order() -> tuple[Response, int]:
    """Create an order (bureau): batch_id, enterprise_id, kind, fee_fen, optional due_date."""
    body = request.get_json(silent=True) or {}
    db = get_session()
    try:
        order = orders.create_order(
            session=db,
            actor=g.user,
            batch_id=int(body.get("batch_id", 0)),
            enterprise_id=int(body.get("enterprise_id", 0)),
            kind=str(body.get("kind", "")),
            fee_fen=int(body.get("fee_fen", 0)),
            due_date=date.fromisoformat(body["due_date"]) if body.get("due_date") else None,
        )
    except ValidationError as exc:
        db.rollback()
        return _unprocessable(exc.field, exc.message)
    except (TypeError, ValueError) as exc:
        db.rollback()
        return _unprocessable("body", str(exc))
    db.commit()
    return jsonify(order_json(order)), 201


@bp.get("/orders/<int:order_id>")
@api_role(*ALL)
def show_order(order_id: int) -> Response:
    """One order in scope."""
    return jsonify(order_json(get_order(order_id)))


@bp.post("/orders/<int:order_id>/actions/<action>")
@api_role("bureau", "provider", "enterprise")
def act(order_id: int, action: str) -> Response | tuple[Response, int]:
    """Apply a workflow action; body: provider_id, visit_date, reason, rating, comment as the action needs."""
    order = get_order(order_id)
    if action not in workflow.TRANSITIONS:
        abort(404)
    db = get_session()
    try:
        workflow.apply(
            session=db,
            order=order,
            action=action,
            actor=g.user,
            inputs=inputs_from_form(request.get_json(silent=True) or {}),
        )
    except workflow.WorkflowError as exc:
        db.rollback()
        if exc.code == "forbidden":
            abort(403)
        return _unprocessable(exc.field or "status", exc.message)
    db.commit()
    return jsonify(order_json(order))


@bp.get("/orders/<int:order_id>/answers")
@api_role(*ALL)
def list_answers(order_id: int) -> Response:
    """The questionnaire answers of an order."""
    order = get_order(order_id)
    db = get_session()
    assessment = assessments.get_or_create(session=db, order=order)
    db.commit()
    rows = assessments.answers_of(session=db, assessment=assessment).values()
    return jsonify(
        industry_type=assessment.industry_type,
        answers=[
            {
                "requirement_id": a.requirement_id,
                "rating": a.rating,
                "evidence_note": a.evidence_note,
                "tailor_reason": a.tailor_reason,
            }
            for a in sorted(rows, key=lambda a: a.requirement_id)
        ],
    )


@bp.put("/orders/<int:order_id>/answers/<requirement_id>")
@api_role("provider")
def put_answer(order_id: int, requirement_id: str) -> Response | tuple[Response, int]:
    """Save one answer (provider): rating, evidence_note, tailor_reason."""
    order = get_order(order_id)
    body = request.get_json(silent=True) or {}
    db = get_session()
    try:
        answer = assessments.save_answer(
            session=db,
            actor=g.user,
            order=order,
            requirement_id=requirement_id,
            rating=body.get("rating"),
            evidence_note=body.get("evidence_note"),
            tailor_reason=body.get("tailor_reason"),
        )
    except ValidationError as exc:
        db.rollback()
        return _unprocessable(exc.field, exc.message)
    db.commit()
    return jsonify(
        requirement_id=answer.requirement_id, rating=answer.rating, saved_at=answer.updated_at.isoformat()
    )


@bp.post("/orders/<int:order_id>/score")
@api_role("provider")
def score(order_id: int) -> Response | tuple[Response, int]:
    """Run the scoring (provider) and return the result summary."""
    order = get_order(order_id)
    db = get_session()
    try:
        result = assessments.run_scoring(session=db, actor=g.user, order=order)
    except ValidationError as exc:
        db.rollback()
        return _unprocessable(exc.field, exc.message)
    db.commit()
    return jsonify(level=result.level, score=result.score, input_hash=result.input_hash)


@bp.get("/orders/<int:order_id>/result")
@api_role(*ALL)
def result(order_id: int) -> Response:
    """The latest scoring result with roadmap and subsidy estimate."""
    found = assessments.latest_result(session=get_session(), order=get_order(order_id))
    if found is None:
        abort(404)
    return jsonify(
        level=found.level,
        score=found.score,
        level_scores=found.level_scores,
        detail=found.detail,
        input_hash=found.input_hash,
        created_at=found.created_at.isoformat(),
    )


@bp.get("/batches")
@api_role("bureau")
def list_batches() -> Response:
    """The bureau's batches with committed fees."""
    rows = orders.list_batches(session=get_session(), bureau_id=g.user.bureau_id)
    return jsonify(
        items=[
            {"id": b.id, "name": b.name, "year": b.year, "budget_fen": b.budget_fen, "committed_fen": used}
            for b, used in rows
        ]
    )


@bp.post("/batches")
@api_role("bureau")
def create_batch() -> tuple[Response, int]:
    """Create a batch (bureau): name, year, budget_fen."""
    body = request.get_json(silent=True) or {}
    db = get_session()
    try:
        batch = orders.create_batch(
            session=db,
            actor=g.user,
            name=str(body.get("name", "")),
            year=int(body.get("year", date.today().year)),
            budget_fen=int(body.get("budget_fen", 0)),
        )
    except ValidationError as exc:
        db.rollback()
        return _unprocessable(exc.field, exc.message)
    except (TypeError, ValueError) as exc:
        return _unprocessable("body", str(exc))
    db.commit()
    return jsonify(id=batch.id, name=batch.name, year=batch.year, budget_fen=batch.budget_fen), 201
