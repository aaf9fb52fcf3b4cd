"""The administrator's pages: users, organisations (enterprises, providers, bureaus) and regions."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select
from werkzeug.wrappers import Response

from diagnose.models import Bureau, Enterprise, Provider, Region, Role, User
from diagnose.services import accounts, audit_log, directory, orgs
from diagnose.services.orders import Page
from diagnose.services.orgs import ValidationError
from web.auth import role_required
from web.db import get_session
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
@role_required("admin")
def users() -> str | Response:
    """List users; on POST create one tied to an organisation."""
    db = get_session()
    status = 200
    if request.method == "POST":
        try:
            role = _chosen_role()
            orgs.create_user(
                session=db,
                actor=g.user,
                username=request.form.get("username", "").strip()[:64],
                password=request.form.get("password", ""),
                display_name=request.form.get("display_name", "").strip()[:64],
                role=role,
                organisation_id=_chosen_organisation(role),
            )
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            status = 422
        else:
            return _done("admin.users")
    return render_template(
        "admin/users.html",
        page=_page("users"),
        roles=[r.value for r in Role],
        organisations=_organisation_choices(),
        form=request.form if request.method == "POST" else {},
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


def _chosen_role() -> Role:
    """The role picked from the list (there is no default: none chosen is a form error)."""
    try:
        return Role(request.form.get("role", ""))
    except ValueError:
        raise ValidationError("role", "not a valid choice") from None


def _chosen_organisation(role: Role) -> int | None:
    """The organisation picked ('bureau:3'), checked to exist and to be of the kind the role needs."""
    kind, _sep, ident = request.form.get("organisation_id", "").partition(":")
    if role is Role.admin:
        return None
    if not ident:
        raise ValidationError("organisation_id", f"a {role.value} user needs an organisation")
    if kind != role.value:
        raise ValidationError("organisation_id", f"must be a {role.value} for this role")
    if not ident.isdigit() or len(ident) > 12:
        raise ValidationError("organisation_id", "not a valid choice")
    if get_session().get(ORG_MODELS[kind], int(ident)) is None:
        raise ValidationError("organisation_id", "not a valid choice")
    return int(ident)


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
@role_required("admin")
def set_active(user_id: int) -> Response:
    """Deactivate (active=0) or reactivate (active=1) a user."""
    value = request.form.get("active", "")

    def change() -> object:
        if value not in ("0", "1"):
            raise ValidationError("active", "must be 0 or 1")
        return orgs.set_user_active(
            session=get_session(),
            actor=g.user,
            user_id=user_id,
            active=value == "1",
            reason=request.form.get("reason", "")[:500],
        )

    return _change_user(change)


@bp.post("/users/<int:user_id>/unlock")
@role_required("admin")
def unlock(user_id: int) -> Response:
    """Lift a login lockout before it runs out."""

    def change() -> object:
        user = get_session().get(User, user_id)
        if user is None:
            raise LookupError(user_id)
        return accounts.unlock(session=get_session(), actor=g.user, user=user)

    return _change_user(change)


@bp.post("/users/<int:user_id>/password")
@role_required("admin")
def reset_password(user_id: int) -> Response:
    """Set a new password for a user (and revoke the user's API token)."""
    password = request.form.get("password", "")
    return _change_user(
        lambda: orgs.reset_password(session=get_session(), actor=g.user, user_id=user_id, password=password)
    )


@bp.route("/organisations/<kind>", methods=["GET", "POST"])
@role_required("admin")
def organisations(kind: str) -> str | Response:
    """List enterprises, providers or bureaus; on POST register one."""
    if kind not in ORG_KINDS:
        abort(404)
    db = get_session()
    status = 200
    if request.method == "POST":
        form = {k: v.strip()[:128] for k, v in request.form.items() if k != "csrf_token"}
        try:
            if kind == "enterprises":
                orgs.create_enterprise(
                    session=db,
                    actor=g.user,
                    uscc=form.get("uscc", ""),
                    name=form.get("name", ""),
                    region_code=form.get("region_code", ""),
                    industry_code=form.get("industry_code", "")[:8],
                    industry_type=form.get("industry_type", "discrete"),
                    scale=form.get("scale", "medium"),
                )
            elif kind == "providers":
                orgs.create_provider(
                    session=db,
                    actor=g.user,
                    uscc=form.get("uscc", ""),
                    name=form.get("name", ""),
                    region_code=form.get("region_code", ""),
                )
            else:
                if db.get(Region, form.get("region_code", "")) is None:
                    raise ValidationError("region_code", "unknown region")
                orgs.create_bureau(
                    session=db, actor=g.user, name=form.get("name", ""), region_code=form["region_code"]
                )
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
        form=request.form if request.method == "POST" else {},
    ), status  # type: ignore[return-value]


@bp.route("/regions", methods=["GET", "POST"])
@role_required("admin")
def regions() -> str | Response:
    """List regions (GB/T 2260 codes); on POST add or rename one."""
    db = get_session()
    if request.method == "POST":
        code = request.form.get("code", "").strip()
        parent = request.form.get("parent_code", "").strip() or None
        if len(code) != 6 or not code.isdigit() or (parent and db.get(Region, parent) is None):
            flash(
                _("Not saved: %(reason)s", reason=_("a region code is 6 digits and its parent must exist")),
                "error",
            )
            return render_template(
                "admin/regions.html",
                page=_page("regions"),
                all_regions=db.exec(select(Region).order_by(Region.code)).all(),
                form=request.form,
            ), 422  # type: ignore[return-value]
        orgs.upsert_region(
            session=db,
            code=code,
            name=request.form.get("name", "").strip()[:64],
            level=request.form.get("level", "district")[:16],
            parent_code=parent,
        )
        audit_log.record(session=db, actor=g.user, action="region.upsert", entity="region", entity_id=code)
        return _done("admin.regions")
    return render_template(
        "admin/regions.html",
        page=_page("regions"),
        all_regions=db.exec(select(Region).order_by(Region.code)).all(),
        form={},
    )
