"""GB/T 4754-2017 sections from industry class codes (what the subsidy engine's industry conditions test)."""

from __future__ import annotations

import pytest

from scoring.planning import industry_section


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("3484", "C"),
        ("1311", "C"),
        ("4399", "C"),
        ("0111", "A"),
        ("4411", "D"),
        ("6513", "I"),
        ("", ""),
        ("x1", ""),
        ("C34", "C"),  # a division prefixed by its section, as people write it
        ("c3484", "C"),
        ("C", "C"),
        ("D34", ""),  # division 34 is manufacturing, not utilities
        ("Z", ""),
    ],
)
def test_industry_section(code: str, section: str) -> None:
    assert industry_section(code) == section
