"""Pure import checks (scoring.subsidy.importing): quotes verbatim in the source, diff, merge, jurisdiction."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.subsidy import CatalogueError, load_catalogue
from scoring.subsidy.catalogue import reference_documents, shipped_documents
from scoring.subsidy.importing import check_jurisdiction, check_quotes, diff, merge, validate

SAMPLES = Path(__file__).resolve().parents[1] / "policies"
SAMPLE: dict[str, Any] = json.loads((SAMPLES / "sample_wj_2026.json").read_text(encoding="utf-8"))
SOURCE = (SAMPLES / "sample_wj_2026_source.txt").read_text(encoding="utf-8")


def test_the_sample_validates_and_is_marked_as_a_sample() -> None:
    catalogue = validate(SAMPLE, SOURCE, shipped_documents(), *reference_documents())
    assert {"wj26s-1-retrofit", "wj26s-2-cmmm"} <= {c.id for c in catalogue.clauses}
    assert SAMPLE["sample"] is True and "样例" in SAMPLE["title"] and "仅供 diagnose 测试使用" in SOURCE


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 1),
    st.integers(0, 30),
    st.text(alphabet="零壹贰叁肆伍陆柒捌玖拾佰仟", min_size=1, max_size=3),
)
def test_a_quote_not_in_the_source_is_refused_naming_its_clause(index: int, at: int, junk: str) -> None:
    doc = copy.deepcopy(SAMPLE)
    clause = doc["clauses"][index]
    quote = clause["quote"]
    at = min(at, len(quote))
    clause["quote"] = quote[:at] + junk + quote[at:]
    with pytest.raises(CatalogueError) as caught:
        check_quotes(doc, SOURCE)
    assert clause["id"] in str(caught.value) and "not found verbatim" in str(caught.value)


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, 1)))
def test_diff_lists_exactly_what_changes(removed: set[int]) -> None:
    assert diff(SAMPLE, SAMPLE) == []
    assert [c.kind for c in diff(None, SAMPLE)] == ["added", "added"]
    new = copy.deepcopy(SAMPLE)
    new["clauses"] = [c for i, c in enumerate(new["clauses"]) if i not in removed]
    gone = {SAMPLE["clauses"][i]["id"] for i in removed}
    assert {(c.kind, c.item) for c in diff(SAMPLE, new)} == {("removed", cid) for cid in gone}


def test_a_changed_amount_is_a_changed_clause_and_merge_replaces_by_policy_id() -> None:
    new = copy.deepcopy(SAMPLE)
    new["clauses"][0]["caps"] = [{"cny": "700000", "scope": "per_enterprise"}]
    changes = diff(SAMPLE, new)
    assert [(c.kind, c.item, c.fields) for c in changes] == [("changed", "wj26s-1-retrofit", ("caps",))]
    merged = merge(shipped_documents(), [SAMPLE, new])
    assert [d for d in merged if d["policy"] == "wj-2026-sample"] == [new]


@pytest.mark.parametrize(
    ("bureau", "ok"), [(None, True), ("320400", True), ("320412", True), ("320585", False)]
)
def test_jurisdiction(bureau: str | None, ok: bool) -> None:
    if ok:
        check_jurisdiction(SAMPLE, load_catalogue(), bureau)
    else:
        with pytest.raises(CatalogueError, match="outside the bureau's jurisdiction"):
            check_jurisdiction(SAMPLE, load_catalogue(), bureau)


def test_an_imported_policy_is_cited_with_its_issuer_from_its_data() -> None:
    from diagnose.wording.subsidy_zh import citation_zh

    catalogue = validate(SAMPLE, SOURCE, shipped_documents(), *reference_documents())
    assert citation_zh(catalogue.clause("wj26s-2-cmmm")).startswith(
        "常州市武进区工业和信息化局（样例）《SAMPLE"
    )
    # The shipped documents carry theirs too, each quoted from the document's head.
    assert citation_zh(load_catalogue().clause("cz62-3-smart-factory")).startswith(
        "常州市工业和信息化局、常州市财政局 常工信综合〔2021〕62号"
    )


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        (None, "missing keys ['issuer']"),
        ("  ", "issuer (发文机关)"),
        ("常州市财政局", "issuer: quote not found"),
        (320412, "issuer (发文机关)"),  # a number where the office's name belongs
    ],
)
def test_a_policy_without_its_issuer_or_with_one_not_in_the_source_is_refused(
    issuer: str | int | None, message: str
) -> None:
    doc = copy.deepcopy(SAMPLE)
    doc.pop("issuer_quote")
    if issuer is None:
        doc.pop("issuer")
    else:
        doc["issuer"] = issuer
    with pytest.raises(CatalogueError, match=re.escape(message)):
        validate(doc, SOURCE, shipped_documents(), *reference_documents())
