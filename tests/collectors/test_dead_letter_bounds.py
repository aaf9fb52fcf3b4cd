"""Dead letters are bounded: payloads kept cut with their length and SHA-256, a rate per device and a volume per
enterprise beyond which only counts are kept, retention; the counts per device for the provider and the CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.cli.collect import register
from apps.processes import jobs
from collectors.payloads import birth_topic, parse_message, telemetry_topic
from collectors.replay import replay
from collectors.store import DeadLetterPolicy, Incoming, dead_letter_key, store_batch
from diagnose.models import DeadLetter, DeadLetterCount
from diagnose.services.shopfloor import dead_letters
from diagnose.settings import Settings
from tests import factories


@pytest.fixture
def usccs(engine: Engine) -> tuple[str, str]:
    with Session(engine) as session:
        factories.regions(session)
        one, two = factories.enterprise(session, serial=1), factories.enterprise(session, serial=2)
        factories.device(session, one.id, "D01")
        session.commit()
        return one.uscc, two.uscc


def _junk(topic: str, payload: bytes) -> Incoming:
    return Incoming(topic, payload, parse_message(topic, payload))


def _store(engine: Engine, items: list[Incoming], policy: DeadLetterPolicy) -> tuple[int, int]:
    with Session(engine) as session:
        report = store_batch(session=session, items=items, device_ids={}, dead_letters=policy)
        session.commit()
    return report.dead_lettered, report.dead_letters_dropped


def _counts(engine: Engine) -> dict[tuple[str, str], tuple[int, int]]:
    with Session(engine) as session:
        return {(c.scope, c.device): (c.kept, c.dropped) for c in dead_letters.counts(session=session)}


def test_a_large_payload_is_kept_cut_with_its_length_and_sha256(
    engine: Engine, usccs: tuple[str, str]
) -> None:
    one, _ = usccs
    big = b"{" + b" " * 200_000 + b"}"
    _store(engine, [_junk(telemetry_topic(one, "D01"), big)], DeadLetterPolicy(max_bytes=1024))
    with Session(engine) as session:
        letter = session.exec(select(DeadLetter)).one()
        assert bytes(letter.payload) == big[:1024]
        assert letter.payload_size == len(big) and letter.payload_sha256 == hashlib.sha256(big).hexdigest()
        assert letter.reason.startswith("payload too large")
        # A cut payload is never replayed as if it were whole.
        report = replay(session=session, letters=[letter])
        assert report.replayed == 0 and "kept cut (1024 of 200002 bytes)" in report.still_failing[0][1]


def test_beyond_a_devices_rate_only_counts_are_kept(engine: Engine, usccs: tuple[str, str]) -> None:
    one, two = usccs
    policy = DeadLetterPolicy(per_device_hour=3)
    first = [_junk(telemetry_topic(one, "D01"), b"not json %d" % i) for i in range(5)]
    first += [_junk(birth_topic(two, "X9"), b"[]")] * 2
    assert _store(engine, first, policy) == (7, 2)
    # The next batch in the same hour reads the counts from the database (another collector's would too).
    assert _store(engine, [_junk(telemetry_topic(one, "D01"), b"again")], policy) == (1, 1)
    assert _counts(engine) == {(one, "D01"): (3, 3), (two, "X9"): (2, 0)}
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(DeadLetter)).one() == 5


def test_beyond_an_enterprises_volume_only_counts_are_kept(engine: Engine, usccs: tuple[str, str]) -> None:
    one, two = usccs
    policy = DeadLetterPolicy(max_bytes=500, enterprise_bytes_day=1_200)
    # Three devices of one enterprise, 500 bytes kept each at most (the 900-byte payload is cut): the third
    # would pass 1,200 bytes in 24 hours; the other enterprise is not affected.
    items = [_junk(telemetry_topic(one, f"D0{i}"), b"x" * 900) for i in range(3)]
    items.append(_junk(telemetry_topic(two, "D01"), b"y" * 900))
    assert _store(engine, items, policy) == (4, 1)
    counts = _counts(engine)
    assert (
        counts[(one, "D00")] == (1, 0) and counts[(one, "D02")] == (0, 1) and counts[(two, "D01")] == (1, 0)
    )
    with Session(engine) as session:
        row = session.exec(select(DeadLetterCount).where(DeadLetterCount.device == "D02")).one()
        assert row.received_bytes == 900 and row.kept_bytes == 0 and row.last_reason.startswith("bad JSON")


def test_text_the_collector_writes_about_a_message_is_always_storable(engine: Engine) -> None:
    """A topic naming a lone surrogate and NUL (no broker would pass it; a replay or a bug might) still makes
    a dead letter, written with escapes, and a counter row cut to its column."""
    topic = "plant/\ud800\x00/" + "d" * 100 + "/telemetry"
    item = Incoming(topic, b"\x00\xff", parse_message(topic, b"\x00\xff"))
    assert _store(engine, [item], DeadLetterPolicy()) == (1, 0)
    with Session(engine) as session:
        letter = session.exec(select(DeadLetter)).one()
        assert letter.topic.startswith("plant/\\ud800\\x00/ddd") and bytes(letter.payload) == b"\x00\xff"
    assert dead_letter_key(topic) == ("\\ud800\\x00", "d" * 64)


def test_retention_deletes_old_dead_letters_and_counts(
    engine: Engine, usccs: tuple[str, str], settings: Settings
) -> None:
    one, _ = usccs
    _store(engine, [_junk(telemetry_topic(one, "D01"), b"old")], DeadLetterPolicy())
    with Session(engine) as session:
        for letter in session.exec(select(DeadLetter)).all():
            letter.received_at -= timedelta(days=31)
            session.add(letter)
        for count in session.exec(select(DeadLetterCount)).all():
            count.window_start -= timedelta(days=31)
            session.add(count)
        session.commit()
    _store(engine, [_junk(telemetry_topic(one, "D01"), b"new")], DeadLetterPolicy())
    assert (
        jobs.prune_dead_letters(engine, settings.model_copy(update={"dead_letter_retention_days": 30})) == 2
    )
    with Session(engine) as session:
        assert [bytes(d.payload) for d in session.exec(select(DeadLetter)).all()] == [b"new"]
        assert session.exec(select(func.count()).select_from(DeadLetterCount)).one() == 1


def test_the_cli_lists_the_counts_per_device(
    engine: Engine, db_settings: Settings, usccs: tuple[str, str]
) -> None:
    one, _ = usccs
    _store(
        engine,
        [_junk(telemetry_topic(one, "D01"), b"bad %d" % i) for i in range(4)],
        DeadLetterPolicy(per_device_hour=1),
    )
    cli = click.Group("diagnose")
    register(cli)
    text = CliRunner().invoke(cli, ["deadletters", "list"], obj=db_settings)
    assert text.exit_code == 0, text.output
    assert f"{one} D01 1 3 " in text.output  # kept 1, only counted 3
    counted = CliRunner().invoke(
        cli, ["deadletters", "list", "--counts", "--json", "--enterprise", one], obj=db_settings
    )
    [row] = [json.loads(line) for line in counted.output.splitlines()]
    assert (row["enterprise"], row["device"], row["kept"], row["dropped"]) == (one, "D01", 1, 3)
    assert datetime.fromisoformat(row["last_at"]) <= datetime.now(UTC)
    letters = CliRunner().invoke(cli, ["deadletters", "list", "--json"], obj=db_settings)
    [letter] = [json.loads(line) for line in letters.output.splitlines()]
    assert (
        letter["payload"] == "bad 0" and letter["payload_size"] == 5 and len(letter["payload_sha256"]) == 64
    )
