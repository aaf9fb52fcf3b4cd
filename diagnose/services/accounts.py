"""Web accounts under 等保 2.0 level 3: password rules, per-account lockout, sessions that really end.

Messages are Chinese: they are shown as they are to the person at the keyboard.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from diagnose.models import User
from diagnose.models.base import utcnow
from diagnose.services import audit_log

MIN_LENGTH = 10
MIN_CLASSES = 3
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# Compared against when the user does not exist, so a login costs the same either way.
_DUMMY_HASH = "scrypt:32768:8:1$dummydummydummy$" + "0" * 128


class PasswordRejected(ValueError):
    """A password the rules refuse; the message says why, in Chinese."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused list, lower-cased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, *, username: str = "") -> None:
    """Raise PasswordRejected unless the password has the length, classes and rarity the rules ask."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"密码至少 {MIN_LENGTH} 位")
    classes = sum(
        any(c in group for c in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    ) + any(not c.isalnum() for c in password)
    if classes < MIN_CLASSES:
        raise PasswordRejected("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    lowered = password.lower()
    if lowered in common_passwords():
        raise PasswordRejected("该密码过于常见，请换一个")
    if len(username) >= 3 and username.lower() in lowered:
        raise PasswordRejected("密码不能包含用户名")


def end_sessions(*, session: Session, user: User, actor: User | str, reason: str) -> None:
    """End every cookie and API token the user holds: their session version moves on for good."""
    user.session_version += 1
    user.api_token_hash = None
    user.api_token_scope = None
    user.api_token_expires_at = None
    session.add(user)
    audit_log.record(
        session=session,
        actor=actor,
        action="user.sessions_end",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username, "reason": reason, "session_version": user.session_version},
    )


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The user if the login succeeded; otherwise until when the account is locked, if it is."""

    user: User | None
    locked_until: datetime | None = None


def attempt_login(
    *,
    session: Session,
    username: str,
    password: str,
    max_failures: int,
    lockout: timedelta,
    address: str = "",
) -> LoginOutcome:
    """Check a login, count failures per account, lock after `max_failures`; every failure is audited.

    The caller commits (failures too: they must be recorded).
    """
    now = utcnow()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        _failed(session, username, user, "locked", address)
        return LoginOutcome(None, user.locked_until)
    matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not matches or not user.active:
        reason = "unknown user" if user is None else ("inactive" if matches else "wrong password")
        if user is not None and not matches:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + lockout
                user.failed_logins = 0
                reason = "wrong password; locked"
            session.add(user)
        _failed(session, username, user, reason, address)
        return LoginOutcome(None, user.locked_until if user is not None and user.locked_until else None)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    return LoginOutcome(user)


def _failed(session: Session, username: str, user: User | None, reason: str, address: str) -> None:
    audit_log.record(
        session=session,
        actor=f"anonymous:{address}"[:64] if address else "anonymous",
        action="user.login_failed",
        entity="user",
        entity_id=user.id if user is not None else "",
        detail={"username": username[:64], "reason": reason},
    )


def unlock(*, session: Session, actor: User, user: User) -> User:
    """An admin lifts a lockout before it runs out."""
    user.locked_until = None
    user.failed_logins = 0
    session.add(user)
    audit_log.record(
        session=session,
        actor=actor,
        action="user.unlock",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username},
    )
    return user
