"""Admin listings of users, organisations and regions: searchable, sorted and paged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from diagnose.models import Bureau, Enterprise, Provider, Region, User
from diagnose.services.diagnosis.orders import Page

LISTS: dict[str, tuple[type[Any], tuple[str, ...], str]] = {
    "users": (User, ("username", "full_name", "title"), "username"),
    "enterprises": (Enterprise, ("name", "uscc"), "name"),
    "providers": (Provider, ("name", "uscc"), "name"),
    "bureaus": (Bureau, ("name",), "name"),
    "regions": (Region, ("name", "code"), "code"),
}


def search(
    *,
    session: Session,
    kind: str,
    query: str = "",
    sort: str = "",
    descending: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """One page of a directory list matching `query` in its text columns."""
    model, text_columns, default_sort = LISTS[kind]
    where = []
    if query.strip():
        term = query.strip()  # % and _ match themselves
        where.append(or_(*(col(getattr(model, c)).contains(term, autoescape=True) for c in text_columns)))
    column = col(getattr(model, sort if sort in (*text_columns, default_sort) else default_sort))
    statement = select(model).where(*where).order_by(column.desc() if descending else column.asc())
    return Page.of(session=session, statement=statement, page=page, per_page=per_page)
