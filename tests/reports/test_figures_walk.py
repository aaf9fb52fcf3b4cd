"""The walk of issue #22, automated: a diagnosis scored on 0.2 h of telemetry shows the same statuses, and one
scored on a full week the same numbers, on the questionnaire, the result page, the PDF report (read back with
pdftotext), its Word copy and the API — all five printing the evidence snapshot the scoring stored."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from collectors.backfill import enterprise_history
from diagnose import workflow
from diagnose.models import DiagnosisOrder
from diagnose.services.accounts import tokens
from diagnose.services.diagnosis import assessments, evidence_snapshot
from diagnose.services.shopfloor import plant_records
from diagnose.settings import Settings
from reports import assemble, render_docx, render_pdf
from scoring.indicators.figures import figure_text
from tests import factories
from tests.reports.conftest import run
from tests.web.conftest import log_in_as
from web import create_app

NAMES = (
    "networking_rate",
    "coverage",
    "oee",
    "availability",
    "performance",
    "quality",
    "teep",
    "utilisation",
)
NAMES += ("energy_per_unit_kwh",)
FIGURE = re.compile(
    r'data-indicator="(\w+)" data-status="(\w+)"><span class="figure-value">(.*?)</span>', re.DOTALL
)


@dataclass
class Scene:
    order_id: int
    provider_id: int
    token: str
    expected: dict[str, tuple[str, str]]  # figure → (status, text) as the snapshot states it


def _scene(engine: Engine, hours: float) -> Scene:
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    with Session(engine, expire_on_commit=False) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        eid = enterprise.id or 0
        kinds = (("CNC", 42.0), ("注塑机", 28.0), ("空压机", None))
        for number, (kind, cycle) in enumerate(kinds, start=1):
            factories.device(
                session, eid, f"D0{number}", name=f"{kind} {number}号", kind=kind, ideal_cycle_s=cycle
            )
            plant_records.add_equipment(
                session=session,
                actor="t",
                enterprise_id=eid,
                raw={"code": f"SB-00{number}", "name": f"{kind} {number}号", "device_id": f"D0{number}"},
            )
        plant_records.add_equipment(
            session=session, actor="t", enterprise_id=eid, raw={"code": "SB-009", "name": "老式车床"}
        )
        for weekday in range(7):
            for kind, start, stop in (("shift", "06:00", "00:00"), ("break", "12:00", "13:00")):
                plant_records.add_calendar_rule(
                    session=session,
                    actor="t",
                    enterprise_id=eid,
                    raw={"kind": kind, "weekday": str(weekday), "start": start, "end": stop},
                )
        enterprise_history(
            session=session, enterprise_id=eid, start=end - timedelta(hours=hours), end=end, step_s=300
        )
        order, provider = factories.order_on_site(session, eid)
        for requirement, rating in (("NW-L2-01", "1"), ("DT-L2-01", "1"), ("EM-L2-02", "0.8")):
            assessments.save_answer(
                session=session, actor=provider, order=order, requirement_id=requirement, rating=rating
            )
        result = assessments.run_scoring(session=session, actor=provider, order=order, now=end)
        workflow.apply(session=session, order=order, action="submit", actor=provider)
        token = tokens.issue_token(session=session, user=provider, scope="read")
        snapshot = evidence_snapshot.of_result(session=session, result=result)
        session.commit()
        expected = {
            name: (snapshot.figures[name].status, figure_text(snapshot.figures[name])) for name in NAMES
        }
        return Scene(order.id or 0, provider.id or 0, token, expected)


def _page(client: FlaskClient, path: str) -> dict[str, tuple[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    found = {
        name: (status, html.unescape(text).strip())
        for name, status, text in FIGURE.findall(response.get_data(as_text=True))
    }
    assert set(found) == set(NAMES), path
    return found


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("hours", [0.2, 7 * 24], ids=["0.2h", "week"])
def test_five_places_print_one_snapshot(
    engine: Engine, db_settings: Settings, tmp_path, hours: float
) -> None:  # type: ignore[no-untyped-def]
    scene = _scene(engine, hours)
    app = create_app(db_settings, {"TESTING": True})
    client = app.test_client()
    log_in_as(app, client, scene.provider_id)
    places = {
        "questionnaire": _page(client, f"/provider/orders/{scene.order_id}/questionnaire"),
        "result page": _page(client, f"/orders/{scene.order_id}/result"),
    }
    answer = app.test_client().get(
        f"/api/v1/orders/{scene.order_id}/indicators", headers={"Authorization": f"Bearer {scene.token}"}
    )
    assert answer.status_code == 200 and answer.json["source"] == "scoring"  # type: ignore[index]
    places["API"] = {n: (f["status"], f["text"]) for n, f in answer.json["figures"].items() if n in NAMES}  # type: ignore[index]
    for place, figures in places.items():
        assert figures == scene.expected, place
    with Session(engine) as session:
        data = assemble(session=session, order=session.get(DiagnosisOrder, scene.order_id))  # type: ignore[arg-type]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(data, "zh"))
    documents = {
        "PDF": _flat(run("pdftotext", str(pdf), "-")),
        "Word": _flat(_docx_text(render_docx(data, "zh"))),
    }
    for place, text in documents.items():
        for name, (_, words) in scene.expected.items():
            assert _flat(words) in text, (place, name, words)
    statuses = {status for status, _ in scene.expected.values()}
    if hours < 1:
        # Every time figure is 数据不足 and none prints a number: not the coverage of 100.0 % the old report had.
        assert {scene.expected[n][0] for n in NAMES if n != "networking_rate"} == {"insufficient"}
        for place, text in documents.items():
            assert "数据采集覆盖率100.0%" not in text and "数据采集覆盖率：数据不足" in text, place
    else:
        assert statuses == {"ok"}
        for place, text in documents.items():
            oee = scene.expected["oee"][1]
            assert re.fullmatch(r"\d+\.\d%", oee) and _flat(f"设备综合效率（OEE）{oee}") in text, place
