"""Alembic: empty → head → base → head on every backend, and the models match the migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from diagnose import migrate
from diagnose.db import make_engine


def test_the_migrations_form_one_chain() -> None:
    """Two branches merged with the same parent give two heads: every database would then refuse to start."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"re-chain the migrations: heads {sorted(heads)}"


def test_upgrade_from_empty_to_head_and_back(db_url: str) -> None:
    engine = make_engine(url=db_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"enterprise", "device", "telemetry", "diagnosisorder", "auditlog", "region", "user"} <= tables
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_models_and_migrations_agree(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts=migrate.COMPARE_OPTIONS), SQLModel.metadata
        )
    assert diff == [], f"models changed without a migration: {diff}"


def test_money_beyond_32_bits_is_stored(engine) -> None:  # type: ignore[no-untyped-def]
    """A 规上 enterprise's revenue (here 5 亿元) and a city's batch budget exceed 2³¹ fen."""
    from sqlmodel import Session

    from diagnose.models import Bureau, DiagnosisOrder, Enterprise, ProcurementBatch, Region
    from scoring.uscc import make_uscc

    with Session(engine) as session:
        session.add(Region(code="320412", name="武进区", level="district"))
        session.flush()
        bureau = Bureau(name="武进区工信局", region_code="320412")
        enterprise = Enterprise(
            uscc=make_uscc("91320412MA1BQ7X2K"), name="常州大营收制造有限公司", region_code="320412",
            industry_code="3484", revenue_fen=50_000_000_000,
        )  # fmt: skip
        session.add_all([bureau, enterprise])
        session.flush()
        batch = ProcurementBatch(bureau_id=bureau.id, name="全市批次", year=2026, budget_fen=3_000_000_000)
        session.add(batch)
        session.flush()
        order = DiagnosisOrder(
            number="WJ-BIG-1", bureau_id=bureau.id, batch_id=batch.id, enterprise_id=enterprise.id,
            kind="factory", fee_fen=2_500_000_000,
        )  # fmt: skip
        session.add(order)
        session.commit()
        ids = enterprise.id, batch.id, order.id
    with Session(engine) as session:
        assert session.get(Enterprise, ids[0]).revenue_fen == 50_000_000_000  # type: ignore[union-attr]
        assert session.get(ProcurementBatch, ids[1]).budget_fen == 3_000_000_000  # type: ignore[union-attr]
        assert session.get(DiagnosisOrder, ids[2]).fee_fen == 2_500_000_000  # type: ignore[union-attr]
