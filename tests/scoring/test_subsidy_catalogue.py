"""The policy catalogue: every clause cited verbatim from the seeds, complete, and internally consistent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from scoring.subsidy import Catalogue, Clause, load_catalogue
from scoring.subsidy.model import AMOUNT_KINDS, LEVEL_RANK

SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"
CATALOGUE = load_catalogue()

# Clause numbers carrying a money figure (or 一事一议 / "see the guide") in each seed, read by hand.
MONEY_CLAUSES = {
    "000_cf5f4b7ee4e36642.txt": {str(n) for n in range(1, 15)},
    "001_741d5d648757ba92.txt": {str(n) for n in range(1, 12)},
    "003_74b73599fef7a29c.txt": {
        str(n) for n in (*range(1, 7), 8, 9, 10, 11, 12, *range(14, 21), 22, 23, 25)
    },
}


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    """Seed texts by file name; skipped when the shared seeds folder is not next to the repository."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed folder {SEEDS} is absent (the seeds live outside the repository)")
    return {path.name: path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt")}


@pytest.mark.parametrize("clause", CATALOGUE.clauses, ids=lambda c: c.id)
def test_citation_quotes_are_verbatim_in_the_seed(clause: Clause, seed_texts: dict[str, str]) -> None:
    for quote in (clause.quote, *clause.more_quotes):
        assert 6 <= len(quote) <= 80
        assert quote in seed_texts[clause.source_file], f"{clause.id}: {quote!r}"


@pytest.mark.parametrize("clause", CATALOGUE.clauses, ids=lambda c: c.id)
def test_every_clause_is_complete(clause: Clause) -> None:
    assert clause.region in CATALOGUE.regions and clause.level in LEVEL_RANK
    assert clause.source_file.endswith(".txt") and clause.clause
    assert isinstance(clause.valid_from, dt.date)
    assert clause.target in CATALOGUE.targets
    assert clause.amount.kind in AMOUNT_KINDS
    if clause.amount.kind == "not_computable":
        assert clause.amount.reason
    elif clause.amount.kind in ("rate", "range", "per_unit"):
        assert clause.amount.base


@pytest.mark.parametrize("source_file", sorted(MONEY_CLAUSES))
def test_every_money_clause_of_the_policies_is_encoded(source_file: str) -> None:
    encoded = {c.clause for c in CATALOGUE.clauses if c.source_file == source_file}
    assert encoded == MONEY_CLAUSES[source_file]


@pytest.mark.parametrize(
    ("policy", "region", "level"),
    [
        ("cz-2021-62", "320400", "prefecture_city"),
        ("wj-2024", "320412", "district"),
        ("tc-2021-3", "320585", "county_city"),
    ],
)
def test_policy_jurisdictions(policy: str, region: str, level: str) -> None:
    found = next(p for p in CATALOGUE.policies if p.id == policy)
    assert (found.region, found.level) == (region, level)


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        ("320412", "320400", True),
        ("320585", "320500", True),
        ("320585", "320400", False),
        ("320400", "320412", False),
    ],
)
def test_region_hierarchy(code: str, ancestor: str, expected: bool) -> None:
    assert CATALOGUE.is_under(code, ancestor) is expected


def test_every_target_is_used_by_a_clause_or_condition(catalogue: Catalogue = CATALOGUE) -> None:
    used = {c.target for c in catalogue.clauses}
    for clause in catalogue.clauses:
        stack = list(clause.conditions)
        while stack:
            cond = stack.pop()
            used.update(cond.ids)
            stack.extend(cond.any_of)
    assert used == set(catalogue.targets)


@pytest.mark.parametrize(
    ("old", "new", "last_day"),
    [
        ("cz62-2-single-champion", "cz56-3-single-champion", dt.date(2021, 12, 31)),
        ("cz62-2-little-giant-provincial", "cz56-3-little-giant-provincial", dt.date(2021, 12, 31)),
        ("cz62-3-smart-workshop", "cz58-smart-workshop-provincial", dt.date(2021, 12, 31)),
    ],
)
def test_later_version_ends_the_earlier_one(old: str, new: str, last_day: dt.date) -> None:
    assert CATALOGUE.clause(old).valid_to == last_day
    assert CATALOGUE.clause(old).replaced_by == new
    assert CATALOGUE.clause(new).target == CATALOGUE.clause(old).target


def test_provider_clause_matches_the_seed_figures() -> None:
    clause = CATALOGUE.clause("cz62-7-provider")
    assert (clause.amount.kind, clause.amount.rate) == ("rate", Decimal("0.15"))
    assert [(cap.cny, cap.scope) for cap in clause.caps] == [(3000000, "per_enterprise_year")]
    thresholds = {c.field: (c.op, c.value) for c in clause.conditions if c.kind == "field"}
    assert thresholds == {
        "provider.local_contract_cny": (">=", 8000000),
        "provider.local_enterprises": (">=", 5),
    }
