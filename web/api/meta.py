"""The document, its browsable page, and who holds the token."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, render_template

from diagnose.schemas.tokens import MeOut
from diagnose.services.accounts import orgs
from web.api.base import ALL, api_role, bp, ok, tag

META = tag("meta", "令牌与文档")


@bp.get("/openapi.json", doc_ui=False)
def openapi() -> Response:
    """The OpenAPI 3.1 document, generated from the schemas."""
    return jsonify(current_app.api_doc)  # type: ignore[attr-defined]


@bp.get("/docs", doc_ui=False)
def docs() -> str:
    """A browsable page for the document (Swagger UI vendored under static/vendor; no CDN, no inline script)."""
    return render_template("api/docs.html")


@bp.get("/me", tags=META, responses={200: MeOut})
@api_role(*ALL)
def me() -> Response:
    """Who the token belongs to, with the token's scope and expiry."""
    u = g.user
    return ok(
        MeOut(
            id=u.id,
            username=u.username,
            role=u.role,
            display_name=orgs.display_name(u),
            full_name=u.full_name,
            title=u.title,
            phone=u.phone,
            scope=g.token_scope,
            expires_at=u.api_token_expires_at,
        )
    )
