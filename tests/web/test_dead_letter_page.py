"""The provider's dead-letter page shows, per device, the messages kept and those only counted beyond the caps,
and a cut payload's real size."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlmodel import Session

from collectors.payloads import parse_message, telemetry_topic
from collectors.store import DeadLetterPolicy, Incoming, store_batch
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, Enterprise
from tests.web.conftest import client_as
from web import create_app


def test_counts_per_device_include_what_was_only_counted(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo.db"
    shutil.copy(world.db_path, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        uscc = session.get(Enterprise, order.enterprise_id).uscc  # type: ignore[union-attr]
        topic = telemetry_topic(uscc, "JUNK-1")
        junk = [b"{" + b"x" * 9_000, *(b"not json %d" % i for i in range(4))]
        store_batch(
            session=session,
            items=[Incoming(topic, p, parse_message(topic, p)) for p in junk],
            device_ids={},
            dead_letters=DeadLetterPolicy(per_device_hour=2, max_bytes=8_192),
        )
        session.commit()
    app = create_app(world.settings(copy), {"TESTING": True})
    html = (
        client_as(app, world, "provider")
        .get(f"/provider/orders/{world.order_id}/dead-letters")
        .get_data(as_text=True)
    )
    row = re.search(r'<tr data-device="JUNK-1">(.*?)</tr>', html, re.S)
    assert row, html
    kept = re.search(r'class="num dead-kept">(\d+)<', row.group(1))
    dropped = re.search(r'class="num dead-dropped">(\d+)<', row.group(1))
    assert kept and dropped and (kept.group(1), dropped.group(1)) == ("2", "3")
    assert "仅计数" in html and "按设备统计" in html
    assert "8.8 KB" in html and "已截断" in html  # the 9,001-byte payload, kept cut to 8 KiB
    engine.dispose()
