"""The roadmap regression cases: seeded assessments × targets × scales × subsidy functions × catalogues.

`tests/cases/roadmap/golden.json` holds what the planner returned for each before its state evaluation was
made incremental (`python -m tests.scoring.roadmap_cases` writes it again; only do so for a deliberate change
of the planner's choices, and say why in the commit).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from scoring import planning
from scoring.maturity import Investments, load_model, plan_roadmap, synthetic
from scoring.maturity.roadmap import Action

GOLDEN = Path(__file__).resolve().parents[1] / "cases" / "roadmap" / "golden.json"
MODEL = load_model()

SUBSIDIES: dict[str, Callable[[Investments], int]] = {
    "none": lambda inv: 0,
    "ten_percent_it": lambda inv: inv.it_cny // 10,
    # The policy engine itself, in Wujin on a date when the city's and the district's policies are in force.
    "wujin_2024": planning.subsidy_function(region="320412", date="2024-06-01"),
}
CATALOGUES: dict[str, tuple[Action, ...]] = {
    "packaged": synthetic.widened_catalogue(30),
    "sixty": synthetic.widened_catalogue(60),
}


def cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """(case id, the planner's inputs) for every case."""
    for seed in range(6):
        for catalogue in CATALOGUES:
            for subsidy in SUBSIDIES:
                target = 2 + (seed + len(subsidy)) % 4
                scale = ("small", "medium", "large")[seed % 3]
                industry = "process" if seed % 2 else "discrete"
                yield (
                    f"s{seed}-{catalogue}-{subsidy}-L{target}-{scale}",
                    {
                        "assessment": synthetic.assessment(MODEL, seed, industry),
                        "target_level": target,
                        "scale": scale,
                        "subsidy_fn": SUBSIDIES[subsidy],
                        "actions": CATALOGUES[catalogue],
                    },
                )


def run(inputs: dict[str, Any]) -> dict[str, Any]:
    """The roadmap of one case, JSON-able."""
    return plan_roadmap(
        inputs["assessment"],
        MODEL,
        inputs["target_level"],
        inputs["scale"],
        inputs["subsidy_fn"],
        actions=inputs["actions"],
    ).to_dict()


if __name__ == "__main__":
    GOLDEN.write_text(
        json.dumps(
            {case: run(inputs) for case, inputs in cases()}, ensure_ascii=False, indent=1, sort_keys=True
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {GOLDEN}")
