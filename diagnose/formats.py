"""How a figure is written wherever people read it (pages, CSV and XLSX exports): one rule in one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percent_text(value: object) -> str:
    """A share (0.667, Decimal("0.667"), 1) as "66.7%" (one decimal, halves up), "—" for none."""
    if value is None:
        return "—"
    shown = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{shown}%"


def score_text(value: object) -> str:
    """A score (1.5521) to two decimals, halves up ("1.55"), "—" for none."""
    if value is None:
        return "—"
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
