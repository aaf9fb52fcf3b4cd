"""What a refused input says to a person: the field named in words, the reason worded from its code.

Services, the workflow and the schemas refuse with `FieldError(field, reason, **params)` (diagnose.schemas:
a code of diagnose.schemas.reasons and its params); the API answers its English. Pages word the same code
from the Babel catalogue: Chinese by default, English under ?lang=en, limits in yuan, never a field's code
name or a file name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diagnose.schemas.devices import DEVICE_ID_BODY
from diagnose.schemas.errors import FieldError, FieldMessage
from diagnose.schemas.reasons import REASONS, template
from web.labels import STATUS_LABELS, label_of, yuan

FIELD_LABELS = {
    "fee_fen": _l("Fee"),
    "fee_yuan": _l("Fee"),
    "budget_fen": _l("Budget"),
    "budget_yuan": _l("Budget"),
    "batch_id": _l("Procurement batch"),
    "enterprise_id": _l("Enterprise"),
    "kind": _l("Type"),
    "due_date": _l("Due date"),
    "name": _l("Name"),
    "year": _l("Year"),
    "uscc": _l("Enterprise code (USCC)"),
    "region_code": _l("Region"),
    "industry_code": _l("Industry (GB/T 4754 class)"),
    "industry_type": _l("Industry type"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "title": _l("Job title"),
    "phone": _l("Phone"),
    "lead_id": _l("Project lead"),
    "member_ids": _l("Diagnosis team"),
    "password": _l("Password"),
    "current_password": _l("Current password"),
    "new_password": _l("New password"),
    "role": _l("Role"),
    "organisation_id": _l("Organisation"),
    "active": _l("Active"),
    "file": _l("File"),
    "requirement_id": _l("Requirement"),
    "rating": _l("Rating"),
    "evidence_note": _l("Evidence note"),
    "tailor_reason": _l("Reason for tailoring"),
    "status": _l("Status"),
    "provider_id": _l("Service provider"),
    "visit_date": _l("Visit date"),
    "reason": _l("Reason"),
    "result": _l("Scoring"),
    "confirmed_at": _l("Visit confirmation"),
    "actor": _l("Account"),
    "external_id": _l("Device ID"),
    "on_date": _l("Date"),
    "source": _l("Source"),
    "detail": _l("Details"),
    # Fields of the other forms. A field a schema refused is named by its schema's (Chinese) title on Chinese
    # pages (web.messages.describe), by these labels on English ones.
    "code": _l("Code"),
    "level": _l("Level"),
    "parent_code": _l("Parent region"),
    "change": _l("Change"),
    "decision": _l("Decision"),
    "note": _l("Note"),
    "subdomain": _l("Sub-domain"),
    "weekday": _l("Weekday"),
    "day": _l("Holiday date"),
    "start": _l("From"),
    "end": _l("To"),
    "label": _l("Label"),
    "lang": _l("Language"),
    "reference": _l("Report number"),
    "digest": _l("Content SHA-256"),
    "scope": _l("Scope"),
    "ttl_days": _l("Valid for (days)"),
    "production": _l("Production equipment"),
    "connected": _l("Connected"),
    "networked": _l("Networked"),
    "device_id": _l("Device"),
    "letter_id": _l("Message"),
    "rows_json": _l("Rows to store"),
    "new_password_again": _l("New password again"),
    "contact": _l("Contact"),
    "scale": _l("Enterprise size"),
    "comment": _l("Comment"),
    "bottleneck": _l("Bottleneck device"),
    "contradictions": _l("Self-rating against the measured data"),
    "new_rating": _l("New rating"),
}

ROLE_KINDS = {"bureau": _l("Bureau"), "provider": _l("Service provider"), "enterprise": _l("Enterprise")}


_status = label_of(STATUS_LABELS)  # an order status in words (已验收), for a reason that names it


def _shown(name: str, value: Any) -> str:
    """A reason's param as the reader reads it: an amount in yuan, a status or a role kind in words."""
    if name.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if name == "status":
        return str(_status(str(value)))
    if name == "kind" and value in ROLE_KINDS:
        return str(ROLE_KINDS[value])
    if name == "by" and isinstance(value, list | tuple):
        return "、".join(_identifier(str(v)) for v in value)
    if isinstance(value, list | tuple):
        return ("、" if _is_chinese() else ", ").join(str(v) for v in value)
    return str(value)


def word(reason: str, params: Mapping[str, Any] | None = None) -> str:
    """A refusal's reason code (diagnose.schemas.reasons) in the reader's language, its params filled."""
    return str(_(template(reason))) % {name: _shown(name, value) for name, value in (params or {}).items()}


def reason_text(refusal: Any) -> str:
    """What a refusal carrying `reason` and `params` (a FieldError, a ledger row's outcome) says; text that
    is no refusal (a reason a person typed) as it is."""
    reason = getattr(refusal, "reason", None)
    if isinstance(reason, str) and reason in REASONS:
        return word(reason, getattr(refusal, "params", None))
    return str(getattr(refusal, "message", refusal))


SEED_FILE = re.compile(r"\s*\b[\w-]+\.(?:txt|md|json|pdf)\b\s*")
DEFAULT_CAP = re.compile(r"^(?:项目默认值|project default|default)", re.IGNORECASE)
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{2,3}〔\d{4}〕\d+号")


def citation(source: str) -> str:
    """A rule's source as a reader cites it: the document number and clause, never a stored file name."""
    text = SEED_FILE.sub(" ", source or "").strip()
    text = re.sub(r"^\((.*?)\)\s*", r"\1 ", text).strip()
    if not text:
        return _("platform default")
    if DEFAULT_CAP.match(text):
        doc = DOC_NUMBER.search(text)
        return _("platform default, following %(doc)s", doc=doc[0]) if doc else _("platform default")
    return text


AUDIT_ENTITY_LABELS = {
    "order": _l("Order"),
    "enterprise": _l("Enterprise"),
    "provider": _l("Service provider"),
    "bureau": _l("Bureau"),
    "device": _l("Device"),
    "gateway": _l("Gateway account"),
    "batch": _l("Procurement batch"),
    "user": _l("User"),
    "region": _l("Region"),
    "answer": _l("Answer"),
    "attachment": _l("Evidence file"),
    "flag": _l("Anomaly flag"),
    "outcome": _l("Outcome"),
    "report": _l("Report"),
    "sme_index": _l("SME digital-level index"),
}
AUDIT_ACTION_LABELS = {
    "payload_profile.choose": _l("Payload profile chosen"),
    "payload_profile.remove": _l("Payload profile removed"),
    "answer.save": _l("Answer saved"),
    "attachment.add": _l("Evidence file attached"),
    "batch.create": _l("Batch created"),
    "bureau.create": _l("Bureau registered"),
    "device.confirm": _l("Device confirmed"),
    "device.reject": _l("Device rejected"),
    "device.credentials": _l("MQTT credentials issued"),
    "device.mqtt_credentials": _l("MQTT credentials issued"),
    "device.register": _l("Device registered"),
    "enterprise.create": _l("Enterprise registered"),
    "gateway.create": _l("Gateway account created"),
    "gateway.revoke": _l("Gateway account revoked"),
    "gateway.rotate": _l("Gateway password renewed"),
    "flag.detect": _l("Anomaly flagged"),
    "flag.review": _l("Anomaly reviewed"),
    "outcome.record": _l("Outcome recorded"),
    "pool.admit": _l("Admitted to the pool"),
    "pool.add": _l("Added to the year's pool"),
    "pool.suspend": _l("Suspended from the pool"),
    "pool.remove": _l("Removed from the pool"),
    "provider.create": _l("Provider registered"),
    "enterprise.sme_pilot": _l("SME pilot list changed"),
    "order.instruments": _l("Instruments chosen"),
    "assessment.tailor": _l("Requirements tailored"),
    "calendar.add": _l("Calendar rule added"),
    "calendar.delete": _l("Calendar rule removed"),
    "calendar.notice": _l("Holiday notice loaded"),
    "collector.forget": _l("Collector forgotten"),
    "contradiction.decide": _l("Contradiction decided"),
    "device.bottleneck": _l("Bottleneck device chosen"),
    "equipment.add": _l("Ledger line added"),
    "equipment.import": _l("Ledger imported"),
    "policy.import": _l("Policy imported"),
    "policy.publish": _l("Policy published"),
    "sme_index.upload": _l("SME index version loaded"),
    "sme_index.publish": _l("SME index version published"),
    "user.login_failed": _l("Login failed"),
    "user.logout": _l("Logged out"),
    "user.sessions_end": _l("Sessions ended"),
    "user.unlock": _l("Account unlocked"),
    "sme.answer": _l("SME answer saved"),
    "sme.score": _l("SME digital level rated"),
    "region.upsert": _l("Region saved"),
    "user.activate": _l("User reactivated"),
    "user.deactivate": _l("User deactivated"),
    "user.create": _l("User created"),
    "user.profile": _l("Name and contact changed"),
    "user.login": _l("Logged in"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.token": _l("API token issued"),
    "user.token_revoke": _l("API token revoked"),
}
AUDIT_DETAIL_LABELS = {
    "from": _l("From"),
    "to": _l("To"),
    "reason": _l("Reason"),
    "number": _l("Order number"),
    "fee_fen": _l("Fee"),
    "budget_fen": _l("Budget"),
    "kind": _l("Type"),
    "name": _l("Name"),
    "username": _l("Username"),
    "year": _l("Year"),
    "provider_id": _l("Service provider"),
    "visit_date": _l("Visit date"),
    "rating": _l("Rating"),
    "bureau_id": _l("Bureau"),
    "lead": _l("Project lead"),
    "members": _l("Diagnosis team"),
    "full_name": _l("Full name"),
    "title": _l("Job title"),
    "phone_changed": _l("Phone changed"),
    "role": _l("Role"),
    "profile": _l("Payload profile"),
    "previous": _l("Previous profile"),
    "pilot": _l("Pilot enterprise"),
}


def audit_action(action: str) -> str:
    """An audit-log action in words ('order.cancel' → 取消订单)."""
    if action in AUDIT_ACTION_LABELS:
        return str(AUDIT_ACTION_LABELS[action])
    if action.startswith("order."):
        from web.labels import ACTION_LABELS, translated

        msgid = ACTION_LABELS.get(action.removeprefix("order."))
        return action if msgid is None else translated(msgid)
    return action


DEAD_LETTER_REASONS = (
    (
        re.compile(r"^profile (\S+): record (\d+)(?: \(device [^)]*\))?: (.*)$", re.S),
        lambda m: _(
            "Payload profile %(profile)s, record %(n)s: %(why)s",
            profile=m[1],
            n=m[2],
            why=dead_letter_reason(m[3]),
        ),
    ),
    (
        re.compile(r"^profile (\S+): (?!record )(.*)$", re.S),
        lambda m: _("Payload profile %(profile)s: %(why)s", profile=m[1], why=dead_letter_reason(m[2])),
    ),
    (
        re.compile(r"^device id (.*?): 1-64 of", re.S),
        lambda m: _(
            "The device ID %(id)s is not valid: 1 to 64 letters, digits or _ . : -, no spaces.", id=m[1]
        ),
    ),
    (
        re.compile(r"^device id field '([^']*)': required"),
        lambda m: _("The field %(name)s naming the device is missing or not text.", name=m[1]),
    ),
    (
        re.compile(r"^unknown device (\S+): registered as pending"),
        lambda m: _(
            "Unknown device %(device)s: registered as pending; confirm it to store its data.", device=m[1]
        ),
    ),
    (
        re.compile(r"^device (\S+) is still unknown or pending"),
        lambda m: _("Device %(device)s is still unknown or pending confirmation.", device=m[1]),
    ),
    (re.compile(r"^unknown enterprise (\S+)"), lambda m: _("No enterprise with code %(code)s.", code=m[1])),
    (re.compile(r"^no parser for this topic"), lambda m: _("The topic is not one the platform reads.")),
    (
        re.compile(r"^parser error: (.*)$"),
        lambda m: _("The payload could not be read: %(error)s", error=m[1]),
    ),
    (re.compile(r"^only JSON plant/ topics"), lambda m: _("Sparkplug messages cannot be replayed here.")),
    (
        re.compile(r"^bad JSON: (\w+) is not a number"),
        lambda m: _("The field %(name)s is not a number.", name=m[1]),
    ),
    (re.compile(r"^bad JSON"), lambda m: _("The payload could not be read: it is not a JSON object.")),
    (
        re.compile(r"^payload too large: (\d+) bytes"),
        lambda m: _("The payload is too large (%(n)s bytes).", n=m[1]),
    ),
    (re.compile(r"^bad topic"), lambda m: _("The topic is not one the platform reads.")),
    (re.compile(r"^ts: "), lambda m: _("The time stamp is missing or not RFC 3339 with a time zone.")),
    (
        re.compile(
            r"^(\w+): (?:must be RFC 3339|not RFC 3339|RFC 3339|epoch_|.* is not epoch|.*out of range)"
        ),
        lambda m: _("The time field %(name)s is missing or not a time of 2000-2100.", name=m[1]),
    ),
    (
        re.compile(r"^state: must be one of"),
        lambda m: _("The state is not one of RUN, IDLE, DOWN, PLANNED_STOP, OFF."),
    ),
    (re.compile(r"^too many metrics"), lambda m: _("The payload has too many metrics.")),
    (
        re.compile(r"^could not be stored: (.*)$"),
        lambda m: _("The database refused the message: %(error)s", error=m[1]),
    ),
    (
        re.compile(r".*(U\+[0-9A-F]{4,6}) \([^)]*\) is not allowed in names"),
        lambda m: _("A name in the payload holds a character that cannot be stored (%(char)s).", char=m[1]),
    ),
    (
        re.compile(r"^payload kept cut"),
        lambda m: _("Only the start of this payload was kept: it cannot be replayed."),
    ),
    (
        re.compile(r"^(\w+): (required|must be .*)$"),
        lambda m: _("The field %(name)s is missing or invalid.", name=m[1]),
    ),
)


def dead_letter_reason(reason: str) -> str:
    """Why the collector could not use a message, in the user's language (the technical text otherwise)."""
    for pattern, render in DEAD_LETTER_REASONS:
        match = pattern.match(reason or "")
        if match:
            return str(render(match))
    return _("Technical reason: %(text)s", text=reason)


def filesize(size: int | None) -> str:
    """A file's size as people read it: 13 B, 4.2 KB, 1.5 MB."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def init_app(app: Flask) -> None:
    """Register the `citation` and audit-log template filters."""
    app.add_template_filter(citation, "citation")
    app.add_template_filter(reason_text, "reason")
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(dead_letter_reason, "dead_letter_reason")
    app.add_template_filter(audit_action, "audit_action_label")
    app.add_template_filter(lambda e: str(AUDIT_ENTITY_LABELS.get(e, e)), "audit_entity_label")
    app.add_template_filter(lambda k: str(AUDIT_DETAIL_LABELS.get(k, k)), "audit_detail_label")


def field_label(field: str) -> str:
    """A field's name in words (its code name only if it has none)."""
    return str(FIELD_LABELS.get(field, field))


def _identifier(name: str) -> str:
    """A ledger identifier named in an import's reason."""
    return {
        "asset number": _("asset number"),
        "serial number": _("serial number"),
        "platform device": _("platform device"),
    }.get(name, name)


# Patterns of the schemas, said in words: the whole sentence names the field.
FORMAT_HINTS = {
    f"^{DEVICE_ID_BODY}$": _l(
        "A device id is 1–64 letters, digits or _ . : -, not only dots (no spaces, control characters, / + #)."
    ),
}
PATTERN_REASONS = {
    "^[0-9]{6}$": _l("is a 6-digit GB/T 2260 code"),
    "^[0-9]{2}:[0-9]{2}$": _l("is not a time HH:MM"),
}


def _is_chinese() -> bool:
    return str(get_locale() or "zh").startswith("zh")


def describe(error: FieldMessage) -> str:
    """One field of a refused schema, for a person: '年度：须不小于 2000'.

    Chinese pages name the field by its schema's title; others by its label here."""
    pattern = str(error.params.get("pattern", "")) if error.reason == "pattern" else ""
    if pattern in FORMAT_HINTS:
        return str(FORMAT_HINTS[pattern])
    text = str(PATTERN_REASONS[pattern]) if pattern in PATTERN_REASONS else word(error.reason, error.params)
    title = error._title
    top = error.field.partition(".")[0]
    if _is_chinese():
        label = title or (field_label(top) if top else "")
    else:
        label = field_label(top) if top in FIELD_LABELS else (title or top)
    return _("%(field)s: %(reason)s", field=label, reason=text) if label else text


def reason_of(exc: Exception) -> str:
    """What a refused input says: every field at fault for a form (web.forms.FormError), else the field and
    reason of a service's FieldError."""
    from web.forms import FormError

    if isinstance(exc, FormError):
        return ("；" if _is_chinese() else "; ").join(e.message for e in exc.shown)
    if isinstance(exc, FieldError):
        return describe(exc.errors[0])
    return str(exc)


def not_saved(exc: Exception) -> str:
    """The flash for a refused form (a FormError, or a service's FieldError).

    A service's refusal naming one field is also shown by that field's input (`field_error`), as a schema's
    is: an amount in fen is typed in yuan (`fee_fen` → the input `fee_yuan`)."""
    from web.forms import FormError

    reason = reason_of(exc)
    if isinstance(exc, FieldError) and not isinstance(exc, FormError) and exc.field and has_request_context():
        field = exc.field.partition(".")[0]
        name = field.removesuffix("_fen") + "_yuan" if field.endswith("_fen") else field
        errors = g.setdefault("form_errors", {})
        errors.setdefault(name, reason)
    return _("Not saved: %(reason)s", reason=reason)
