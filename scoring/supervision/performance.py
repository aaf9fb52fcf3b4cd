"""Provider performance per period: delivery, timeliness, returns, ratings, outcomes, fees against caps and budgets."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from scoring.supervision.config import FeeCap
from scoring.supervision.records import BatchRecord, OrderRecord, OutcomeRecord

DELIVERED = ("submitted", "accepted")
_THOUSANDTH = Decimal("0.001")


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator/denominator to three decimals, None when there is nothing to divide by."""
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(_THOUSANDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OverCap:
    """An order whose fee exceeds the cap of its kind (003 clause (六) for Taicang)."""

    order_id: int
    kind: str
    fee_fen: int
    cap_fen: int
    source: str


@dataclass(frozen=True)
class ProviderPerformance:
    """One provider's figures over one period (orders assigned in the period)."""

    provider_id: int
    assigned: int
    delivered: int  # submitted or accepted
    completed: int  # accepted by the bureau
    on_time: int  # delivered on or before the due date
    returned: int  # orders sent back at least once
    return_reasons: tuple[tuple[str, int], ...]
    avg_delivery_days: Decimal | None
    ratings: int
    avg_rating: Decimal | None
    enterprises_diagnosed: int
    enterprises_with_outcome: int
    retrofits: int
    recognitions: int
    billed_fen: int  # fees of accepted orders
    committed_fen: int  # fees of every order not cancelled
    over_cap: tuple[OverCap, ...]

    @property
    def completion_rate(self) -> Decimal | None:
        """Accepted over assigned."""
        return ratio(self.completed, self.assigned)

    @property
    def on_time_rate(self) -> Decimal | None:
        """On time over delivered."""
        return ratio(self.on_time, self.delivered)

    @property
    def return_rate(self) -> Decimal | None:
        """Returned at least once over delivered."""
        return ratio(self.returned, self.delivered)

    @property
    def outcome_share(self) -> Decimal | None:
        """Share of diagnosed enterprises that went on to a retrofit or a recognition."""
        return ratio(self.enterprises_with_outcome, self.enterprises_diagnosed)


@dataclass(frozen=True)
class BatchUse:
    """A procurement batch's budget against what its orders committed and billed."""

    batch_id: int
    name: str
    budget_fen: int
    committed_fen: int
    billed_fen: int

    @property
    def remaining_fen(self) -> int:
        """Budget left after everything committed."""
        return self.budget_fen - self.committed_fen

    @property
    def over_budget(self) -> bool:
        """True when commitments exceed the budget."""
        return self.committed_fen > self.budget_fen


def in_period(orders: Sequence[OrderRecord], start: dt.date, end: dt.date) -> list[OrderRecord]:
    """Orders assigned within [start, end]."""
    return [o for o in orders if o.assigned_on is not None and start <= o.assigned_on <= end]


def _mean(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _one(
    provider_id: int,
    orders: Sequence[OrderRecord],
    outcomes: Sequence[OutcomeRecord],
    caps: Mapping[str, FeeCap],
) -> ProviderPerformance:
    delivered = [o for o in orders if o.status in DELIVERED and o.submitted_on is not None]
    on_time = [o for o in delivered if o.due_date is None or o.submitted_on <= o.due_date]  # type: ignore[operator]
    returned = [o for o in orders if o.return_reasons or o.status == "returned"]
    reasons = Counter(reason for o in orders for reason in o.return_reasons)
    days = [(o.submitted_on - o.assigned_on).days for o in delivered if o.assigned_on is not None]  # type: ignore[operator]
    rated = [o.rating for o in orders if o.rating is not None]
    first_delivery: dict[int, dt.date] = {}
    for o in delivered:
        assert o.submitted_on is not None
        first_delivery[o.enterprise_id] = min(
            first_delivery.get(o.enterprise_id, o.submitted_on), o.submitted_on
        )
    # An outcome counts when it follows the enterprise's first delivered diagnosis by this provider.
    followed = [
        x
        for x in outcomes
        if x.enterprise_id in first_delivery and x.on_date >= first_delivery[x.enterprise_id]
    ]
    over = tuple(
        OverCap(o.order_id, o.kind, o.fee_fen, caps[o.kind].cap_fen, caps[o.kind].source)
        for o in orders
        if o.kind in caps and o.fee_fen > caps[o.kind].cap_fen and o.status != "cancelled"
    )
    return ProviderPerformance(
        provider_id=provider_id,
        assigned=len(orders),
        delivered=len(delivered),
        completed=sum(1 for o in orders if o.status == "accepted"),
        on_time=len(on_time),
        returned=len(returned),
        return_reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        avg_delivery_days=_mean(days),
        ratings=len(rated),
        avg_rating=(Decimal(sum(rated)) / len(rated)).quantize(Decimal("0.01")) if rated else None,
        enterprises_diagnosed=len(first_delivery),
        enterprises_with_outcome=len({x.enterprise_id for x in followed}),
        retrofits=sum(1 for x in followed if x.kind == "retrofit"),
        recognitions=sum(1 for x in followed if x.kind == "recognition"),
        billed_fen=sum(o.fee_fen for o in orders if o.status == "accepted"),
        committed_fen=sum(o.fee_fen for o in orders if o.status != "cancelled"),
        over_cap=over,
    )


def league_table(
    orders: Sequence[OrderRecord],
    outcomes: Sequence[OutcomeRecord],
    caps: Mapping[str, FeeCap],
    start: dt.date,
    end: dt.date,
) -> list[ProviderPerformance]:
    """Every provider with orders assigned in the period, best first."""
    by_provider: dict[int, list[OrderRecord]] = defaultdict(list)
    for order in in_period(orders, start, end):
        by_provider[order.provider_id].append(order)
    rows = [_one(pid, group, outcomes, caps) for pid, group in by_provider.items()]
    # Ranking: accepted work first, then timeliness, then fewer returns, then the enterprises' ratings.
    return sorted(
        rows,
        key=lambda r: (
            -(r.completion_rate or 0),
            -(r.on_time_rate or 0),
            r.return_rate or 0,
            -(r.avg_rating or 0),
            r.provider_id,
        ),
    )


def batch_use(orders: Sequence[OrderRecord], batches: Sequence[BatchRecord]) -> list[BatchUse]:
    """Each batch's budget against its orders' committed and billed fees."""
    rows = []
    for batch in batches:
        mine = [o for o in orders if o.batch_id == batch.batch_id]
        rows.append(
            BatchUse(
                batch_id=batch.batch_id,
                name=batch.name,
                budget_fen=batch.budget_fen,
                committed_fen=sum(o.fee_fen for o in mine if o.status != "cancelled"),
                billed_fen=sum(o.fee_fen for o in mine if o.status == "accepted"),
            )
        )
    return rows
