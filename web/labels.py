"""Display labels for stored codes (states, roles, statuses), translated through the message catalogue."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from scoring.china_time import to_china
from web.extensions import request_translations

STATE_LABELS = {
    "RUN": _l("Running"),
    "IDLE": _l("Idle"),
    "DOWN": _l("Down"),
    "PLANNED_STOP": _l("Planned stop"),
    "OFF": _l("Off"),
    "UNKNOWN": _l("Unknown"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "bureau": _l("Bureau"),
    "provider": _l("Service provider"),
    "enterprise": _l("Enterprise"),
}
REGISTRY_LABELS = {"active": _l("Active"), "pending": _l("Pending confirmation"), "retired": _l("Retired")}
STATUS_LABELS = {
    "created": _l("Created"),
    "assigned": _l("Assigned"),
    "scheduled": _l("Visit scheduled"),
    "on_site": _l("On site"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "accepted": _l("Accepted"),
    "cancelled": _l("Cancelled"),
}
ACTION_LABELS = {
    "create": _l("Create order"),
    "assign": _l("Assign provider"),
    "schedule": _l("Schedule visit"),
    "start_visit": _l("Start on-site visit"),
    "submit": _l("Submit diagnosis"),
    "accept": _l("Accept"),
    "return": _l("Return"),
    "cancel": _l("Cancel order"),
    "confirm": _l("Confirm the visit took place"),
    "rate": _l("Rate the service"),
    "score": _l("Scoring run"),
}
KIND_LABELS = {"factory": _l("Factory"), "workshop": _l("Workshop")}
INDUSTRY_TYPE_LABELS = {"discrete": _l("Discrete manufacturing"), "process": _l("Process manufacturing")}
RATING_LABELS = {
    "1": _l("Fully met"),
    "0.8": _l("Mostly met"),
    "0.5": _l("Partly met"),
    "0": _l("Not met"),
    "n/a": _l("Not applicable (tailored)"),
}


def _label(table: dict[str, object]):  # type: ignore[no-untyped-def]
    def lookup(code: str | None) -> object:
        if code is None:
            return "—"
        label = table.get(code, code)
        if (
            isinstance(label, LazyString)
            and label._func is gettext
            and len(label._args) == 1
            and not label._kwargs
        ):
            return request_translations().ugettext(label._args[0])  # the request's catalogue, looked up once
        return label

    return lookup


def yuan(amount_fen: int | None) -> str:
    """Integer fen shown as yuan with thousands separators, exactly (no float)."""
    if amount_fen is None:
        return "—"
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{'-' if amount_fen < 0 else ''}¥{whole:,}.{fen:02d}"


def cn_time(iso: str) -> str:
    """An ISO timestamp shown in China time, to the minute."""
    return to_china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    """Register the label filters: {{ d.last_state|state_label }}."""
    app.add_template_filter(_label(STATE_LABELS), "state_label")
    app.add_template_filter(_label(ROLE_LABELS), "role_label")
    app.add_template_filter(_label(REGISTRY_LABELS), "registry_label")
    app.add_template_filter(_label(STATUS_LABELS), "status_label")
    app.add_template_filter(_label(ACTION_LABELS), "action_label")
    app.add_template_filter(_label(KIND_LABELS), "kind_label")
    app.add_template_filter(_label(INDUSTRY_TYPE_LABELS), "industry_type_label")
    app.add_template_filter(_label(RATING_LABELS), "rating_label")
    app.add_template_filter(_label(FLAG_KIND_LABELS), "flag_kind_label")
    app.add_template_filter(_label(FLAG_DECISION_LABELS), "flag_decision_label")
    app.add_template_filter(_label(OUTCOME_KIND_LABELS), "outcome_kind_label")
    app.add_template_filter(_label(TAILORING_REASON_LABELS), "tailoring_reason_label")
    app.add_template_filter(yuan, "yuan")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(cn_time, "cn_time")
    app.add_template_filter(lambda table: {k: str(v) for k, v in table.items()}, "labels_dict")
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["STATE_LABELS"] = STATE_LABELS
    app.jinja_env.globals["RATING_LABELS"] = RATING_LABELS


FLAG_KIND_LABELS = {
    "claim_contradicted": _l("Claim contradicted by telemetry"),
    "visit_without_telemetry": _l("On-site visit without telemetry"),
    "duplicate_answers": _l("Near-identical answers across enterprises"),
    "duplicate_report": _l("Near-identical report text across enterprises"),
    "short_delivery": _l("Implausibly short delivery"),
    "score_mismatch": _l("Score far from what the measurements predict"),
    "heavy_tailoring": _l("Many sub-domains tailored out of the self-assessment"),
}
TAILORING_REASON_LABELS = {  # the fixed list of scoring/maturity/data/tailoring.json
    "business_not_involved": _l("The enterprise's business does not involve it"),
    "fully_outsourced": _l("The activity is fully outsourced"),
    "done_by_group": _l("Carried out centrally by the group or parent company"),
}
FLAG_DECISION_LABELS = {
    "open": _l("open"),
    "decided": _l("decided"),
    "all": _l("all"),
    "confirmed": _l("Confirmed: not a real diagnosis"),
    "dismissed": _l("Dismissed: explained"),
}
OUTCOME_KIND_LABELS = {
    "retrofit": _l("Retrofit project"),
    "recognition": _l("Recognition"),
}


def percent(value: object) -> str:
    """A share (0.667 or Decimal("0.667")) as "66.7%", or "—" for none."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
