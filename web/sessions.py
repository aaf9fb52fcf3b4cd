"""Flask's signed-cookie sessions, signed again only when they change or once a minute.

Flask re-signs a permanent session's cookie on every response (SESSION_REFRESH_EACH_REQUEST) to slide its
lifetime: an HMAC and a JSON dump per page, and a Set-Cookie a browser stores each time. Here an unchanged
session is written again only when its cookie is older than `REFRESH_S`, so a session still ends
PERMANENT_SESSION_LIFETIME after its last use, within that minute.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

REFRESH_S = 60


class TimedSession(SecureCookieSession):
    """A session that knows when its cookie was signed (None: new, or no valid cookie)."""

    signed_at: datetime | None = None


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions written only when changed or older than `REFRESH_S`."""

    session_class = TimedSession

    def open_session(self, app: Flask, request: Request) -> TimedSession | None:  # type: ignore[override]
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SecureCookieSession) -> bool:  # type: ignore[override]
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or (datetime.now(UTC) - signed_at).total_seconds() >= REFRESH_S


def init_app(app: Flask) -> None:
    """Use these sessions."""
    app.session_interface = SessionInterface()
