"""City figures built once and shared by every process: dogpile.cache keyed by the versions of the tables a figure
reads (moved by database triggers), and the jobs process building the bureaus' figures ahead of page views."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import TypeAdapter
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.processes import jobs
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, OrderStatus, Provider, Result, User
from diagnose.models.base import utcnow
from diagnose.services.diagnosis import orders
from diagnose.services.supervision import overview, supervision_review, versioned_cache
from diagnose.settings import Settings
from tests.supervision.conftest import World

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _league(engine: Engine, world: World) -> list[tuple[int, int, int]]:
    with Session(engine) as session:
        report = supervision_review.performance(
            session=session, bureau_id=world.wujin, start=YEAR[0], end=YEAR[1]
        )
    return [(r.provider_id, r.assigned, r.completed) for r in report.rows]


def _refuse_to_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("built again although another process had built it")

    monkeypatch.setattr(supervision_review, "league_table", refuse)


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every figure built from now on (in any engine of this test process)."""
    built: list[str] = []
    cached = versioned_cache.cached

    def spy(key, build, *, figure, **kwargs):  # type: ignore[no-untyped-def]
        def recorded(own: Session) -> object:
            built.append(figure.name)
            return build(own)

        return cached(key, recorded, figure=figure, **kwargs)

    monkeypatch.setattr(versioned_cache, "cached", spy)
    return built


def test_a_league_table_built_in_one_process_is_read_by_another(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_engine(db_settings)  # a web worker, the cache where the settings say (a file under var_dir)
    built = _league(first, world)
    assert built and built[0][1:] == (2, 2)
    other = make_engine(db_settings)  # another process: its own engine and its own dogpile region
    _refuse_to_build(monkeypatch)
    assert _league(other, world) == built  # the same figures, read back with their types (Decimal, tuples)


def test_on_redis_a_figure_built_by_one_process_is_read_by_another_and_waited_for(
    engine: Engine, world: World, db_settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_redis = db_settings.model_copy(update={"figure_cache_url": redis_url})
    first, other = make_engine(on_redis), make_engine(on_redis)  # two processes, one Redis
    built = _league(first, world)
    lock = versioned_cache.region(on_redis).backend.get_mutex("figure:any")
    assert lock is not None and lock.acquire(False)  # the build lock is Redis's, not this process's
    assert not versioned_cache.region(on_redis).backend.get_mutex("figure:any").acquire(False)
    lock.release()
    _refuse_to_build(monkeypatch)
    assert _league(other, world) == built


def test_a_change_to_the_data_read_makes_it_built_again_and_the_old_one_is_never_served(
    engine: Engine, world: World
) -> None:
    assert _league(engine, world)[0][1:] == (2, 2)
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        order.status = OrderStatus.returned  # no stamp needed: the triggers count the update
        session.add(order)
        session.commit()
    assert _league(engine, world)[0][1:] == (2, 1)


def test_a_cached_entry_that_no_longer_reads_is_built_again(
    engine: Engine, world: World, db_settings: Settings
) -> None:
    worker = make_engine(db_settings)
    built = _league(worker, world)
    region = versioned_cache.region(db_settings)
    (key,) = [k for k in _keys(db_settings) if k.startswith("figure:league:")]
    header, _, _body = region.get(key).partition(b"\n")
    region.set(key, header + b'\n{"not": "a league table"}')
    assert _league(make_engine(db_settings), world) == built  # another process: nothing of its own to read


def _keys(settings: Settings) -> list[str]:
    import dbm

    with dbm.open(str(settings.var_dir / "figure-cache"), "r") as file:
        return [k.decode() for k in file.keys()]  # noqa: SIM118 (dbm.dumb iterates no keys)


def test_a_cache_out_of_reach_still_serves_the_figures_unshared(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_down = db_settings.model_copy(
        update={"figure_cache_url": "redis://127.0.0.1:1/0"}
    )  # nobody listens
    worker = make_engine(redis_down)
    with pytest.raises(RedisConnectionError):
        versioned_cache.region(redis_down).get("anything")
    assert _league(worker, world)[0][1:] == (2, 2)


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
    names = {k.split(":")[1] for k in _keys(db_settings)}
    assert {"league", "status_over_time", "spend_by_batch", "status_counts", "level_distribution"} <= names
    entries = len(_keys(db_settings))
    built = _builds(monkeypatch)
    worker = make_engine(db_settings)  # a web worker that has built nothing
    figures = _dashboard(worker, world)
    assert built == []  # every figure the dashboard draws was built ahead by the job
    assert figures.league.rows and sum(figures.counts.values()) > 0
    # After a change, or on the next day, the job builds them again over the same entries: nothing to prune.
    _add_order(engine, world)
    assert jobs.refresh_figures(engine, db_settings, now=now) >= 2
    assert {"league", "status_counts"} <= set(built)
    built.clear()
    assert jobs.refresh_figures(engine, db_settings, now=now + timedelta(days=1)) >= 2
    assert set(built) == {"status_over_time"}  # the months' ends moved; no table did
    assert len(_keys(db_settings)) == entries


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


def test_after_a_change_the_page_shows_the_figures_of_a_moment_ago_instead_of_building_them(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.refresh_figures(engine, db_settings, now=datetime(2026, 6, 1, 4, tzinfo=UTC))
    worker = make_engine(db_settings)  # another process
    before = _dashboard(worker, world)
    assert before.as_of is None  # current figures: nothing to say
    _add_order(engine, world)
    built = _builds(monkeypatch)
    shown = _dashboard(worker, world, WINDOW)
    assert built == []  # nothing was built in the page's request
    assert shown.counts == before.counts and shown.as_of is not None
    assert utcnow() - shown.as_of < timedelta(seconds=60)
    # The jobs process builds the new figures; the next page view shows them, current.
    jobs.refresh_figures(engine, db_settings, now=datetime(2026, 6, 1, 4, tzinfo=UTC))
    after = _dashboard(worker, world, WINDOW)
    assert after.as_of is None
    assert after.counts["created"] == before.counts["created"] + 1


def test_figures_older_than_the_window_or_asked_without_one_are_built_afresh(
    engine: Engine, world: World, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.refresh_figures(engine, db_settings, now=datetime(2026, 6, 1, 4, tzinfo=UTC))
    worker = make_engine(db_settings)
    created = _dashboard(worker, world).counts["created"]
    _add_order(engine, world)
    # Without a window (the jobs process, the API): always current.
    assert _dashboard(worker, world).counts["created"] == created + 1
    _add_order(engine, world)
    later = utcnow() + timedelta(minutes=2)  # the cached figures are now two minutes old
    monkeypatch.setattr(versioned_cache, "utcnow", lambda: later)
    built = _builds(monkeypatch)
    shown = _dashboard(worker, world, WINDOW)
    assert shown.as_of is None and shown.counts["created"] == created + 2
    assert {"status_counts", "status_over_time", "spend_by_batch", "league"} <= set(built)


_NAMES = versioned_cache.Figure("provider_names", TypeAdapter(list[str]))


def _provider_names(engine: Engine) -> list[str]:
    """A figure over a table no other figure reads, written without any version function."""
    with Session(engine) as session:
        return versioned_cache.cached(
            ("provider_names",),
            lambda own: sorted(own.exec(select(Provider.name)).all()),
            session=session,
            figure=_NAMES,
        )


SPARE_USCC = "91320412MA1SPARE01"


@pytest.mark.parametrize(
    "change",
    [
        "INSERT INTO provider (uscc, name, region_code) SELECT '91320412MA1OTHER1', '新到服务商', region_code "
        "FROM provider WHERE uscc = :spare",
        "UPDATE provider SET name = '改名服务商' WHERE uscc = :spare",
        "DELETE FROM provider WHERE uscc = :spare",
    ],
    ids=["insert", "update", "delete"],
)
def test_a_new_figure_follows_any_change_to_the_tables_it_reads_even_raw_sql_from_another_process(
    engine: Engine, world: World, db_settings: Settings, change: str
) -> None:
    with Session(engine) as session:  # a provider nothing refers to, to change
        region = session.exec(select(Provider.region_code)).first()
        session.add(Provider(uscc=SPARE_USCC, name="备用服务商", region_code=region))
        session.commit()
    worker = make_engine(db_settings)
    before = _provider_names(worker)
    assert "备用服务商" in before and _provider_names(worker) == before
    with make_engine(db_settings).begin() as other:  # another process, plain SQL: no ORM event sees it
        other.execute(text(change), {"spare": SPARE_USCC})
    after = _provider_names(worker)
    assert after != before
    with Session(engine) as session:
        assert after == sorted(session.exec(select(Provider.name)).all())
