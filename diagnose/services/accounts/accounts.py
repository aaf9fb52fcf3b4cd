"""Web accounts under 等保 2.0 level 3: password rules, per-account lockout, sessions that really end.

Messages are Chinese: they are shown as they are to the person at the keyboard.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash
from zxcvbn import zxcvbn

from diagnose.models import LoginThrottle, User
from diagnose.models.base import utcnow
from diagnose.services.audit import audit_log

MIN_LENGTH = 10
MIN_CLASSES = 3
MIN_ZXCVBN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input (its matching is quadratic); the first 72 are judged
PLATFORM_WORDS = ("diagnose", "zhizhen", "智诊")  # guessers try the site's own name too
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
    """Raise PasswordRejected unless the password has the length, classes and strength the rules ask.

    Strength is zxcvbn's estimate (Dropbox's, kept up by its Python port): dictionary words, names, keyboard
    walks, dates, l33t and repeats are what guessers try first, so `Password123!` has all four classes and
    still about 10⁴·⁶ guesses. Score 3 (at least 10⁸ guesses) is its "safely unguessable" line. The local list
    adds what its (English) dictionaries miss: passwords common in China.
    """
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"密码至少 {MIN_LENGTH} 位")
    classes = sum(
        any(c in group for c in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    ) + any(not c.isalnum() for c in password)
    if classes < MIN_CLASSES:
        raise PasswordRejected("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    lowered = password.lower()
    if lowered in common_passwords() or _undecorated(lowered) in common_passwords():
        raise PasswordRejected("该密码过于常见，请换一个")
    if len(username) >= 3 and username.lower() in lowered:
        raise PasswordRejected("密码不能包含用户名")
    estimate = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[username, *PLATFORM_WORDS])
    if estimate["score"] < MIN_ZXCVBN_SCORE:
        if "common" in (estimate["feedback"].get("warning") or ""):
            raise PasswordRejected("该密码过于常见（常见密码加数字或符号也一样），请换一个")
        raise PasswordRejected(
            "该密码容易被猜到（常见单词、姓名、日期、键盘顺序或重复），请换一个更长、更不规则的密码"
        )


def _undecorated(lowered: str) -> str:
    """The password without the digits and symbols people add at its end (`admin@123456!` → `admin@123456`)."""
    return lowered.rstrip("!@#$%^&*.?_-~")


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
    """The user if the login succeeded; otherwise until when this name is locked from this address, if it is."""

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
    """Check a login; count failures per typed username *and* address, lock that pair after `max_failures`.

    等保 2.0 (GB/T 22239-2019 8.1.4.1 b) asks that failed logins be limited and handled; keying the lock on the
    address too means failures from elsewhere never lock the owner out (a denial of service), and keying it on
    the name as typed, whether or not such a user exists, means unknown, wrong-password, inactive and locked
    all answer alike: the same outcome, and one password hash checked either way (no enumeration by message
    or by time). Every failure is audited with the name and address. The caller commits (failures too).
    """
    now = utcnow()
    name, source = username[:64], (address or "unknown")[:64]
    user = session.exec(select(User).where(User.username == username)).first()
    matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    throttle = session.exec(
        select(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.source == source)
    ).first()
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        _failed(session, name, user, "locked", source)
        return LoginOutcome(None, throttle.locked_until)
    if user is None or not matches or not user.active:
        reason = "unknown user" if user is None else ("inactive" if matches else "wrong password")
        throttle = _count_failure(session, throttle, name, source, now, lockout)
        locked = throttle.failures >= max_failures
        if locked:
            throttle.locked_until = now + lockout
            throttle.failures = 0
            reason += "; locked"
        session.add(throttle)
        _failed(session, name, user, reason, source)
        return LoginOutcome(None, throttle.locked_until if locked else None)
    if throttle is not None:
        session.delete(throttle)  # a success from this address starts its count afresh
    return LoginOutcome(user)


def _count_failure(
    session: Session, throttle: LoginThrottle | None, name: str, source: str, now: datetime, window: timedelta
) -> LoginThrottle:
    """The pair's row with one more failure (failures older than `window` forgotten), created if new."""
    if throttle is None:
        try:
            with session.begin_nested():  # another worker may insert the same pair at the same moment
                throttle = LoginThrottle(username=name, source=source, failures=0, updated_at=now)
                session.add(throttle)
        except IntegrityError:
            throttle = session.exec(
                select(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.source == source)
            ).one()
    if throttle.updated_at < now - window:
        throttle.failures = 0
    throttle.failures += 1
    throttle.updated_at = now
    return throttle


def _failed(session: Session, username: str, user: User | None, reason: str, address: str) -> None:
    audit_log.record(
        session=session,
        actor=f"anonymous:{address}"[:64] if address else "anonymous",
        action="user.login_failed",
        entity="user",
        entity_id=user.id if user is not None else "",
        detail={"username": username[:64], "reason": reason, "address": address},
    )


def locks(*, session: Session, usernames: list[str], now: datetime | None = None) -> dict[str, datetime]:
    """For each of these names locked from some address, until when the last of those locks lasts."""
    now = now or utcnow()
    rows = session.exec(
        select(LoginThrottle).where(
            col(LoginThrottle.username).in_(usernames), col(LoginThrottle.locked_until) > now
        )
    ).all()
    found: dict[str, datetime] = {}
    for row in rows:
        assert row.locked_until is not None
        found[row.username] = max(found.get(row.username, row.locked_until), row.locked_until)
    return found


def unlock(*, session: Session, actor: User, user: User) -> User:
    """An admin lifts the user's lockouts (from every address) before they run out."""
    for row in session.exec(select(LoginThrottle).where(LoginThrottle.username == user.username)).all():
        session.delete(row)
    audit_log.record(
        session=session,
        actor=actor,
        action="user.unlock",
        entity="user",
        entity_id=user.id,
        detail={"username": user.username},
    )
    return user


def prune_throttle(*, session: Session, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Forget failure counts and locks that ended more than `keep` ago; returns how many rows went."""
    cutoff = now - keep
    done = session.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.updated_at) < cutoff,
            or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < cutoff),
        )
    )
    return int(getattr(done, "rowcount", 0) or 0)
