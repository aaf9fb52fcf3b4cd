"""Tenant-scoped loaders that answer 404 for anything outside the user's scope, and list arguments."""

from __future__ import annotations

from typing import Any

from flask import abort, g, request

from diagnose.models import DiagnosisOrder, User
from diagnose.services import orders
from web.db import get_session

PER_PAGE = 20


def get_order(order_id: int, for_user: User | None = None) -> DiagnosisOrder:
    """The order if the user may see it; 404 otherwise (never reveal that it exists)."""
    order = orders.get_order(session=get_session(), order_id=order_id, user=for_user or g.user)
    if order is None:
        abort(404)
    return order


def list_args() -> dict[str, Any]:
    """Search, status filter, sort and page from the query string, sanitised."""
    sort = request.args.get("sort", "updated")
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    return {
        "query": request.args.get("q", "")[:100],
        "status": request.args.get("status", "")[:16],
        "sort": sort if sort in orders.SORTS else "updated",
        "descending": request.args.get("dir", "desc") != "asc",
        "page": page,
        "per_page": PER_PAGE,
    }
