"""Display labels for stored codes (states, roles, statuses), translated through the message catalogue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from babel.support import NullTranslations
from flask import Flask
from jinja2.runtime import Context
from jinja2.utils import pass_context

from diagnose.formats import percent_text, score_text
from scoring.china_time import to_china
from scoring.indicators.figures import Figure, definition_text, figure_text, status_label
from web.extensions import CATALOGUE, request_translations


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
INSTRUMENT_LABELS = {  # what an order's visit rates (diagnosisorder.instruments)
    "cmmm": N_("Smart-manufacturing maturity (CMMM)"),
    "sme": N_("SME digital level"),
    "both": N_("Smart-manufacturing maturity (CMMM) and SME digital level"),
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
    "instruments": N_("Instruments chosen"),
    "accept_report": N_("Accept the report"),
    "dispute_report": N_("Dispute the report"),
}
KIND_LABELS = {"factory": N_("Factory"), "workshop": N_("Workshop")}
REGION_LEVEL_LABELS = {"province": N_("Province"), "city": N_("City"), "district": N_("District")}
LANGUAGE_LABELS = {
    "zh": N_("Chinese (language)"),
    "en": N_("English (language)"),
}  # a report's or a user's language
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


def _catalogue(context: Context) -> NullTranslations:
    """The catalogue the render translates with (bound once per render), else the request's."""
    found = context.get(CATALOGUE)
    return found if found is not None else request_translations()


def label_filter(table: dict[str, str]) -> Callable[[Context, str | None], str]:
    """`label_of` as a template filter: the catalogue taken from the render, not looked up per label."""

    @pass_context
    def lookup(context: Context, code: str | None) -> str:
        if code is None:
            return "—"
        msgid = table.get(code)
        return code if msgid is None else _catalogue(context).ugettext(msgid)  # type: ignore[no-any-return]

    return lookup


def init_app(app: Flask) -> None:
    """Register the label filters: {{ d.last_state|state_label }}."""
    for name, table in LABEL_FILTERS.items():
        app.add_template_filter(label_filter(table), name)
    app.add_template_filter(yuan, "yuan")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(score, "score")
    app.add_template_filter(lambda v: label_of(RATING_LABELS)(_rating_code(v)), "rating_words")
    app.add_template_filter(lambda e: audit_details(e.action, e.detail), "audit_details")
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
    app.add_template_filter(
        pass_context(lambda c, table: {k: _catalogue(c).ugettext(v) for k, v in table.items()}), "labels_dict"
    )
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["STATE_LABELS"] = STATE_LABELS
    app.jinja_env.globals["REGION_LEVEL_LABELS"] = REGION_LEVEL_LABELS


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


# An audit entry's details as a sentence (the action's own), else each detail as "label：value" with values in
# words; internal ids and digests are left out (the "About" column names what the entry is about).
AUDIT_SENTENCES = {
    "order.score": N_("Scored: maturity level %(level)s, score %(score)s"),
    "answer.save": N_("Requirement %(requirement_id)s rated “%(rating)s”"),
    "attachment.add": N_("Evidence file attached to requirement %(requirement_id)s"),
    "calendar.notice": N_(
        "National holidays of %(year)s added: %(holidays)s days off, %(dated)s shifts or breaks of makeup days"
    ),
    "equipment.import": N_("Ledger import: %(rows)s lines added, %(updated)s updated"),
    "sme_index.publish": N_("SME index %(version)s put in force (was %(from)s)"),
}
AUDIT_DETAIL_LABELS = {  # detail keys the web.messages table does not name
    "level": N_("Maturity level"),
    "score": N_("Score"),
    "lang": N_("Language"),
    "requirement_id": N_("Requirement"),
    "subdomain": N_("Sub-domain"),
    "version": N_("Version"),
    "report_number": N_("Report number"),
    "status": N_("Status"),
    "code": N_("Code"),
    "external_id": N_("Device id"),
    "uscc": N_("Unified social credit code"),
    "on_date": N_("Date"),
    "source": N_("Source"),
    "rows": N_("Lines"),
    "updated": N_("Updated"),
    "holidays": N_("Days off"),
    "dated": N_("Dated shifts and breaks"),
    "bottleneck": N_("Bottleneck"),
    "expires_at": N_("Expires"),
    "address": N_("Address"),
    "note": N_("Note"),
}
AUDIT_HIDDEN = frozenset({"id", "session_version", "sha256", "api_token_revoked"})


def audit_value(key: str, value: object) -> str:
    """One audit detail's value in words: money in yuan, statuses, ratings and levels as labels, scores to two
    decimals, yes/no, lists joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return translated(N_("yes") if value else N_("no"))
    if key.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if key in ("from", "to", "status"):  # an order's status, or its instruments (order.instruments)
        return label_of(STATUS_LABELS | INSTRUMENT_LABELS)(str(value))
    if key == "rating":
        return label_of(RATING_LABELS)(_rating_code(value))
    if key == "score":
        return score_text(value)
    if key == "level":
        return translated(N_("Level %(n)s")) % {"n": value}
    if key == "lang":
        return label_of(LANGUAGE_LABELS)(str(value))
    if key == "role":
        return label_of(ROLE_LABELS)(str(value))
    if key == "kind":
        table = CALENDAR_KIND_LABELS if value in CALENDAR_KIND_LABELS else KIND_LABELS
        return label_of(table)(str(value))
    if key == "reason":
        from web.messages import reason_text

        return reason_text(str(value))
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    return str(value)


def _rating_code(value: object) -> str:
    """A stored rating ('0.8', 0.8, 1.0, 'n/a') as the rating labels' key ('0.8', '1', 'n/a')."""
    try:
        number = float(value) if isinstance(value, int | float | Fraction | Decimal) else float(str(value))
    except ValueError:
        return str(value)
    return f"{number:g}"


SME_DECISION_LABELS = {  # an SME answer against the measured proposal (smeanswer.decision)
    "accepted": N_("measured proposal accepted"),
    "overridden": N_("measured proposal overridden"),
    "manual": N_("no measured proposal"),
}


def _sme_words(action: str, detail: dict[str, object]) -> str | None:
    """An SME answer or rating in the index's words (网络建设·企业网络建设连接情况：…；二级，69.25 分), or None
    for an entry that lacks what the sentence needs."""
    from diagnose.services.diagnosis.sme import answer_text_zh, name_zh
    from scoring.sme import load_index

    if action == "sme.answer" and "key" in detail and "decision" in detail:
        key = str(detail["key"])
        said = translated(N_("%(item)s: %(answer)s (%(decision)s)")) % {
            "item": name_zh(key),
            "answer": answer_text_zh(key, detail.get("value")),
            "decision": label_of(SME_DECISION_LABELS)(str(detail["decision"])),
        }
        reason = detail.get("reason")
        return f"{said}；{translated(N_('Reason'))}：{reason}" if reason else said
    if action == "sme.score" and isinstance(detail.get("level"), int) and "total" in detail:
        names = load_index().level_rule.names_zh()
        level = int(detail["level"])  # type: ignore[call-overload]
        return translated(N_("SME digital level: %(level)s, %(total)s points")) % {
            "level": names[level] if 0 <= level < len(names) else level,
            "total": detail["total"],
        }
    return None


def audit_details(action: str, detail: dict[str, object] | None) -> str:
    """An audit entry's details for people: 评分：成熟度 1 级，得分 1.55 — never result_id: 4; score: 1.5483."""
    from web.messages import AUDIT_DETAIL_LABELS as NAMED

    if action.startswith("sme.") and detail:
        try:
            words = _sme_words(action, detail)
        except (KeyError, TypeError, ValueError):
            words = None  # an answer the packaged index no longer knows: each detail on its own
        if words is not None:
            return words
    shown = {
        k: v
        for k, v in (detail or {}).items()
        if (k not in AUDIT_HIDDEN and not k.endswith("_id")) or k in ("requirement_id", "external_id")
    }
    sentence = AUDIT_SENTENCES.get(action)
    if sentence is not None:
        try:
            return translated(sentence) % {k: audit_value(k, v) for k, v in shown.items()}
        except (KeyError, TypeError, ValueError):
            pass  # an older entry without every detail the sentence names: each detail on its own
    parts = []
    for key, value in shown.items():
        name = AUDIT_DETAIL_LABELS.get(key)
        label = translated(name) if name else str(NAMED.get(key, key))
        parts.append(f"{label}：{audit_value(key, value)}")
    return "；".join(parts)


LABEL_FILTERS = {  # {{ code|state_label }}
    "state_label": STATE_LABELS,
    "role_label": ROLE_LABELS,
    "registry_label": REGISTRY_LABELS,
    "status_label": STATUS_LABELS,
    "instruments_label": INSTRUMENT_LABELS,
    "action_label": ACTION_LABELS,
    "kind_label": KIND_LABELS,
    "industry_type_label": INDUSTRY_TYPE_LABELS,
    "rating_label": RATING_LABELS,
    "flag_kind_label": FLAG_KIND_LABELS,
    "flag_decision_label": FLAG_DECISION_LABELS,
    "outcome_kind_label": OUTCOME_KIND_LABELS,
    "tailoring_reason_label": TAILORING_REASON_LABELS,
    "calendar_kind_label": CALENDAR_KIND_LABELS,
    "region_level_label": REGION_LEVEL_LABELS,
    "lang_label": LANGUAGE_LABELS,
}


def percent(value: object) -> str:
    """A share (0.667 or Decimal("0.667")) as "66.7%", or "—" for none (as the exports write it)."""
    return percent_text(value)


def score(value: object) -> str:
    """A score to two decimals: 得分 1.55, never 1.5521."""
    return score_text(value)
