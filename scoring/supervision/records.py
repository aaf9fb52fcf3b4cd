"""Plain records the audit works on: orders, outcomes, diagnoses with their measured evidence, flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OrderRecord:
    """One diagnosis order as the performance table needs it; money in integer fen."""

    order_id: int
    provider_id: int
    enterprise_id: int
    kind: str  # factory | workshop
    fee_fen: int
    status: str
    batch_id: int | None = None
    assigned_on: dt.date | None = None
    due_date: dt.date | None = None
    submitted_on: dt.date | None = None
    accepted_on: dt.date | None = None
    return_reasons: tuple[str, ...] = ()
    rating: int | None = None


@dataclass(frozen=True)
class OutcomeRecord:
    """Something an enterprise went on to do after a diagnosis: a retrofit or a recognition."""

    enterprise_id: int
    kind: str  # retrofit | recognition
    on_date: dt.date
    source: str


@dataclass(frozen=True)
class BatchRecord:
    """A procurement batch and its budget in fen."""

    batch_id: int
    name: str
    budget_fen: int


@dataclass(frozen=True)
class Evidence:
    """What the platform measured at an enterprise up to the diagnosis (all counts, rates in 0..1)."""

    production_devices: int = 0
    networked_devices_registered: int = 0
    devices_seen: int = 0  # production devices with at least one telemetry message, ever
    never_seen: tuple[str, ...] = ()  # external ids of networked devices never heard from
    telemetry_messages: int = 0  # up to submission
    visit_window_messages: int = 0  # within the visit window around the on-site visit
    # The figures of the evidence snapshot the diagnosis was scored with (issue #22), when they are ok;
    # None when the snapshot says 数据不足 or 无数据 (never read as 0 %).
    networking_rate: float | None = None
    coverage: float | None = None
    run_share: float | None = None  # the snapshot's utilisation: RUN over time of known state


@dataclass(frozen=True)
class DiagnosisRecord:
    """One submitted diagnosis with its claims (answers, report, score) and the measured evidence."""

    order_id: int
    provider_id: int
    enterprise_id: int
    kind: str
    assigned_on: dt.date
    submitted_on: dt.date
    visit_on: dt.date | None
    answers: tuple[tuple[str, str], ...]  # (requirement id, rating text "1"/"0.8"/"0.5"/"0"/"n/a")
    report_text: str
    score: float  # CMMM total score 0..5 as reported
    evidence: Evidence = field(default_factory=Evidence)
    scale: str = "medium"
    industry_type: str = "discrete"
    tailored: tuple[tuple[str, str], ...] = ()  # (sub-domain, reason code) tailored out before scoring

    @property
    def delivery_days(self) -> int:
        """Calendar days from assignment to submission."""
        return (self.submitted_on - self.assigned_on).days

    def rating(self, requirement_id: str) -> str | None:
        """The rating text given for a requirement, or None if unanswered."""
        return dict(self.answers).get(requirement_id)


@dataclass(frozen=True)
class Flag:
    """One anomaly on one order: its kind, a strength (bigger is worse) and the evidence to show."""

    order_id: int
    provider_id: int
    enterprise_id: int
    kind: str
    strength: float
    evidence: dict[str, Any]
    source: str
