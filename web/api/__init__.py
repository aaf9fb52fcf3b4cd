"""JSON API under /api/v1/ (Bearer tokens with a scope): request and response models from diagnose.schemas,
the OpenAPI document generated from them by flask-openapi3 at /api/v1/openapi.json, browsable at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import Info, OpenAPI

from diagnose.schemas.errors import ErrorOut
from web.api import base, documents, meta, orders, orgs, plant, sme  # noqa: F401  (each module registers its routes on base.bp)
from web.api.base import bp, validation_error

INFO = Info(
    title="智诊 diagnose API",
    version="1",
    description=(
        "Every call is tenant-checked as in the web UI: outside one's scope answers 404, the wrong role 403. "
        "A read-scope token may only GET; tokens expire. Every error answer is an ErrorOut naming the field "
        "at fault. Money is integer fen."
    ),
)


def openapi_options() -> dict[str, Any]:
    """The keyword arguments for the app's flask_openapi3.OpenAPI constructor."""
    return {
        "info": INFO,
        "security_schemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "/account/token"}},
        "doc_ui": False,  # the document and its page are served by the API blueprint (offline, CSP-safe)
        "validation_error_status": 422,
        "validation_error_model": ErrorOut,
        "validation_error_callback": validation_error,
    }


def register(app: OpenAPI) -> None:
    """Register the API blueprint and its JSON error handling on the app."""
    base.init_app(app)
    app.register_api(bp)
