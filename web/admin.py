"""The administrator's pages: users, organisations (enterprises, providers, bureaus) and regions."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select
from werkzeug.wrappers import Response

from diagnose.models import Bureau, Enterprise, Provider, Region, Role, User
from diagnose.schemas.accounts import PasswordReset, PersonForm, UserActive, UserCreate
from diagnose.schemas.enterprises import BureauCreate, EnterpriseCreate, ProviderCreate, RegionUpsert
from diagnose.services.accounts import accounts, directory, orgs
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis import orders
from diagnose.services.diagnosis.orders import Page
from web.auth import role_required
from web.db import get_session
from web.forms import parse_form, typed
from web.messages import not_saved
from web.scope import list_args

bp = Blueprint("admin", __name__, url_prefix="/admin")
ORG_KINDS = ("enterprises", "providers", "bureaus")


def _page(kind: str) -> Page:
    args = list_args()
    return directory.search(
        session=get_session(),
        kind=kind,
        query=args["query"],
        sort=request.args.get("sort", ""),
        descending=args["descending"] if "dir" in request.args else False,
        page=args["page"],
    )


def _done(endpoint: str, **values: str) -> Response:
    db = get_session()
    db.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for(endpoint, **values))


@bp.route("/users", methods=["GET", "POST"])
@role_required(Role.admin)
def users() -> str | Response:
    """List users; on POST create one tied to an organisation."""
    db = get_session()
    status = 200
    if request.method == "POST":
        try:
            form = parse_form(UserCreate)
            orgs.create_user(
                session=db,
                actor=g.user,
                username=form.username,
                password=form.password,
                full_name=form.full_name,
                title=form.title,
                phone=form.phone,
                role=Role(form.role),
                organisation_id=_chosen_organisation(form),
            )
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            status = 422
        else:
            return _done("admin.users")
    page = _page("users")
    return render_template(
        "admin/users.html",
        page=page,
        people=orders.actors(session=db, user_ids={u.id for u in page.items}),
        locks=accounts.locks(session=db, usernames=[u.username for u in page.items]),
        roles=[r.value for r in Role],
        organisations=_organisation_choices(),
        form=typed(),
    ), status  # type: ignore[return-value]


ORG_MODELS: dict[str, type[Bureau] | type[Provider] | type[Enterprise]] = {
    "bureau": Bureau,
    "provider": Provider,
    "enterprise": Enterprise,
}


def _organisation_choices() -> dict[str, list[tuple[int, str]]]:
    """Organisations by kind, with names, for the new-user form's list."""
    db = get_session()
    return {
        kind: [(i, n) for i, n in db.exec(select(model.id, model.name).order_by(model.name)).all()]  # type: ignore[misc]
        for kind, model in ORG_MODELS.items()
    }


def _chosen_organisation(form: UserCreate) -> int | None:
    """The organisation picked ('bureau:3'; its kind already checked against the role), checked to exist."""
    if form.organisation is None:
        return None
    kind, ident = form.organisation
    if get_session().get(ORG_MODELS[kind], ident) is None:
        raise ValidationError("organisation_id", "not_a_choice")
    return ident


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_user(user_id: int) -> str | Response:
    """One user: their 姓名, 职务 and phone, which every page, timeline and report shows of them."""
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    status = 200
    if request.method == "POST":
        try:
            form = parse_form(PersonForm)
            orgs.update_person(session=db, actor=g.user, user=user, **form.model_dump())
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            status = 422
        else:
            return _done("admin.users")
    return render_template(
        "admin/user.html", user=user, organisation=_organisation_name(user), form=typed() or _person(user)
    ), status  # type: ignore[return-value]


def _person(user: User) -> dict[str, str]:
    return {"full_name": user.full_name, "title": user.title, "phone": user.phone, "email": user.email}


def _organisation_name(user: User) -> str:
    """The name of the organisation the user acts for ('' for an administrator)."""
    for kind, model in ORG_MODELS.items():
        ident = getattr(user, f"{kind}_id")
        if ident is not None:
            found = get_session().get(model, ident)
            return found.name if found else ""
    return ""


def _change_user(change: Callable[[], object]) -> Response:
    """Apply a change to a user: 404 for an unknown user, a flashed reason for bad input."""
    db = get_session()
    try:
        change()
    except LookupError:
        abort(404)
    except ValidationError as exc:
        db.rollback()
        flash(not_saved(exc), "error")
        return redirect(url_for("admin.users"))
    return _done("admin.users")


@bp.post("/users/<int:user_id>/active")
@role_required(Role.admin)
def set_active(user_id: int) -> Response:
    """Deactivate (active=0, with the reason) or reactivate (active=1) a user."""

    def change() -> object:
        form = parse_form(UserActive)
        return orgs.set_user_active(
            session=get_session(), actor=g.user, user_id=user_id, active=form.active, reason=form.reason
        )

    return _change_user(change)


@bp.post("/users/<int:user_id>/unlock")
@role_required(Role.admin)
def unlock(user_id: int) -> Response:
    """Lift a login lockout before it runs out."""

    def change() -> object:
        user = get_session().get(User, user_id)
        if user is None:
            raise LookupError(user_id)
        return accounts.unlock(session=get_session(), actor=g.user, user=user)

    return _change_user(change)


@bp.post("/users/<int:user_id>/password")
@role_required(Role.admin)
def reset_password(user_id: int) -> Response:
    """Set a new password for a user (and revoke the user's API token)."""

    def change() -> object:
        form = parse_form(PasswordReset)
        return orgs.reset_password(
            session=get_session(), actor=g.user, user_id=user_id, password=form.password
        )

    return _change_user(change)


@bp.route("/organisations/<kind>", methods=["GET", "POST"])
@role_required(Role.admin)
def organisations(kind: str) -> str | Response:
    """List enterprises, providers or bureaus; on POST register one."""
    if kind not in ORG_KINDS:
        abort(404)
    db = get_session()
    status = 200
    if request.method == "POST":
        try:
            if kind == "enterprises":
                enterprise = parse_form(EnterpriseCreate)
                orgs.create_enterprise(session=db, actor=g.user, **enterprise.model_dump())
            elif kind == "providers":
                provider = parse_form(ProviderCreate)
                orgs.create_provider(session=db, actor=g.user, **provider.model_dump())
            else:
                bureau = parse_form(BureauCreate)
                if db.get(Region, bureau.region_code) is None:
                    raise ValidationError("region_code", "unknown_region")
                orgs.create_bureau(session=db, actor=g.user, **bureau.model_dump())
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            status = 422
        else:
            return _done("admin.organisations", kind=kind)
    return render_template(
        "admin/organisations.html",
        kind=kind,
        kinds=ORG_KINDS,
        page=_page(kind),
        regions=db.exec(select(Region).order_by(Region.code)).all(),
        form=typed(),
    ), status  # type: ignore[return-value]


@bp.route("/regions", methods=["GET", "POST"])
@role_required(Role.admin)
def regions() -> str | Response:
    """List regions (GB/T 2260 codes); on POST add or rename one."""
    db = get_session()
    if request.method == "POST":
        try:
            region = parse_form(RegionUpsert)
            if region.parent_code and db.get(Region, region.parent_code) is None:
                raise ValidationError("parent_code", "unknown_region")
        except ValidationError as exc:
            flash(not_saved(exc), "error")
            return render_template(
                "admin/regions.html",
                page=_page("regions"),
                all_regions=db.exec(select(Region).order_by(Region.code)).all(),
                form=typed(),
            ), 422  # type: ignore[return-value]
        orgs.upsert_region(session=db, **region.model_dump())
        audit_log.record(
            session=db, actor=g.user, action="region.upsert", entity="region", entity_id=region.code
        )
        return _done("admin.regions")
    return render_template(
        "admin/regions.html",
        page=_page("regions"),
        all_regions=db.exec(select(Region).order_by(Region.code)).all(),
        form={},
    )
