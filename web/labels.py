"""Display labels for stored codes (states, roles, statuses), translated through the message catalogue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask

from scoring.china_time import to_china
from scoring.indicators.figures import Figure, definition_text, figure_text, status_label
from web.extensions import request_translations


def N_(msgid: str) -> str:  # the gettext_noop marker, extracted by scripts/i18n.py (-k N_)
    """Mark a msgid for the catalogue without translating it here: the tables hold msgids, and the filters
    translate them with the request's catalogue when a page shows them."""
    return msgid


STATE_LABELS = {
    "RUN": N_("Running"),
    "IDLE": N_("Idle"),
    "DOWN": N_("Down"),
    "PLANNED_STOP": N_("Planned stop"),
    "OFF": N_("Off"),
    "UNKNOWN": N_("No data"),  # unknown time is its own category, never downtime (无数据)
}
ROLE_LABELS = {
    "admin": N_("Administrator"),
    "bureau": N_("Bureau"),
    "provider": N_("Service provider"),
    "enterprise": N_("Enterprise"),
}
REGISTRY_LABELS = {"active": N_("Active"), "pending": N_("Pending confirmation"), "retired": N_("Retired")}
STATUS_LABELS = {
    "created": N_("Created"),
    "assigned": N_("Assigned"),
    "scheduled": N_("Visit scheduled"),
    "on_site": N_("On site"),
    "submitted": N_("Submitted"),
    "returned": N_("Returned"),
    "accepted": N_("Accepted"),
    "cancelled": N_("Cancelled"),
}
ACTION_LABELS = {
    "create": N_("Create order"),
    "assign": N_("Assign provider"),
    "schedule": N_("Schedule visit"),
    "start_visit": N_("Start on-site visit"),
    "submit": N_("Submit diagnosis"),
    "accept": N_("Accept"),
    "return": N_("Return"),
    "cancel": N_("Cancel order"),
    "confirm": N_("Confirm the visit took place"),
    "rate": N_("Rate the service"),
    "score": N_("Scoring run"),
    "staff": N_("Name the diagnosis team"),
}
KIND_LABELS = {"factory": N_("Factory"), "workshop": N_("Workshop")}
INDUSTRY_TYPE_LABELS = {"discrete": N_("Discrete manufacturing"), "process": N_("Process manufacturing")}
RATING_LABELS = {
    "1": N_("Fully met"),
    "0.8": N_("Mostly met"),
    "0.5": N_("Partly met"),
    "0": N_("Not met"),
    "n/a": N_("Not applicable (tailored)"),
}


def label_of(table: dict[str, str]) -> Callable[[str | None], str]:
    """A filter: a stored code in the request's language ('—' for none, the code itself if unknown)."""

    def lookup(code: str | None) -> str:
        if code is None:
            return "—"
        msgid = table.get(code)
        return code if msgid is None else translated(msgid)

    return lookup


def translated(msgid: str) -> str:
    """A label's msgid in the request's language (the catalogue looked up once per request)."""
    return request_translations().ugettext(msgid)  # type: ignore[no-any-return]


def yuan(amount_fen: int | None) -> str:
    """Integer fen shown as yuan with thousands separators, exactly (no float)."""
    if amount_fen is None:
        return "—"
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{'-' if amount_fen < 0 else ''}¥{whole:,}.{fen:02d}"


def cn_time(iso: str) -> str:
    """An ISO timestamp shown in China time, to the minute."""
    return to_china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")[:2]


def figure_words(figure: Figure) -> str:
    """A snapshot figure as the page says it: its number, or 数据不足 / 越界 / 无数据 with why."""
    return figure_text(figure, _lang())


def figure_status(figure: Figure) -> str:
    """A figure's status word (正常 / 数据不足 / 越界 / 无数据)."""
    return status_label(figure.status, _lang())


def figure_definition(figure: Figure, oee_basis: str = "pooled") -> str:
    """How a plant figure is defined, with the devices it pools."""
    return definition_text(figure.name, figure, oee_basis=oee_basis, lang=_lang())


def device_notes(device: object) -> str:
    """Why a device's cards show no number (each reason once): the table prints the status word only."""
    notes: list[str] = []
    for name in ("oee", "utilisation", "coverage"):
        figure = device.figures[name]  # type: ignore[attr-defined]
        text = figure_words(figure)
        if figure.status != "ok" and text not in notes:
            notes.append(text)
    return "；".join(notes)


def hours(seconds: object) -> str:
    """Seconds as hours to one decimal."""
    return f"{float(seconds) / 3600:.1f}"  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    """Register the label filters: {{ d.last_state|state_label }}."""
    for name, table in LABEL_FILTERS.items():
        app.add_template_filter(label_of(table), name)
    app.add_template_filter(yuan, "yuan")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(cn_time, "cn_time")
    app.add_template_filter(weekday_label, "weekday_label")
    for name, function in (
        ("figure_text", figure_words),
        ("figure_status", figure_status),
        ("figure_definition", figure_definition),
        ("hours", hours),
        ("device_notes", device_notes),
    ):
        app.add_template_filter(function, name)
    app.add_template_filter(lambda table: {k: translated(v) for k, v in table.items()}, "labels_dict")
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["STATE_LABELS"] = STATE_LABELS


FLAG_KIND_LABELS = {
    "claim_contradicted": N_("Claim contradicted by telemetry"),
    "visit_without_telemetry": N_("On-site visit without telemetry"),
    "duplicate_answers": N_("Near-identical answers across enterprises"),
    "duplicate_report": N_("Near-identical report text across enterprises"),
    "short_delivery": N_("Implausibly short delivery"),
    "score_mismatch": N_("Score far from what the measurements predict"),
    "heavy_tailoring": N_("Many sub-domains tailored out of the self-assessment"),
}
TAILORING_REASON_LABELS = {  # the fixed list of scoring/maturity/data/tailoring.json
    "business_not_involved": N_("The enterprise's business does not involve it"),
    "fully_outsourced": N_("The activity is fully outsourced"),
    "done_by_group": N_("Carried out centrally by the group or parent company"),
}
FLAG_DECISION_LABELS = {
    "open": N_("open"),
    "decided": N_("decided"),
    "all": N_("all"),
    "confirmed": N_("Confirmed: not a real diagnosis"),
    "dismissed": N_("Dismissed: explained"),
}
WEEKDAYS = (  # 0 = Monday, as the calendar stores them
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
CALENDAR_KIND_LABELS = {"shift": N_("Shift"), "break": N_("Planned break"), "holiday": N_("Day off")}


def weekday_label(number: int | None) -> str:
    """0 → 星期一 … 6 → 星期日 ('—' for none)."""
    return "—" if number is None or not 0 <= number <= 6 else translated(WEEKDAYS[number])


def calendar_rule_words(rule: object) -> str:
    """A calendar rule as the page names it: 班次 星期一 08:00–16:00（早班）, 休息日 2026-10-01."""
    kind = translated(CALENDAR_KIND_LABELS.get(rule.kind, rule.kind))  # type: ignore[attr-defined]
    day = rule.day  # type: ignore[attr-defined]
    when = f"{day.isoformat()} {weekday_label(day.weekday())}" if day else weekday_label(rule.weekday)  # type: ignore[attr-defined]
    times = f" {rule.start}–{rule.end}" if rule.start else ""  # type: ignore[attr-defined]
    label = f"（{rule.label}）" if rule.label else ""  # type: ignore[attr-defined]
    return f"{kind} {when}{times}{label}"


OUTCOME_KIND_LABELS = {
    "retrofit": N_("Retrofit project"),
    "recognition": N_("Recognition"),
}


LABEL_FILTERS = {  # {{ code|state_label }}
    "state_label": STATE_LABELS,
    "role_label": ROLE_LABELS,
    "registry_label": REGISTRY_LABELS,
    "status_label": STATUS_LABELS,
    "action_label": ACTION_LABELS,
    "kind_label": KIND_LABELS,
    "industry_type_label": INDUSTRY_TYPE_LABELS,
    "rating_label": RATING_LABELS,
    "flag_kind_label": FLAG_KIND_LABELS,
    "flag_decision_label": FLAG_DECISION_LABELS,
    "outcome_kind_label": OUTCOME_KIND_LABELS,
    "tailoring_reason_label": TAILORING_REASON_LABELS,
    "calendar_kind_label": CALENDAR_KIND_LABELS,
}


def percent(value: object) -> str:
    """A share (0.667 or Decimal("0.667")) as "66.7%", or "—" for none."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
