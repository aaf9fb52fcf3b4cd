"""Heavy tailoring raises a flag for the bureau: three or more sub-domains tailored out (rules.json), two do not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scoring.supervision import load_rules
from scoring.supervision.rules import HEAVY_TAILORING, heavy_tailoring
from scoring.supervision.synthetic import generate_clean

TAILORED = (("logistics", "fully_outsourced"), ("sales", "done_by_group"), ("procurement", "done_by_group"))


@pytest.mark.parametrize(("count", "flagged"), [(0, False), (2, False), (3, True)])
def test_threshold(count: int, flagged: bool) -> None:
    record = replace(generate_clean(1, seed=5)[0], tailored=TAILORED[:count])
    flags = heavy_tailoring(record, load_rules())
    assert bool(flags) is flagged
    if flagged:
        assert flags[0].kind == HEAVY_TAILORING and flags[0].evidence["count"] == 3
        assert "tailoring" in flags[0].source and load_rules().heavy_tailoring_min_subdomains == 3
