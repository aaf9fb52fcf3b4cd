"""The evidence snapshot as canonical JSON (exact fractions as "n/d" text) and its SHA-256, and back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import Any

from scoring.indicators.figures import Figure
from scoring.indicators.model import Segment, Window
from scoring.indicators.snapshot import DeviceFigures, EvidenceSnapshot, LedgerLine


def _q(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _f(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def _window(window: Window | None) -> list[str] | None:
    return None if window is None else [window.start.isoformat(), window.end.isoformat()]


def _unwindow(raw: list[str] | None) -> Window | None:
    return None if raw is None else Window(datetime.fromisoformat(raw[0]), datetime.fromisoformat(raw[1]))


def _seconds(mapping: Mapping[str, Fraction]) -> dict[str, str]:
    return {k: str(v) for k, v in sorted(mapping.items())}


def figure_to_dict(figure: Figure) -> dict[str, Any]:
    """A figure as plain JSON."""
    return {
        "name": figure.name,
        "value": _q(figure.value),
        "status": figure.status,
        "population": list(figure.population),
        "have_s": str(figure.have_s),
        "need_s": str(figure.need_s),
        "basis": figure.basis,
        "reason": figure.reason,
        "flags": list(figure.flags),
    }


def figure_from_dict(raw: Mapping[str, Any]) -> Figure:
    """A figure back from its JSON form."""
    return Figure(
        name=raw["name"],
        value=_f(raw["value"]),
        status=raw["status"],
        population=tuple(raw["population"]),
        have_s=Fraction(raw["have_s"]),
        need_s=Fraction(raw["need_s"]),
        basis=raw["basis"],
        reason=raw.get("reason", ""),
        flags=tuple(raw.get("flags", ())),
    )


def _device(d: DeviceFigures) -> dict[str, Any]:
    return {
        "external_id": d.external_id,
        "name": d.name,
        "kind": d.kind,
        "bottleneck": d.bottleneck,
        "ideal_cycle_s": _q(d.ideal_cycle_s),
        "observed": _window(d.observed),
        "observed_s": str(d.observed_s),
        "known_s": str(d.known_s),
        "planned_s": str(d.planned_s),
        "unknown_planned_s": str(d.unknown_planned_s),
        "run_s": str(d.run_s),
        "by_state": _seconds(d.by_state),
        "downtime_by_state": _seconds(d.downtime_by_state),
        "downtime_by_reason": _seconds(d.downtime_by_reason),
        "total_count": d.total_count,
        "good_count": d.good_count,
        "performance_count": d.performance_count,
        "energy_kwh": str(d.energy_kwh),
        "metered": d.metered,
        "coverage_basis": d.coverage_basis,
        "received": d.received,
        "expected": d.expected,
        "flags": list(d.flags),
        "figures": {k: figure_to_dict(v) for k, v in sorted(d.figures.items())},
        "timeline": [[s.start.isoformat(), s.end.isoformat(), s.state] for s in d.timeline],
    }


def _undevice(raw: Mapping[str, Any]) -> DeviceFigures:
    def seconds(name: str) -> dict[str, Fraction]:
        return {k: Fraction(v) for k, v in raw[name].items()}

    return DeviceFigures(
        external_id=raw["external_id"],
        name=raw["name"],
        kind=raw["kind"],
        bottleneck=raw["bottleneck"],
        ideal_cycle_s=_f(raw["ideal_cycle_s"]),
        observed=_unwindow(raw["observed"]),
        observed_s=Fraction(raw["observed_s"]),
        known_s=Fraction(raw["known_s"]),
        planned_s=Fraction(raw["planned_s"]),
        unknown_planned_s=Fraction(raw["unknown_planned_s"]),
        run_s=Fraction(raw["run_s"]),
        by_state=seconds("by_state"),
        downtime_by_state=seconds("downtime_by_state"),
        downtime_by_reason=seconds("downtime_by_reason"),
        total_count=raw["total_count"],
        good_count=raw["good_count"],
        performance_count=raw["performance_count"],
        energy_kwh=Fraction(raw["energy_kwh"]),
        metered=raw["metered"],
        coverage_basis=raw["coverage_basis"],
        received=raw["received"],
        expected=raw["expected"],
        flags=tuple(raw["flags"]),
        figures={k: figure_from_dict(v) for k, v in raw["figures"].items()},
        timeline=tuple(
            Segment(datetime.fromisoformat(a), datetime.fromisoformat(b), s) for a, b, s in raw["timeline"]
        ),
    )


def to_dict(snapshot: EvidenceSnapshot) -> dict[str, Any]:
    """The snapshot as plain JSON (exact: every number of seconds and every ratio as fraction text)."""
    return {
        "version": snapshot.version,
        "rules_version": snapshot.rules_version,
        "window": _window(snapshot.window),
        "silence_timeout_s": str(snapshot.silence_timeout_s),
        "has_calendar": snapshot.has_calendar,
        "oee_basis": snapshot.oee_basis,
        "devices": [_device(d) for d in snapshot.devices],
        "figures": {k: figure_to_dict(v) for k, v in sorted(snapshot.figures.items())},
        "ledger": [
            # `digital` only when stated: a snapshot stored before the ledger said it reads the same.
            [line.code, line.name, line.production, line.connected, line.device_external_id]
            + ([line.digital] if line.digital is not None else [])
            for line in snapshot.ledger
        ],
        "daily": [[day, figure_to_dict(f)] for day, f in snapshot.daily],
    }


def from_dict(raw: Mapping[str, Any]) -> EvidenceSnapshot:
    """The snapshot back from its JSON form (what is stored with a scoring result)."""
    window = _unwindow(raw["window"])
    assert window is not None
    return EvidenceSnapshot(
        version=raw["version"],
        rules_version=raw["rules_version"],
        window=window,
        silence_timeout_s=Fraction(raw["silence_timeout_s"]),
        has_calendar=raw["has_calendar"],
        oee_basis=raw["oee_basis"],
        devices=tuple(_undevice(d) for d in raw["devices"]),
        figures={k: figure_from_dict(v) for k, v in raw["figures"].items()},
        ledger=tuple(LedgerLine(*line) for line in raw["ledger"]),
        daily=tuple((day, figure_from_dict(f)) for day, f in raw["daily"]),
    )


def canonical(snapshot: EvidenceSnapshot) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(to_dict(snapshot), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(snapshot: EvidenceSnapshot) -> str:
    """SHA-256 of the canonical JSON: the hash stored with the snapshot and the scoring result."""
    return hashlib.sha256(canonical(snapshot)).hexdigest()
