"""City figures built once and shared by every process: the figure cache in the database, the data version
that keys it, and the jobs process building the bureaus' figures ahead of page views."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from apps.processes import jobs
from diagnose.models import DiagnosisOrder, EnterpriseOutcome, FigureCache, OrderStatus, Result, User
from diagnose.models.base import utcnow
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis import orders
from diagnose.services.supervision import data_version, overview, supervision_review, versioned_cache
from diagnose.settings import Settings
from tests.supervision.conftest import World

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _league(engine: Engine, world: World) -> list[tuple[int, int, int]]:
    with Session(engine) as session:
        report = supervision_review.performance(
            session=session, bureau_id=world.wujin, start=YEAR[0], end=YEAR[1]
        )
    return [(r.provider_id, r.assigned, r.completed) for r in report.rows]


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(FigureCache)).one())


def _refuse_to_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("built again although another process had built it")

    monkeypatch.setattr(supervision_review, "league_table", refuse)


def test_a_league_table_built_in_one_process_is_read_by_another(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _league(engine, world)
    assert built and built[0][1:] == (2, 2)
    with Session(engine) as session:
        stored = session.exec(select(FigureCache).where(FigureCache.name == "league")).all()
    assert len(stored) == 1
    versioned_cache.clear()  # another web worker: nothing in its memory
    _refuse_to_build(monkeypatch)
    assert _league(engine, world) == built  # the same figures, read back with their types (Decimal, tuples)


def test_a_change_makes_a_new_entry_and_the_old_one_is_never_served(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _league(engine, world)[0][1:] == (2, 2)
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        order.status, order.updated_at = OrderStatus.returned, utcnow()
        session.add(order)
        session.commit()
    versioned_cache.clear()
    assert _league(engine, world)[0][1:] == (2, 1)
    with Session(engine) as session:
        assert (
            session.exec(
                select(func.count()).select_from(FigureCache).where(FigureCache.name == "league")
            ).one()
            == 2
        )


def test_a_stored_entry_that_no_longer_reads_is_built_again(engine: Engine, world: World) -> None:
    built = _league(engine, world)
    with Session(engine) as session:
        entry = session.exec(select(FigureCache).where(FigureCache.name == "league")).one()
        entry.value = '{"not": "a league table"}'
        session.add(entry)
        session.commit()
    versioned_cache.clear()
    assert _league(engine, world) == built


def test_a_busy_database_still_serves_the_figures_unshared(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO figurecache", {}, Exception("database is locked"))

    real_begin = Engine.begin
    monkeypatch.setattr(Engine, "begin", busy)
    try:
        built = _league(engine, world)
    finally:
        monkeypatch.setattr(Engine, "begin", real_begin)
    assert built[0][1:] == (2, 2)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(FigureCache)).one() == 0


def test_the_orders_version_moves_with_every_change_the_figures_show(engine: Engine, world: World) -> None:
    def version() -> tuple[object, ...]:
        with Session(engine) as session:
            return data_version.orders(session=session)

    seen = [version()]
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        order.rating, order.updated_at = 4, utcnow()
        session.add(order)
        session.commit()
    seen.append(version())
    with Session(engine) as session:
        reviewer = session.exec(select(User).where(User.username == "wujin")).one()
        audit_log.record(
            session=session, actor=reviewer, action="order.return", entity="order", entity_id=world.dark_order,
            detail={"reason": "缺少现场照片"},
        )  # fmt: skip
        session.commit()
    seen.append(version())
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        session.add(
            EnterpriseOutcome(
                enterprise_id=order.enterprise_id, kind="retrofit", on_date=date(2026, 6, 1), source="test"
            )
        )
        session.commit()
    seen.append(version())
    assert len(set(seen)) == 4
    assert version() == seen[-1]  # and it stands still while nothing changes


def test_status_counts_agree_with_the_order_list(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "wujin")).one()
        regions = overview.bureau_regions(session=session, bureau_id=world.wujin)
        counts = overview.status_counts(session=session, regions=regions)
        listed = {
            s: orders.list_orders(session=session, user=user, status=s, per_page=1).total
            for s in orders.STATUSES
        }
    assert counts == listed
    assert sum(counts.values()) > 0


def test_the_figures_job_builds_every_bureau_s_figures_ahead_of_the_page_views(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 6, 1, 4, tzinfo=UTC)  # the league's default period is then 2026
    assert jobs.refresh_figures(engine, db_settings, now=now) >= 2  # Wujin and Taicang
    with Session(engine) as session:
        names = set(session.exec(select(FigureCache.name)).all())
    assert {"league", "status_over_time", "spend_by_batch", "status_counts", "level_distribution"} <= names
    versioned_cache.clear()  # a web worker that has built nothing
    _refuse_to_build(monkeypatch)
    monkeypatch.setattr(overview, "_status_over_time", lambda *a: pytest.fail("built again"))
    assert _league(engine, world)[0][1:] == (2, 2)
    load = versioned_cache._load
    missed: list[object] = []

    def spy(engine_: Engine, key: object, shared: object) -> object:
        value = load(engine_, key, shared)  # type: ignore[arg-type]
        if value is None:
            missed.append(key)
        return value

    monkeypatch.setattr(versioned_cache, "_load", spy)
    figures = _dashboard(engine, world)
    assert missed == []  # every figure the dashboard draws was built ahead by the job
    assert figures.league.rows and sum(figures.counts.values()) > 0
    # Entries older than a day are pruned; younger ones are kept.
    stored = _count(engine)
    assert versioned_cache.prune(engine=engine, now=utcnow() + timedelta(hours=1)) == 0
    assert versioned_cache.prune(engine=engine, now=utcnow() + timedelta(days=2)) == stored
    assert _count(engine) == 0


def test_order_list_totals_are_cached_yet_follow_a_new_order(engine: Engine, world: World) -> None:
    def totals() -> tuple[int, int, int]:
        with Session(engine) as session:
            bureau = session.exec(select(User).where(User.username == "wujin")).one()
            provider = session.exec(select(User).where(User.provider_id == world.provider)).first()
            assert provider is not None
            return (
                orders.list_orders(session=session, user=bureau).total,
                orders.list_orders(session=session, user=provider).total,
                orders.list_orders(session=session, user=provider, status="created").total,
            )

    before = totals()
    assert totals() == before
    _add_order(engine, world)
    assert totals() == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_the_maturity_charts_follow_a_new_result(engine: Engine, world: World) -> None:
    def at_level_5() -> int:
        with Session(engine) as session:
            regions = overview.bureau_regions(session=session, bureau_id=world.wujin)
            figure = overview.level_distribution(session=session, regions=regions)["district"]
        return sum(sum(row["counts"]) for row in figure["series"] if row["level"] == 5)

    before = at_level_5()
    assert at_level_5() == before
    with Session(engine) as session:  # the dark order's enterprise is now rated level 5 (its latest result)
        session.add(
            Result(
                order_id=world.dark_order, level=5, score="5.0000", level_scores=[], detail={},
                model_version="t", weights_version="t", rule_version="t", input_hash="0" * 64,
            )
        )  # fmt: skip
        session.commit()
    assert at_level_5() == before + 1  # a new version of the results: built again, not served stale


def _add_order(engine: Engine, world: World) -> None:
    """A new order of the provider, just created, for the enterprise of the dark order (in Wujin)."""
    with Session(engine) as session:
        template = session.get(DiagnosisOrder, world.dark_order)
        assert template is not None
        serial = 9000 + session.exec(select(func.count()).select_from(DiagnosisOrder)).one()
        session.add(
            DiagnosisOrder(
                number=f"WJ-2026-{serial}", bureau_id=template.bureau_id,
                enterprise_id=template.enterprise_id, provider_id=world.provider, kind="factory",
                fee_fen=1_000_000, status="created",
            )
        )  # fmt: skip
        session.commit()


TODAY = date(2026, 6, 1)
WINDOW = timedelta(seconds=60)


def _dashboard(engine: Engine, world: World, stale_for: timedelta | None = None) -> overview.DashboardFigures:
    """Wujin's dashboard figures as a page view in a session of its own reads them."""
    with Session(engine) as session:
        return overview.dashboard_figures(
            session=session, bureau_id=world.wujin, today=TODAY, stale_for=stale_for
        )


def _no_building(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every figure built and stored from now on."""
    built: list[str] = []
    store = versioned_cache._store
    monkeypatch.setattr(
        versioned_cache,
        "_store",
        lambda engine, full, key, shared, value: (
            built.append(shared.name),
            store(engine, full, key, shared, value),
        ),
    )
    return built


def test_after_a_change_the_page_shows_the_figures_of_a_moment_ago_instead_of_building_them(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.refresh_figures(engine, db_settings, now=datetime(2026, 6, 1, 4, tzinfo=UTC))
    before = _dashboard(engine, world)
    assert before.as_of is None  # current figures: nothing to say
    _add_order(engine, world)
    versioned_cache.clear()  # another web worker
    built = _no_building(monkeypatch)
    shown = _dashboard(engine, world, WINDOW)
    assert built == []  # nothing was built in the page's request
    assert shown.counts == before.counts and shown.as_of is not None
    assert utcnow() - shown.as_of < timedelta(seconds=60)
    # The jobs process builds the new figures; the next page view shows them, current.
    jobs.refresh_figures(engine, db_settings, now=datetime(2026, 6, 1, 4, tzinfo=UTC))
    after = _dashboard(engine, world, WINDOW)
    assert after.as_of is None
    assert after.counts["created"] == before.counts["created"] + 1


def test_figures_older_than_the_window_or_asked_without_one_are_built_afresh(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.refresh_figures(engine, db_settings, now=datetime(2026, 6, 1, 4, tzinfo=UTC))
    created = _dashboard(engine, world).counts["created"]
    _add_order(engine, world)
    versioned_cache.clear()
    # Without a window (the jobs process, the API): always current.
    assert _dashboard(engine, world).counts["created"] == created + 1
    _add_order(engine, world)
    versioned_cache.clear()
    later = utcnow() + timedelta(minutes=2)  # the stored figures are now two minutes old
    monkeypatch.setattr(versioned_cache, "utcnow", lambda: later)
    built = _no_building(monkeypatch)
    shown = _dashboard(engine, world, WINDOW)
    assert shown.as_of is None and shown.counts["created"] == created + 2
    assert {"status_counts", "status_over_time", "spend_by_batch", "league"} <= set(built)
