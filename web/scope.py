"""Tenant-scoped loaders that answer 404 for anything outside the user's scope, and list arguments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, g, request
from sqlmodel import col, select

from diagnose import workflow
from diagnose.models import Device, DiagnosisOrder, Enterprise, Role, User
from diagnose.services.diagnosis import orders
from web.db import get_session

PER_PAGE = 20


def get_order(order_id: int, for_user: User | None = None) -> DiagnosisOrder:
    """The order if the user may see it; 404 otherwise (never reveal that it exists)."""
    order = orders.get_order(session=get_session(), order_id=order_id, user=for_user or g.user)
    if order is None:
        abort(404)
    return order


def get_plant_order(order_id: int, for_user: User | None = None) -> DiagnosisOrder:
    """The order if the user may read the enterprise's plant through it: 404 outside the user's scope, 403 for a
    provider whose order is no longer open (`workflow.plant_readable`): access ends with the order."""
    user = for_user or g.user
    order = get_order(order_id, user)
    if not workflow.plant_readable(order.status, user.role):
        abort(403)
    return order


def plant_open(order: DiagnosisOrder) -> bool:
    """Template global: whether the current user may read the order's plant (links and charts follow it)."""
    return g.get("user") is not None and workflow.plant_readable(order.status, g.user.role)


def init_app(app: Flask) -> None:
    """Make `plant_open` a template global."""
    app.add_template_global(plant_open, "plant_open")


def guard_plant(blueprint: Blueprint) -> None:
    """Check `get_plant_order` before every view of a blueprint whose routes all show or change the plant of
    `<order_id>`, so no view (present or future) can forget it."""

    @blueprint.before_request
    def _plant_still_open() -> None:
        order_id = (request.view_args or {}).get("order_id")
        if g.get("user") is not None and g.user.role == Role.provider and order_id is not None:
            get_plant_order(order_id)


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


def get_enterprise(enterprise_id: int, for_user: User | None = None) -> Enterprise:
    """The enterprise if the user may see it (admin: any; bureau: in its regions; enterprise: itself;
    provider: one it has an open order for); 404 otherwise."""
    user = for_user or g.user
    db = get_session()
    enterprise = db.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.id not in visible_enterprise_ids(user, [enterprise]):
        abort(404)
    return enterprise


def visible_enterprise_ids(user: User, candidates: list[Enterprise]) -> set[int]:
    """Which of these enterprises the user may see."""
    db = get_session()
    if user.role == Role.admin:
        return {e.id for e in candidates if e.id is not None}
    if user.role == Role.bureau:
        regions = orders.bureau_regions(session=db, user=user)
        return {e.id for e in candidates if e.id is not None and e.region_code in regions}
    if user.role == Role.enterprise:
        return {user.enterprise_id} & {e.id for e in candidates}  # type: ignore[arg-type]
    if user.role == Role.provider:  # only while one of its orders for the enterprise is open
        served = db.exec(
            select(DiagnosisOrder.enterprise_id).where(
                DiagnosisOrder.provider_id == user.provider_id,
                col(DiagnosisOrder.status).in_(workflow.PLANT_ACCESS),
            )
        ).all()
        return set(served) & {e.id for e in candidates}  # type: ignore[arg-type]
    return set()


def get_order_device(order: DiagnosisOrder, device_id: int) -> Device:
    """A device of the order's enterprise; 404 for any other."""
    device = get_session().get(Device, device_id)
    if device is None or device.enterprise_id != order.enterprise_id:
        abort(404)
    return device
