"""Organisations: unified social credit codes are checked, duplicates refused, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select, text

from diagnose.models import AuditLog, Enterprise, Role
from diagnose.services.accounts import orgs
from diagnose.services.audit import audit_log
from tests import factories


def test_enterprise_with_valid_code_is_registered_and_audited(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        created = factories.enterprise(session)
        session.commit()
        stored = session.exec(select(Enterprise)).one()
        assert stored.uscc == created.uscc
        entries = audit_log.entries_for(session=session, entity="enterprise", entity_id=created.id)
        assert [e.action for e in entries] == ["enterprise.create"]


def test_wrong_check_character_is_refused_with_a_clear_message(engine) -> None:  # type: ignore[no-untyped-def]
    good = factories.uscc()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with Session(engine) as session:
        factories.regions(session)
        with pytest.raises(orgs.ValidationError) as info:
            orgs.create_enterprise(
                session=session, actor="t", uscc=wrong, name="x", region_code="320412", industry_code="3421"
            )
        assert info.value.field == "uscc"
        assert "check" in str(info.value).lower()
        assert session.exec(select(Enterprise)).first() is None


@pytest.mark.parametrize("bad", ["", "123", "91320412MA0000001X0", "9132041@MA000001XA"])
def test_malformed_codes_are_refused(engine, bad: str) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        with pytest.raises(orgs.ValidationError, match="uscc"):
            orgs.create_enterprise(
                session=session, actor="t", uscc=bad, name="x", region_code="320412", industry_code="3421"
            )


def test_duplicate_enterprise_is_refused_and_first_kept(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        factories.enterprise(session, name="第一家")
        session.commit()
        with pytest.raises(orgs.ValidationError, match="already registered"):
            factories.enterprise(session, name="第二家")
        session.rollback()
        assert [e.name for e in session.exec(select(Enterprise))] == ["第一家"]


def test_region_descendants(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        assert orgs.region_and_descendants(session=session, code="320400") == {"320400", "320412"}
        assert orgs.region_and_descendants(session=session, code="320000") == {
            "320000",
            "320400",
            "320412",
            "320500",
            "320585",
        }


def test_passwords_are_hashed_and_checked(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        user = factories.user(session, "alice", Role.admin, password="Quiet-Otter-4471")
        session.commit()
        assert "Quiet-Otter-4471" not in user.password_hash
        assert orgs.authenticate(session=session, username="alice", password="Quiet-Otter-4471") is not None
        assert orgs.authenticate(session=session, username="alice", password="wrong-pass") is None
        assert orgs.authenticate(session=session, username="nobody", password="Quiet-Otter-4471") is None


def test_audit_log_is_append_only(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        audit_log.record(session=session, actor="t", action="x.test", entity="x", entity_id=1)
        session.commit()
        for statement in ("UPDATE auditlog SET action = 'forged'", "DELETE FROM auditlog"):
            with pytest.raises(DBAPIError, match="append-only"):
                session.exec(text(statement))  # type: ignore[call-overload]
            session.rollback()
        assert session.exec(select(AuditLog.action)).all() == ["x.test"]


def test_passwords_are_stored_with_werkzeugs_default_scrypt(engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The product hashes with werkzeug's default, scrypt:32768:8:1 (tests/conftest.py makes the other tests'
    hashes cheaper): every way a password is set, and each hash salted apart."""
    import werkzeug.security

    monkeypatch.setattr(orgs, "generate_password_hash", werkzeug.security.generate_password_hash)
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        admin = factories.user(session, "admin", Role.admin, password="correct-horse-9")
        user = factories.user(session, "ent1", Role.enterprise, enterprise.id, password="correct-horse-9")
        hashes = [admin.password_hash, user.password_hash]
        orgs.reset_password(session=session, actor=admin, user_id=user.id or 0, password="battery-staple-7")
        hashes.append(user.password_hash)
        orgs.change_own_password(
            session=session, user=user, current="battery-staple-7", new="tr0ub4dor-and-3"
        )
        hashes.append(user.password_hash)
        session.commit()
    assert all(h.startswith("scrypt:32768:8:1$") for h in hashes), hashes
    assert len(set(hashes)) == len(hashes)
    assert werkzeug.security.check_password_hash(hashes[-1], "tr0ub4dor-and-3")
