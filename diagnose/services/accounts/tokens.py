"""API tokens: a random secret shown once to its user; only its SHA-256 is stored (User.api_token_hash).

A token carries a scope ('read': GET only; 'write': everything the role may do) and expires
(`api_token_expires_at`, DEFAULT_TTL_DAYS after issue unless asked otherwise).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from diagnose.models import User
from diagnose.models.base import utcnow
from diagnose.schemas.errors import FieldError
from diagnose.services.audit import audit_log

PREFIX = "dzt_"
SCOPES = ("read", "write")
DEFAULT_TTL_DAYS = 90
MAX_TTL_DAYS = 366


def _digest(token: str) -> str:
    # A 256-bit random token needs no slow hash: brute force is hopeless, and lookup must be by index.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    *,
    session: Session,
    user: User,
    scope: str = "write",
    ttl_days: int = DEFAULT_TTL_DAYS,
    now: datetime | None = None,
) -> str:
    """Replace the user's API token with a new one and return it (the only time it is visible)."""
    if scope not in SCOPES:
        raise FieldError("scope", "token_scope")
    if not 1 <= ttl_days <= MAX_TTL_DAYS:
        raise FieldError("ttl_days", "token_days", max_days=MAX_TTL_DAYS)
    token = PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = _digest(token)
    user.api_token_scope = scope
    user.api_token_expires_at = (now or utcnow()) + timedelta(days=ttl_days)
    session.add(user)
    audit_log.record(
        session=session,
        actor=user,
        action="user.token",
        entity="user",
        entity_id=user.id,
        detail={"scope": scope, "expires_at": user.api_token_expires_at.isoformat()},
    )
    return token


def revoke_token(*, session: Session, user: User) -> None:
    """Remove the user's API token."""
    user.api_token_hash = None
    user.api_token_scope = None
    user.api_token_expires_at = None
    session.add(user)
    audit_log.record(
        session=session, actor=user, action="user.token_revoke", entity="user", entity_id=user.id
    )


def token_holder(*, session: Session, token: str, now: datetime | None = None) -> tuple[User, str] | None:
    """The active user holding this unexpired token and the token's scope, or None."""
    if not token.startswith(PREFIX):
        return None
    user = session.exec(select(User).where(User.api_token_hash == _digest(token))).first()
    if user is None or not user.active:
        return None
    if user.api_token_expires_at is None or user.api_token_expires_at <= (now or utcnow()):
        return None
    return user, user.api_token_scope or "read"


def user_for_token(*, session: Session, token: str) -> User | None:
    """The active user holding this unexpired token, or None."""
    found = token_holder(session=session, token=token)
    return found[0] if found else None
