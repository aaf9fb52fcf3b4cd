"""Regions, enterprises, providers, bureaus and users."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from diagnose.models import Bureau, BureauProvider, Enterprise, Provider, Region, Role, User
from diagnose.schemas.accounts import check_phone
from diagnose.schemas.enterprises import check_industry_code
from diagnose.schemas.errors import FieldError
from diagnose.services.accounts import accounts
from diagnose.services.audit import audit_log
from scoring.uscc import validate_uscc

# Bad input, with the name of the field at fault: the one error type (diagnose.schemas.errors.FieldError).
ValidationError = FieldError


def upsert_region(*, session: Session, code: str, name: str, level: str, parent_code: str | None) -> Region:
    """Create the region or update its name and parent."""
    region = session.get(Region, code) or Region(code=code, name=name, level=level)
    region.name, region.level, region.parent_code = name, level, parent_code
    session.add(region)
    return region


_REGIONS = "orgs.regions"


@event.listens_for(OrmSession, "after_flush")
def _forget(session: OrmSession, _context: object) -> None:
    session.info.pop(_REGIONS, None)  # this session changed data: read the regions afresh


def regions_of(session: Session) -> list[Region]:
    """Every region, read once per transaction of the session (a bureau's page asks for its scope several
    times). The list holds the rows, so `session.get(Region, code)` is then answered from the session's
    identity map (which alone keeps its objects only while something else does) without a statement."""
    transaction = session.get_transaction()
    memo = session.info.get(_REGIONS)
    if transaction is not None and memo is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    regions = list(session.exec(select(Region)).all())
    if transaction is not None:
        session.info[_REGIONS] = (transaction, regions)
    return regions


def bureau_of(session: Session, bureau_id: int | None) -> Bureau | None:
    """The bureau, kept by the session for its life so that later `session.get`s of it send nothing."""
    bureau = session.get(Bureau, bureau_id) if bureau_id is not None else None
    if bureau is not None:
        session.info.setdefault("orgs.kept", {})[("bureau", bureau_id)] = bureau
    return bureau


def region_and_descendants(*, session: Session, code: str) -> set[str]:
    """The region's code and the codes of every region under it."""
    regions = regions_of(session)
    children: dict[str | None, list[str]] = {}
    for region in regions:
        children.setdefault(region.parent_code, []).append(region.code)
    found, stack = set(), [code]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def create_enterprise(
    *,
    session: Session,
    actor: User | str,
    uscc: str,
    name: str,
    region_code: str,
    industry_code: str,
    industry_type: str = "discrete",
    scale: str = "medium",
    revenue_fen: int | None = None,
    strategic_emerging: bool = False,
) -> Enterprise:
    """Register an enterprise after checking its unified social credit code (GB 32100 check character)."""
    try:
        code = validate_uscc(uscc)
    except ValueError as exc:
        raise ValidationError.of("uscc", exc) from exc
    if session.exec(select(Enterprise).where(Enterprise.uscc == code)).first():
        raise ValidationError("uscc", "enterprise_registered", uscc=code)
    if session.get(Region, region_code) is None:
        raise ValidationError("region_code", "unknown_region", region=region_code)
    if industry_type not in ("discrete", "process"):
        raise ValidationError("industry_type", "industry_type")
    try:
        industry_code = check_industry_code(industry_code)
    except ValueError as exc:
        raise ValidationError.of("industry_code", exc) from exc
    enterprise = Enterprise(
        uscc=code,
        name=name.strip(),
        region_code=region_code,
        industry_code=industry_code,
        industry_type=industry_type,
        scale=scale,
        revenue_fen=revenue_fen,
        strategic_emerging=strategic_emerging,
    )
    session.add(enterprise)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="enterprise.create",
        entity="enterprise",
        entity_id=enterprise.id,
        detail={"uscc": code, "name": enterprise.name},
    )
    return enterprise


def get_enterprise_by_uscc(*, session: Session, uscc: str) -> Enterprise | None:
    """The enterprise with this code, if registered."""
    return session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()


def create_provider(
    *, session: Session, actor: User | str, uscc: str, name: str, region_code: str, contact: str | None = None
) -> Provider:
    """Register a service provider."""
    try:
        code = validate_uscc(uscc)
    except ValueError as exc:
        raise ValidationError.of("uscc", exc) from exc
    if session.exec(select(Provider).where(Provider.uscc == code)).first():
        raise ValidationError("uscc", "provider_registered", uscc=code)
    if session.get(Region, region_code) is None:
        raise ValidationError("region_code", "unknown_region", region=region_code)
    if not name.strip():
        raise ValidationError("name", "required")
    provider = Provider(uscc=code, name=name.strip(), region_code=region_code, contact=contact or None)
    session.add(provider)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="provider.create", entity="provider", entity_id=provider.id
    )
    return provider


def create_bureau(*, session: Session, actor: User | str, name: str, region_code: str) -> Bureau:
    """Register a bureau governing a region."""
    bureau = Bureau(name=name.strip(), region_code=region_code)
    session.add(bureau)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="bureau.create", entity="bureau", entity_id=bureau.id
    )
    return bureau


def admit_provider(*, session: Session, actor: User | str, bureau_id: int, provider_id: int) -> None:
    """Put a provider into a bureau's resource pool."""
    if session.get(BureauProvider, (bureau_id, provider_id)) is None:
        session.add(BureauProvider(bureau_id=bureau_id, provider_id=provider_id))
        audit_log.record(
            session=session,
            actor=actor,
            action="pool.admit",
            entity="bureau",
            entity_id=bureau_id,
            detail={"provider_id": provider_id},
        )


def display_name(user: User) -> str:
    """How pages, timelines, audit views and reports name a person: the 姓名, or the login only for a legacy
    account whose name nobody has recorded yet."""
    return user.full_name.strip() or user.username


def names_by_id(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    """`display_name` of each of these users (unknown ids are left out)."""
    if not user_ids:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(sorted(user_ids)))).all()
    return {u.id: display_name(u) for u in rows if u.id is not None}


def _person(full_name: str, title: str, phone: str, *, name_required: bool) -> tuple[str, str, str]:
    """The three person fields, trimmed and checked: 姓名 1-64 characters, 职务 up to 64, a phone number."""
    full_name, title = " ".join(full_name.split()), " ".join(title.split())
    if name_required and not full_name:
        raise ValidationError("full_name", "required")
    for field, value in (("full_name", full_name), ("title", title)):
        if len(value) > 64:
            raise ValidationError(field, "max_chars", max_length=64)
    try:
        phone = check_phone(phone)
    except ValueError as exc:
        raise ValidationError.of("phone", exc) from exc
    return full_name, title, phone


def create_user(
    *,
    session: Session,
    actor: User | str,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    title: str = "",
    phone: str = "",
    organisation_id: int | None = None,
) -> User:
    """Create a user tied to the organisation its role needs; the password is stored hashed (scrypt).

    `full_name` (姓名) is what every page shows of the person; an account created without one shows its login
    until it is recorded (`update_person`)."""
    _check_password("password", password, username)
    if session.exec(select(User).where(User.username == username)).first():
        raise ValidationError("username", "username_taken", name=username)
    full_name, title, phone = _person(full_name, title, phone, name_required=False)
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        full_name=full_name,
        title=title,
        phone=phone,
        role=role.value,
    )
    if role is not Role.admin and organisation_id is None:
        raise ValidationError("organisation_id", "organisation_required", role=role.value)
    if role is Role.bureau:
        user.bureau_id = organisation_id
    elif role is Role.provider:
        user.provider_id = organisation_id
    elif role is Role.enterprise:
        user.enterprise_id = organisation_id
    session.add(user)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        detail={"username": username, "role": role.value, **({"full_name": full_name} if full_name else {})},
    )
    return user


def update_person(
    *,
    session: Session,
    actor: User,
    user: User,
    full_name: str,
    title: str = "",
    phone: str = "",
    email: str | None = None,
) -> User:
    """Record a user's 姓名, 职务 and phone (an admin for anyone, a user for themselves).

    The audit row names the fields changed, with the new name and title; a phone number is personal data,
    so only that it changed is recorded."""
    if actor.role != Role.admin and actor.id != user.id:
        raise ValidationError("", "admin_or_self_only", code="forbidden")
    full_name, title, phone = _person(full_name, title, phone, name_required=True)
    email = user.email if email is None else email.strip()  # None: the form did not show the field
    changed = {
        field: value
        for field, value in (("full_name", full_name), ("title", title), ("phone", phone), ("email", email))
        if getattr(user, field) != value
    }
    if not changed:
        return user
    user.full_name, user.title, user.phone, user.email = full_name, title, phone, email
    session.add(user)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="user.profile",
        entity="user",
        entity_id=user.id,
        detail={
            "username": user.username,
            **{k: v for k, v in changed.items() if k not in ("phone", "email")},
            **({"phone_changed": True} if "phone" in changed else {}),
            **({"email_changed": True} if "email" in changed else {}),
        },
    )
    return user


def set_user_active(
    *, session: Session, actor: User, user_id: int, active: bool, reason: str | None = None
) -> User:
    """Deactivate or reactivate a user: an inactive user cannot log in, use a session or a token.

    Raises LookupError for an unknown user and ValidationError when admins would lock themselves out or
    deactivate without a reason (when `reason` is given as "", the caller asked for one and got none).
    """
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    if not active and user.id == actor.id:
        raise ValidationError("active", "deactivate_self")
    if not active and reason is not None and not reason.strip():
        raise ValidationError("reason", "reason_required")
    if user.active == active:
        return user
    user.active = active
    session.add(user)
    session.flush()
    if not active:  # reactivation does not bring old sessions or tokens back: they ended here
        accounts.end_sessions(session=session, user=user, actor=actor, reason="deactivated")
    audit_log.record(
        session=session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username, **({"reason": reason.strip()} if reason else {})},
    )
    return user


def reset_password(*, session: Session, actor: User, user_id: int, password: str) -> User:
    """Set a new password (hashed) and revoke the user's API token; the audit log records who, never what."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    _check_password("password", password, user.username)
    user.password_hash = generate_password_hash(password)
    user.api_token_hash = None
    session.add(user)
    session.flush()
    accounts.end_sessions(session=session, user=user, actor=actor, reason="password reset")
    audit_log.record(
        session=session,
        actor=actor,
        action="user.password_reset",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username, "api_token_revoked": True},
    )
    return user


def change_own_password(*, session: Session, user: User, current: str, new: str) -> User:
    """A user replaces their own password, proving the current one; every session and the API token end."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationError("current_password", "password_wrong")
    if new == current:
        raise ValidationError("new_password", "password_same")
    _check_password("new_password", new, user.username)
    user.password_hash = generate_password_hash(new)
    session.add(user)
    session.flush()
    accounts.end_sessions(session=session, user=user, actor=user, reason="password change")
    audit_log.record(
        session=session,
        actor=user,
        action="user.password_change",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username},
    )
    return user


def _check_password(field: str, password: str, username: str) -> None:
    try:
        accounts.check_password(password, username=username)
    except accounts.PasswordRejected as exc:
        raise ValidationError.of(field, exc) from exc


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user
