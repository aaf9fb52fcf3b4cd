"""API tokens: a random secret shown once to its user; only its SHA-256 is stored (User.api_token_hash)."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from diagnose.models import User
from diagnose.services import audit_log

PREFIX = "dzt_"


def _digest(token: str) -> str:
    # A 256-bit random token needs no slow hash: brute force is hopeless, and lookup must be by index.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(*, session: Session, user: User) -> str:
    """Replace the user's API token with a new one and return it (the only time it is visible)."""
    token = PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = _digest(token)
    session.add(user)
    audit_log.record(session=session, actor=user, action="user.token", entity="user", entity_id=user.id)
    return token


def revoke_token(*, session: Session, user: User) -> None:
    """Remove the user's API token."""
    user.api_token_hash = None
    session.add(user)
    audit_log.record(
        session=session, actor=user, action="user.token_revoke", entity="user", entity_id=user.id
    )


def user_for_token(*, session: Session, token: str) -> User | None:
    """The active user holding this token, or None."""
    if not token.startswith(PREFIX):
        return None
    user = session.exec(select(User).where(User.api_token_hash == _digest(token))).first()
    return user if user is not None and user.active else None
