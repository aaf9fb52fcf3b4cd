"""One role enum: the schemas' role names are Role's, and a stored role compares equal to its member."""

from __future__ import annotations

from typing import get_args

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.models import Role, User
from diagnose.schemas.accounts import RoleName
from diagnose.schemas.tokens import MeOut


def test_the_schemas_name_exactly_the_roles_of_the_enum() -> None:
    assert get_args(RoleName) == tuple(Role) == ("admin", "bureau", "provider", "enterprise")
    assert get_args(MeOut.model_fields["role"].annotation) == tuple(Role)


def test_a_stored_role_is_the_plain_string_and_equals_its_member(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(User(username="u1", password_hash="x", role=Role.bureau))
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(User).where(User.role == Role.bureau)).one()
        assert stored.role == Role.bureau and stored.role == "bureau" and f"{Role.bureau}" == "bureau"
