"""Policies as maintained data: import the sample 2026 policy, diff, publish, supersede, and pay a line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from apps.cli import main
from diagnose.models import Role
from diagnose.services.accounts import orgs
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import policy_store
from diagnose.settings import Settings
from scoring.subsidy import evaluate, load_catalogue, parse_plan
from tests import factories

SAMPLES = Path(__file__).resolve().parents[1] / "policies"
SAMPLE = SAMPLES / "sample_wj_2026.json"
SOURCE_TEXT = (SAMPLES / "sample_wj_2026_source.txt").read_text(encoding="utf-8")
PLAN_2026 = {
    "date": "2027-03-01",
    "award_year": 2026,
    "enterprise": {"region": "320412", "industry": "C"},
    "investments": {"equipment_cny": 9000000, "it_cny": 1000000},
    "recognitions": ["cmmm_certification"],
}


def _sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def people(engine):  # type: ignore[no-untyped-def]
    session = Session(engine, expire_on_commit=False)
    factories.regions(session)
    wujin = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
    taicang = orgs.create_bureau(session=session, actor="t", name="太仓市工信局", region_code="320585")
    city = orgs.create_bureau(session=session, actor="t", name="常州市工信局", region_code="320400")
    users = {
        "admin": factories.user(session, "admin", Role.admin),
        "wujin": factories.user(session, "wj", Role.bureau, wujin.id),
        "taicang": factories.user(session, "tc", Role.bureau, taicang.id),
        "city": factories.user(session, "cz", Role.bureau, city.id),
    }
    session.commit()
    yield session, users
    session.close()


def test_sample_path_from_import_to_a_paid_line(people) -> None:  # type: ignore[no-untyped-def]
    session, users = people
    shipped = load_catalogue()
    before = evaluate(parse_plan(PLAN_2026, shipped), shipped)
    assert before.total_fen == 0  # in 2026 no shipped Wujin measures apply
    found = policy_store.import_draft(
        session=session, actor=users["wujin"], document=_sample(), source_text=SOURCE_TEXT
    )
    assert found.draft.status == "draft" and found.draft.sample and found.replaces == ""
    assert [(c.kind, c.item) for c in found.changes] == [
        ("added", "wj26s-1-retrofit"),
        ("added", "wj26s-2-cmmm"),
    ]
    assert policy_store.catalogue(session=session).version == shipped.version  # a draft is not in force
    policy_store.publish(session=session, actor=users["wujin"], version_id=found.draft.id or 0)
    catalogue = policy_store.catalogue(session=session)
    result = evaluate(parse_plan(PLAN_2026, catalogue), catalogue)
    line = result.line("wj26s-1-retrofit")
    # 6% × (9,000,000 + 1,000,000) = 600,000, exactly the 60万 cap; award year 2026 decides.
    assert (line.status, line.amount_fen, line.basis, line.decided_by) == (
        "paid",
        60_000_000,
        "sure",
        "award_year",
    )
    cmmm = result.line("wj26s-2-cmmm")
    assert (cmmm.status, cmmm.basis, cmmm.max_fen) == ("not_computable", "ceiling", 15_000_000)
    assert result.catalogue_version == catalogue.version != shipped.version
    assert policy_store.policy_versions_of(catalogue)["wj-2026-sample"] == "v1"


def test_a_quote_not_in_the_source_text_is_refused_naming_the_clause(people) -> None:  # type: ignore[no-untyped-def]
    session, users = people
    doc = _sample()
    doc["clauses"][0]["more_quotes"][1] = "单个企业奖励最高80万元"
    with pytest.raises(ValidationError) as caught:
        policy_store.import_draft(
            session=session, actor=users["admin"], document=doc, source_text=SOURCE_TEXT
        )
    assert "wj26s-1-retrofit" in caught.value.message and "单个企业奖励最高80万元" in caught.value.message
    assert policy_store.versions(session=session) == []


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: d["clauses"][0].update(target="no_such_target"), "unknown target"),
        (lambda d: d["clauses"][0]["amount"].update(kind="guess"), "unknown amount kind"),
        (lambda d: d.update(valid_to="2025-12-31"), "before valid_from"),
        (lambda d: d.update(applies_by="whenever"), "applies_by"),
        (lambda d: d.pop("clauses"), "missing keys"),
        (lambda d: d["clauses"][1].update(id="wj24-1-retrofit"), "duplicate clause id"),
    ],
)
def test_the_catalogue_schema_is_enforced(people, change, needle: str) -> None:  # type: ignore[no-untyped-def]
    session, users = people
    doc = _sample()
    change(doc)
    with pytest.raises(ValidationError) as caught:
        policy_store.import_draft(
            session=session, actor=users["admin"], document=doc, source_text=SOURCE_TEXT
        )
    assert needle in caught.value.message


def test_a_bureau_loads_only_for_its_regions(people) -> None:  # type: ignore[no-untyped-def]
    session, users = people
    with pytest.raises(ValidationError) as caught:
        policy_store.import_draft(
            session=session, actor=users["taicang"], document=_sample(), source_text=SOURCE_TEXT
        )
    assert "outside the bureau's jurisdiction 320585" in caught.value.message
    # The city bureau governs Wujin (320412 is under 320400).
    found = policy_store.import_draft(
        session=session, actor=users["city"], document=_sample(), source_text=SOURCE_TEXT
    )
    with pytest.raises(ValidationError):
        policy_store.get_version(session=session, version_id=found.draft.id or 0, actor=users["taicang"])


def test_a_new_version_supersedes_and_old_plans_rerun_on_their_catalogue(people) -> None:  # type: ignore[no-untyped-def]
    session, users = people
    first = policy_store.import_draft(
        session=session, actor=users["admin"], document=_sample(), source_text=SOURCE_TEXT
    )
    policy_store.publish(session=session, actor=users["admin"], version_id=first.draft.id or 0)
    old_catalogue = policy_store.catalogue(session=session)
    old = evaluate(parse_plan(PLAN_2026, old_catalogue), old_catalogue)
    recorded = policy_store.policy_versions_of(old_catalogue)
    doc = copy.deepcopy(_sample())
    doc["clauses"] = doc["clauses"][1:]  # version 2 withdraws the retrofit clause
    second = policy_store.import_draft(
        session=session, actor=users["admin"], document=doc, source_text=SOURCE_TEXT
    )
    assert second.replaces == "v1" and [(c.kind, c.item) for c in second.changes] == [
        ("removed", "wj26s-1-retrofit")
    ]
    policy_store.publish(session=session, actor=users["admin"], version_id=second.draft.id or 0)
    statuses = {
        (v.version, v.status) for v in policy_store.versions(session=session, policy_id="wj-2026-sample")
    }
    assert statuses == {(1, "superseded"), (2, "published")}
    now = policy_store.catalogue(session=session)
    assert "wj26s-1-retrofit" not in {c.id for c in now.clauses}
    rerun_catalogue = policy_store.catalogue_of(session=session, policy_versions=recorded)
    rerun = evaluate(parse_plan(PLAN_2026, rerun_catalogue), rerun_catalogue)
    assert rerun.to_dict() == old.to_dict() and rerun.catalogue_version == old.catalogue_version
    with pytest.raises(ValidationError):
        policy_store.publish(session=session, actor=users["admin"], version_id=first.draft.id or 0)


def test_cli_import_refuses_a_bad_quote_then_publishes_and_sizes(
    db_settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"], obj=db_settings).exit_code == 0
    from diagnose.db import make_engine

    with Session(make_engine(db_settings)) as session:
        factories.regions(session)
        factories.user(session, "admin", Role.admin)
        session.commit()
    bad = _sample()
    bad["clauses"][1]["quote"] = "对通过国家智能制造能力成熟度评估认证的企业给予最高20万元奖励"
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    (tmp_path / bad["source_file"]).write_text(SOURCE_TEXT, encoding="utf-8")
    refused = runner.invoke(
        main, ["policies", "import", str(tmp_path / "bad.json"), "--as", "admin"], obj=db_settings
    )
    assert refused.exit_code == 2
    assert "wj26s-2-cmmm" in refused.output and "not found verbatim" in refused.output
    done = runner.invoke(
        main, ["policies", "import", str(SAMPLE), "--as", "admin", "--publish"], obj=db_settings
    )
    assert done.exit_code == 0, done.output
    assert "added    wj26s-1-retrofit" in done.output and "published wj-2026-sample v1" in done.output
    (tmp_path / "plan.json").write_text(json.dumps(PLAN_2026), encoding="utf-8")
    sized = runner.invoke(main, ["subsidy", str(tmp_path / "plan.json"), "--in-force"], obj=db_settings)
    assert sized.exit_code == 0, sized.output
    payload = json.loads(sized.output)
    line = next(x for x in payload["lines"] if x["clause_id"] == "wj26s-1-retrofit")
    assert (line["status"], line["amount_cny"]) == ("paid", "600000.00")
    assert payload["total_cny"] == "600000.00" and payload["ceilings_cny"] == "150000.00"
    listed = json.loads(runner.invoke(main, ["policies", "list", "--json"], obj=db_settings).output)
    assert listed["in_force"]["wj-2026-sample"] == "v1" and listed["versions"][0]["sample"] is True
