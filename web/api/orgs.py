"""Enterprises and providers: the admin registers them; a bureau reads those in its scope."""

from __future__ import annotations

from flask import Response, g
from pydantic import BaseModel, Field
from sqlmodel import col, select

from diagnose.models import Enterprise, Provider, Role
from diagnose.schemas.common import PathId
from diagnose.schemas.enterprises import (
    EnterpriseCreate,
    EnterpriseList,
    EnterpriseOut,
    ProviderCreate,
    ProviderList,
    ProviderOut,
)
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import orders
from web.api.base import api_role, bp, not_found, ok, tag, writing
from web.db import get_session
from web.scope import get_enterprise

ORGS = tag("organisations", "企业与服务商")


class EnterprisePath(BaseModel):
    enterprise_id: PathId = Field(title="企业编号")


class ProviderPath(BaseModel):
    provider_id: PathId = Field(title="服务商编号")


@bp.get("/enterprises", tags=ORGS, responses={200: EnterpriseList})
@api_role(Role.admin, Role.bureau)
def list_enterprises() -> Response:
    """Enterprises: every one for the admin, those in its regions for a bureau."""
    db = get_session()
    if g.user.role == Role.admin:
        rows = list(db.exec(select(Enterprise).order_by(col(Enterprise.name))))
    else:
        rows = orders.enterprises_in_scope(session=db, user=g.user)
    return ok(EnterpriseList(items=[EnterpriseOut.model_validate(e) for e in rows]))


@bp.post("/enterprises", tags=ORGS, responses={201: EnterpriseOut})
@api_role(Role.admin)
def create_enterprise(body: EnterpriseCreate) -> Response:
    """Register an enterprise (admin): USCC check character, known region, GB/T 4754 industry code."""
    with writing() as db:
        enterprise = orgs.create_enterprise(session=db, actor=g.user, **body.model_dump())
    return ok(EnterpriseOut.model_validate(enterprise), 201)


@bp.get("/enterprises/<int:enterprise_id>", tags=ORGS, responses={200: EnterpriseOut})
@api_role(Role.admin, Role.bureau)
def show_enterprise(path: EnterprisePath) -> Response:
    """One enterprise in scope."""
    return ok(EnterpriseOut.model_validate(get_enterprise(path.enterprise_id)))


def _providers_in_scope() -> list[Provider]:
    db = get_session()
    if g.user.role == Role.admin:
        return list(db.exec(select(Provider).order_by(col(Provider.name))))
    return orders.pool(session=db, bureau_id=g.user.bureau_id)


@bp.get("/providers", tags=ORGS, responses={200: ProviderList})
@api_role(Role.admin, Role.bureau)
def list_providers() -> Response:
    """Providers: every one for the admin, the bureau's resource pool for a bureau."""
    return ok(ProviderList(items=[ProviderOut.model_validate(p) for p in _providers_in_scope()]))


@bp.post("/providers", tags=ORGS, responses={201: ProviderOut})
@api_role(Role.admin)
def create_provider(body: ProviderCreate) -> Response:
    """Register a provider (admin)."""
    with writing() as db:
        provider = orgs.create_provider(session=db, actor=g.user, **body.model_dump())
    return ok(ProviderOut.model_validate(provider), 201)


@bp.get("/providers/<int:provider_id>", tags=ORGS, responses={200: ProviderOut})
@api_role(Role.admin, Role.bureau)
def show_provider(path: ProviderPath) -> Response:
    """One provider in scope."""
    found = next((p for p in _providers_in_scope() if p.id == path.provider_id), None)
    if found is None:
        not_found("no such provider in your scope")
    return ok(ProviderOut.model_validate(found))
