"""One database session per request, closed at teardown; the engine is built once per worker."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.db import make_engine
from diagnose.settings import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Create the engine and register the teardown."""
    app.extensions["diagnose_engine"] = make_engine(settings)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """This app's engine."""
    return current_app.extensions["diagnose_engine"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
