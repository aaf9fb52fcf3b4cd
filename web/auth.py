"""Login, logout, the current user, and the role guards every other blueprint uses."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Role, User
from diagnose.schemas.accounts import LoginForm, PasswordChange, PersonForm
from diagnose.schemas.errors import FieldError
from diagnose.schemas.tokens import TokenIssue
from diagnose.services.accounts import accounts, orgs, tokens
from diagnose.services.audit import audit_log
from scoring.china_time import to_china
from web.db import get_session
from web.extensions import limiter
from web.forms import FormError, parse_form, typed
from web.messages import not_saved, reason_of

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])

HOME_BY_ROLE = {
    Role.enterprise: "orders.list_orders",
    Role.provider: "orders.list_orders",
    Role.bureau: "bureau.dashboard",
    Role.admin: "admin.users",
}


def session_credential(user: User) -> str:
    """Fingerprint of the password hash and session version, kept in the cookie.

    Logout, deactivation, a password change or reset move the version on (server side), so every
    cookie issued before stops working, even a copy saved before the logout.
    """
    material = f"{user.password_hash}|{user.session_version}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def safe_next(target: str) -> str | None:
    """`target` if it is a path on this site; None for anything a browser could take elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) <= 32 or ord(c) == 127 for c in target):
        return None  # browsers drop tabs and newlines: "/\t/evil.example" would become "//evil.example"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.before_app_request
def load_logged_in_user() -> None:
    """Put the session's user on `g.user` if still active and the password is the one logged in with."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        user = get_session().get(User, user_id)
        if user is not None and user.active and session.get("credential") == session_credential(user):
            g.user = user


def login_required(view: F) -> F:
    """Redirect anonymous visitors to the login page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    """Allow only these roles; others get 403."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _login_limit() -> str:
    return current_app.extensions["diagnose_settings"].login_rate_limit  # type: ignore[no-any-return]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response:
    """Show the login form; on POST check the password and start a session."""
    if request.method == "POST":
        try:
            form = parse_form(LoginForm)
        except FieldError as exc:
            flash(reason_of(exc), "error")
            return render_template("auth/login.html", form=typed()), 400  # type: ignore[return-value]
        db = get_session()
        settings = current_app.extensions["diagnose_settings"]
        outcome = accounts.attempt_login(
            session=db,
            username=form.username,
            password=form.password,
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_min),
            address=request.remote_addr or "",
        )
        db.commit()  # failures and lockouts are recorded too
        user = outcome.user
        if user is None:
            if outcome.locked_until is not None:
                # Said alike whether or not the name exists: the lock is on the name as typed, from this address.
                flash(
                    _(
                        "Too many failed logins with this username from your address: try again after "
                        "%(when)s, or ask an administrator to unlock it.",
                        when=to_china(outcome.locked_until).strftime("%Y-%m-%d %H:%M"),
                    ),
                    "error",
                )
            else:
                flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=typed()), 401  # type: ignore[return-value]
        lang = session.get("lang")
        session.clear()
        session.permanent = True
        session["user_id"] = user.id
        session["credential"] = session_credential(user)
        if lang:
            session["lang"] = lang
        audit_log.record(session=db, actor=user, action="user.login", entity="user", entity_id=user.id)
        db.commit()
        target = safe_next(request.args.get("next", ""))
        if target is not None:
            return redirect(target)
        return redirect(url_for("auth.home"))
    return render_template("auth/login.html", form={})


@bp.post("/logout")
def logout() -> Response:
    """End the session, and with it every other cookie and API token of the user (server side)."""
    if g.user is not None:
        db = get_session()
        accounts.end_sessions(session=db, user=g.user, actor=g.user, reason="logout")
        audit_log.record(session=db, actor=g.user, action="user.logout", entity="user", entity_id=g.user.id)
        db.commit()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/home")
@login_required
def home() -> str | Response:
    """Each role's landing page."""
    endpoint = HOME_BY_ROLE.get(g.user.role, "auth.home")
    if endpoint != "auth.home":
        return redirect(url_for(endpoint))
    return render_template("auth/home.html")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | tuple[str, int] | Response:
    """One's own account: 姓名, 职务 and phone (what colleagues, bureaus and reports see), and links to the
    password and the API token."""
    db = get_session()
    if request.method == "POST":
        try:
            form = parse_form(PersonForm)
            orgs.update_person(session=db, actor=g.user, user=g.user, **form.model_dump())
        except FieldError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            return render_template("auth/account.html", form=typed()), 422
        db.commit()
        flash(_("Saved."), "ok")
        return redirect(url_for("auth.account"))
    person = {
        "full_name": g.user.full_name,
        "title": g.user.title,
        "phone": g.user.phone,
        "email": g.user.email,
    }
    return render_template("auth/account.html", form=person)


@bp.route("/account/token", methods=["GET", "POST"])
@login_required
def api_token() -> str | tuple[str, int]:
    """Show whether the user has an API token; on POST issue a new one (scope, days) and show it once."""
    token = None
    if request.method == "POST":
        db = get_session()
        try:
            wanted = parse_form(TokenIssue)
        except FieldError as exc:
            flash(_("Not issued: %(reason)s", reason=reason_of(exc)), "error")
            return render_template("auth/token.html", token=None, scopes=tokens.SCOPES, form=typed()), 422
        token = tokens.issue_token(session=db, user=g.user, scope=wanted.scope, ttl_days=wanted.ttl_days)
        db.commit()
    return render_template("auth/token.html", token=token, scopes=tokens.SCOPES, form={})


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | tuple[str, int] | Response:
    """Change one's own password: the current one, then the new one twice. Other sessions end."""
    if request.method == "POST":
        db = get_session()
        try:
            form = parse_form(PasswordChange)
            orgs.change_own_password(
                session=db, user=g.user, current=form.current_password, new=form.new_password
            )
        except FormError as exc:
            flash(not_saved(exc), "error")
            return render_template("auth/password.html"), 400
        except orgs.ValidationError as exc:
            db.rollback()
            message = (
                _("The current password is wrong.") if exc.field == "current_password" else not_saved(exc)
            )
            flash(message, "error")
            return render_template("auth/password.html"), 400
        db.commit()
        session["credential"] = session_credential(g.user)  # this session goes on; the others end
        flash(_("Password changed. Other sessions have been logged out."), "ok")
        return redirect(url_for("auth.home"))
    return render_template("auth/password.html")
