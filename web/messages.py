"""What a refused input says to a person: the field named in words, the reason translated, limits in yuan.

Services and the workflow raise `FieldError(field, message)` (diagnose.schemas.errors) with English,
machine-oriented text (the API returns it as is). Pages show these instead: Chinese by default, English under
?lang=en, never a field's code name or a file name.
"""

from __future__ import annotations

import re

from flask import Flask, g, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diagnose.schemas.accounts import PHONE_FORMAT
from diagnose.schemas.devices import DEVICE_ID_BODY
from diagnose.services.accounts.orgs import ValidationError
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


# Exact English reasons from the services and the workflow, and their translations.
_status = label_of(STATUS_LABELS)  # an order status in words (已验收), for a reason that names it


REASONS = {
    "required": _l("is required"),
    "not an amount": _l("is not an amount (for example 150000 or 150,000.50)"),
    "at most two decimals": _l("may have at most two decimals"),
    "must be positive": _l("must be more than ¥0.00"),
    "unknown batch": _l("choose one of your batches"),
    "unknown enterprise": _l("choose an enterprise of your regions"),
    "must be factory or workshop": _l("choose factory or workshop"),
    "the batch budget would be exceeded": _l("exceeds what remains of the batch budget"),
    "must be at least 8 characters": _l("must be at least 8 characters"),
    "unknown requirement": _l("is not a requirement of this questionnaire"),
    "choose a file": _l("choose a file"),
    "attachments can only be added while the questionnaire is open": _l(
        "can only be attached while the questionnaire is open"
    ),
    "is wrong": _l("is wrong"),
    "must differ from the current one": _l("must differ from the current one"),
    "you cannot deactivate your own account": _l("you cannot deactivate your own account"),
    "must be 0 or 1": _l("is not a valid choice"),
    "must be 'discrete' or 'process'": _l("choose discrete or process manufacturing"),
    "unknown region": _l("choose a region from the list"),
    "choose a provider": _l("choose a provider"),
    "the provider is not in this bureau's pool": _l("choose a provider of your pool"),
    "give the visit date": _l("give the visit date"),
    "name the project lead before scheduling the visit": _l(
        "name the project lead in the order's diagnosis team before scheduling the visit"
    ),
    "choose the project lead from the provider's active users": _l(
        "choose the project lead from your organisation's active users"
    ),
    "choose the team from the provider's active users": _l(
        "choose the team from your organisation's active users"
    ),
    "only an administrator or the user may change this": _l(
        "only an administrator or the user may change this"
    ),
    PHONE_FORMAT: _l(
        "is not a phone number (a mobile such as 138 1234 5678, or a landline with its area code such as "
        "0512-5301 2345)"
    ),
    "give the reason for returning": _l("give the reason"),
    "give the reason": _l("give the reason"),
    "run the scoring before submitting": _l("run the scoring before submitting"),
    "the enterprise has not confirmed the visit yet": _l("the enterprise has not confirmed the visit yet"),
    "the visit is already confirmed": _l("the visit is already confirmed"),
    "no report has been issued yet": _l("no report has been issued yet"),
    "the report is already accepted": _l("the report is already accepted"),
    "the report is already disputed": _l("the report is already disputed"),
    "give the reason for the dispute": _l("give the reason for the dispute"),
    "the rating is 1 to 5": _l("choose 1 to 5 stars"),
    "must be one of 1, 0.8, 0.5, 0, n/a": _l("choose one of the listed ratings"),
    "only a bureau buys diagnoses": _l("only a bureau can do this"),
    "only a bureau creates orders": _l("only a bureau can do this"),
    "not a valid date": _l("is not a valid date"),
    "not a valid choice": _l("is not a valid choice"),
    "choose an enterprise": _l("choose an enterprise"),
    "must be a date (YYYY-MM-DD)": _l("is not a valid date"),
    "must not be in the future": _l("may not be in the future"),
    "the two new passwords differ": _l("differs from the new password"),
    "nothing to store; check the file again": _l("nothing to store: check the file again"),
    "choose a .csv or .xlsx file": _l("choose a .csv or .xlsx file"),
    "not a time HH:MM": _l("is not a time HH:MM"),
    "give the report number and hash as printed, or upload the file": _l(
        "Give the report number and hash as printed, or upload the file."
    ),
    "give the reason for the decision": _l("give the reason"),
    "choose at least one device": _l("choose at least one device"),
    "choose pending devices of this plant": _l("choose devices of this plant that wait for confirmation"),
    "only an administrator or a bureau may load policies": _l(
        "only an administrator or a bureau can do this"
    ),
    "the user's bureau is missing": _l("your account belongs to no bureau"),
    "no such policy version": _l("this policy version does not exist"),
    "must be read or write": _l("choose read or write"),
    "an asset number of 1-64 characters is required": _l("give an asset number of 1 to 64 characters"),
    "a name of 1-128 characters is required": _l("give a name of 1 to 128 characters"),
    "the file is empty": _l("the file is empty"),
    "the file is too large": _l("the file is too large"),
    "must be UTF-8 text": _l("must be UTF-8 text"),
    "upload a .csv or .xlsx file": _l("choose a .csv or .xlsx file"),
    "the CSV file is neither UTF-8 nor GB18030 text": _l("the CSV file is neither UTF-8 nor GB18030 text"),
    "say where it is published (1-255 characters), e.g. a notice or document number": _l(
        "say where it is published (1 to 255 characters), for example a notice or document number"
    ),
    "choose to change the rating or keep it": _l("choose to change the rating or keep it"),
    "this requirement has no contradiction in the newest scoring": _l(
        "this requirement has no contradiction in the newest scoring"
    ),
    "write why the self-rating is kept despite the measured data": _l(
        "write why the self-rating is kept despite the measured data"
    ),
    "choose the new rating": _l("choose the new rating"),
    "choose one option": _l("choose one option"),
    "choose the grade": _l("choose the grade"),
    "write why the measured proposal is overridden": _l("write why the measured proposal is overridden"),
    "this order does not rate the SME digital level": _l("this order does not rate the SME digital level"),
    "choose 智能制造能力成熟度 or both instruments": _l("choose CMMM alone or both instruments"),
    "rate the SME digital level before submitting": _l("rate the SME digital level before submitting"),
    "the new rating is the self-rating: keep it with a reason instead": _l(
        "the new rating is the self-rating: keep it with a reason instead"
    ),
    "tailoring is recorded before scoring; this order is already scored": _l(
        "tailoring is recorded before the scoring; this diagnosis is already scored"
    ),
    "no such index version": _l("this version of the index does not exist"),
    "choose cmmm, sme or both": _l("choose one of the listed options"),
}
PATTERNS = (
    (
        re.compile(r"^unknown item or scenario '?([^']*)'?$"),
        lambda m: _("%(key)s is not an item or scenario of the index", key=m[1]),
    ),
    (
        re.compile(r"^unanswered: (.+)$"),
        lambda m: _("still unanswered: %(items)s", items=m[1]),
    ),
    (
        re.compile(r"^the instruments cannot change while the order is (\S+)$"),
        lambda m: _("the instruments cannot change in this status"),
    ),
    (
        re.compile(
            r"^decide the (\d+) self-rating\(s\) the measured data contradict before submitting: (.+)$"
        ),
        lambda m: _(
            "decide the %(n)s self-rating(s) the measured data contradict before submitting (%(ids)s): see the "
            "report page",
            n=m[1],
            ids=m[2],
        ),
    ),
    (re.compile(r"^(\S+) may not load the SME index$"), lambda m: _("only a bureau can do this")),
    (
        re.compile(r"^(\S+) may not change the pilot list$"),
        lambda m: _("you may not change the pilot list"),
    ),
    (
        re.compile(r"^(\S+) may not decide on order (\S+)$"),
        lambda m: _("you may not do this with order %(number)s", number=m[2]),
    ),
    (
        re.compile(r"^contradictions cannot be decided while the order is (\w+)$"),
        lambda m: _("not possible in the order's status"),
    ),
    (re.compile(r"^at most (\d+) characters$"), lambda m: _("may have at most %(n)s characters", n=m[1])),
    (re.compile(r"^(\S+) is taken$"), lambda m: _("%(name)s is already taken", name=m[1])),
    (re.compile(r"^unknown region (\S+)$"), lambda m: _("choose a region from the list")),
    (re.compile(r"^a (\w+) user needs an organisation$"), lambda m: _("choose the user's organisation")),
    (re.compile(r"^allowed: (.+)$"), lambda m: _("allowed file types: %(types)s", types=m[1])),
    (re.compile(r"^cannot (\w+) an order that is (\w+)$"), lambda m: _("not possible in the order's status")),
    (
        re.compile(r"^the team cannot be changed while the order is (\w+)$"),
        lambda m: _(
            "the diagnosis team cannot be changed in the order's status (%(status)s)", status=_status(m[1])
        ),
    ),
    (re.compile(r"^must be one of (.+)$"), lambda m: _("choose one of the listed options")),
    (
        re.compile(r"^must be a (bureau|provider|enterprise) for this role$"),
        lambda m: _("must be of the kind the role needs (%(kind)s)", kind=ROLE_KINDS[m[1]]),
    ),
    (re.compile(r"^cannot score an order that is (\w+)$"), lambda m: _("not possible in the order's status")),
    (
        re.compile(r"^the questionnaire cannot be edited while the order is (\w+)$"),
        lambda m: _(
            "the questionnaire cannot be edited in the order's status (%(status)s)", status=_status(m[1])
        ),
    ),
    (re.compile(r"^unknown action (\S+)$"), lambda m: _("this action does not exist")),
    (
        re.compile(r"^(\S+) may not (\w+) order (\S+)$"),
        lambda m: _("you may not do this with order %(number)s", number=m[3]),
    ),
    (
        re.compile(r"^the index does not pass its checks: (.+)$", re.S),
        lambda m: _("the index does not pass its checks: %(why)s", why=m[1]),
    ),
    (
        re.compile(r"^version (.+) is already known: give the corrected index a new version$"),
        lambda m: _(
            "version %(version)s is already known (shipped or loaded): give the corrected index a new version",
            version=m[1],
        ),
    ),
    (
        re.compile(r"^the version has at most (\d+) characters$"),
        lambda m: _("the index's version may have at most %(n)s characters", n=m[1]),
    ),
    (
        re.compile(r"^version (\S+) is (\w+), not a draft$"),
        lambda m: _("version %(version)s is already published", version=m[1]),
    ),
    (
        re.compile(r"^version (\d+) of (\S+) is (\w+), not a draft$"),
        lambda m: _("version %(version)s of %(policy)s is no longer a draft", version=m[1], policy=m[2]),
    ),
    (
        re.compile(r"^(\S+) (.+) is not stored$"),
        lambda m: _("%(policy)s %(label)s is not stored", policy=m[1], label=m[2]),
    ),
    (
        re.compile(r"^(\S+) is not a shipped policy$"),
        lambda m: _("%(policy)s is not a policy the platform ships", policy=m[1]),
    ),
    (re.compile(r"^must be 1 to (\d+) days$"), lambda m: _("must be 1 to %(n)s days", n=m[1])),
    (
        re.compile(r"^asset number (.+) is already in the ledger$"),
        lambda m: _("asset number %(code)s is already in the ledger", code=m[1]),
    ),
    (
        re.compile(r"^asset number (.+) is a duplicate$"),
        lambda m: _("asset number %(code)s appears twice", code=m[1]),
    ),
    (re.compile(r"^at most (\S+) rows per import$"), lambda m: _("at most %(n)s rows per import", n=m[1])),
    (
        re.compile(r"^the file is larger than (\S+) MiB$"),
        lambda m: _("the file is larger than %(n)s MB, the most an import takes", n=m[1]),
    ),
    (
        re.compile(r"^the workbook unpacks to more than (\S+) MiB$"),
        lambda m: _("the workbook unpacks to more than %(n)s MB, the most an import takes", n=m[1]),
    ),
    (
        re.compile(r"^row (\S+): more than (\S+) columns$"),
        lambda m: _("row %(row)s has more than %(n)s columns", row=m[1], n=m[2]),
    ),
    (
        re.compile(r"^row (\S+): a cell longer than (\S+) characters$"),
        lambda m: _("row %(row)s has a cell longer than %(n)s characters", row=m[1], n=m[2]),
    ),
    (
        re.compile(r"^line (\S+): longer than (\S+) characters"),
        lambda m: _("line %(row)s is longer than %(n)s characters", row=m[1], n=m[2]),
    ),
    (
        re.compile(r"^more than (\S+) rows, blank ones included$"),
        lambda m: _("the file has more than %(n)s rows, blank ones included", n=m[1]),
    ),
    (
        re.compile(r"^row (\S+): not readable as CSV"),
        lambda m: _("row %(row)s cannot be read as CSV", row=m[1]),
    ),
    (
        re.compile(r"^a shared text longer than (\S+) characters$"),
        lambda m: _("the workbook has a text longer than %(n)s characters", n=m[1]),
    ),
    (
        re.compile(r"^more than (\S+) shared texts$"),
        lambda m: _("the workbook has more than %(n)s texts", n=m[1]),
    ),
    (re.compile(r"^not valid JSON \(nested too deep\)$"), lambda m: _("is not valid JSON (nested too deep)")),
    (re.compile(r"^new ledger line$"), lambda m: _("a new ledger line")),
    (
        re.compile(r"^no holiday notice of (\S+) is available$"),
        lambda m: _("no national holiday notice of %(year)s is available", year=m[1]),
    ),
    (
        re.compile(r"^names two ledger lines \((.+)\)$"),
        lambda m: _("names two different ledger lines (%(lines)s): check the row", lines=m[1]),
    ),
    (
        re.compile(r"^the same equipment as '(.+)' \((.+?)\)(?:; its asset number becomes '(.+)')?$"),
        lambda m: (
            _(
                "the same equipment as %(line)s in the ledger (same %(by)s): that line is updated, none is added",
                line=m[1],
                by="、".join(_identifier(part) for part in m[2].split(", ")),
            )
            + (_("; its asset number becomes %(code)s", code=m[3]) if m[3] else "")
        ),
    ),
    (
        re.compile(r"^the same equipment as row (\d+)$"),
        lambda m: _("the same equipment as row %(row)s", row=m[1]),
    ),
    (
        re.compile(r"^already in the ledger as '?(.+?)'?$"),
        lambda m: _("this equipment is already in the ledger as %(code)s", code=m[1]),
    ),
    (
        re.compile(r"^a serial number has at most (\d+) characters$"),
        lambda m: _("a serial number has at most %(n)s characters", n=m[1]),
    ),
    (
        re.compile(r"^no registered device (.+) in this plant$"),
        lambda m: _("no registered device %(device)s in this plant", device=m[1]),
    ),
    (re.compile(r"^not a readable XLSX workbook"), lambda m: _("the file is not a readable XLSX workbook")),
    (
        re.compile(r"^not valid JSON \((.+) at line (\d+)\)$"),
        lambda m: _("is not valid JSON (line %(line)s)", line=m[2]),
    ),
    (
        re.compile(r"^device (\S+) is already registered$"),
        lambda m: _("device %(device)s is already registered", device=m[1]),
    ),
    (
        re.compile(r"^device (\S+) appears twice$"),
        lambda m: _("device %(device)s appears twice", device=m[1]),
    ),
    (
        re.compile(r"^a provider with code (\S+) is already registered$"),
        lambda m: _("a provider with code %(code)s is already registered", code=m[1]),
    ),
    (
        re.compile(r"^an enterprise with code (\S+) is already registered$"),
        lambda m: _("an enterprise with code %(code)s is already registered", code=m[1]),
    ),
    (
        re.compile(r"^USCC check character is '(.)', expected '(.)'$"),
        lambda m: _(
            "the check character (18th) should be %(expected)s, not %(typed)s", expected=m[2], typed=m[1]
        ),
    ),
    (
        re.compile(r"^USCC contains characters outside GB 32100's set"),
        lambda m: _("may only have digits and capital letters other than I, O, Z, S, V (GB 32100)"),
    ),
    (
        re.compile(r"^USCC positions 3-8 must be the 6-digit division code"),
        lambda m: _("characters 3 to 8 must be the 6-digit region code"),
    ),
    (re.compile(r"^USCC must be 18 characters"), lambda m: _("must be 18 characters")),
    (
        re.compile(r"^not a GB/T 4754-2017 industry code"),
        lambda m: _("is not a GB/T 4754-2017 industry code (for example C, C34 or 3484)"),
    ),
    (
        re.compile(r"^division (\d+) is not in GB/T 4754-2017$"),
        lambda m: _("division %(division)s is not in GB/T 4754-2017", division=m[1]),
    ),
    (
        re.compile(r"^division (\d+) belongs to section (\w), not (\w)$"),
        lambda m: _(
            "division %(division)s belongs to section %(section)s, not %(typed)s",
            division=m[1],
            section=m[2],
            typed=m[3],
        ),
    ),
)


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


def reason_text(message: str) -> str:
    """A service's English reason, in the user's language, with limits in yuan."""
    limit = re.match(r"^must be above 0 and at most ([\d.]+) yuan$", message)
    if limit:
        return _("must be more than ¥0.00 and at most %(limit)s", limit=yuan(_fen(limit[1])))
    remaining = re.match(r"^the batch budget would be exceeded: ([\d.-]+) yuan remain$", message)
    if remaining:
        return _(
            "exceeds what remains of the batch budget (%(remaining)s)", remaining=yuan(_fen(remaining[1]))
        )
    if message in REASONS:
        return str(REASONS[message])
    for pattern, render in PATTERNS:
        match = pattern.match(message)
        if match:
            return str(render(match))
    return message


def _fen(yuan_text: str) -> int:
    whole, _sep, part = yuan_text.partition(".")
    return int(whole) * 100 + int((part + "00")[:2]) if whole.lstrip("-").isdigit() else 0


PYDANTIC = (
    (re.compile(r"^Field required"), lambda m: _("is required")),
    (re.compile(r"^String should have at least 1 character"), lambda m: _("is required")),
    (
        re.compile(r"^String should have at least (\d+) characters"),
        lambda m: _("must have at least %(n)s characters", n=m[1]),
    ),
    (
        re.compile(r"^String should have at most (\d+)"),
        lambda m: _("may have at most %(n)s characters", n=m[1]),
    ),
    (re.compile(r"^String should match pattern"), lambda m: _("is not in the expected format")),
    (re.compile(r"^List should have at least 1 item"), lambda m: _("choose at least one")),
    (re.compile(r"^List should have at most (\d+) items"), lambda m: _("at most %(n)s at once", n=m[1])),
    (re.compile(r"^Input should be a valid (integer|number|decimal)"), lambda m: _("is not a number")),
    (
        re.compile(r"^(Input should be a finite number|Decimal input should be)"),
        lambda m: _("is not a number"),
    ),
    (
        re.compile(r"^(Input should be a valid date|Datetimes provided to dates)"),
        lambda m: _("is not a valid date"),
    ),
    (
        re.compile(r"^Input should be greater than or equal to (\S+)$"),
        lambda m: _("must be at least %(n)s", n=m[1]),
    ),
    (re.compile(r"^Input should be greater than (\S+)$"), lambda m: _("must be more than %(n)s", n=m[1])),
    (
        re.compile(r"^Input should be less than or equal to (\S+)$"),
        lambda m: _("may be at most %(n)s", n=m[1]),
    ),
    (re.compile(r"^Input should be less than (\S+)$"), lambda m: _("must be less than %(n)s", n=m[1])),
    (re.compile(r"^Input should be (greater|less) than"), lambda m: _("is out of range")),
    (re.compile(r"^Input should be "), lambda m: _("is not a valid choice")),
    (re.compile(r"^Invalid JSON"), lambda m: _("could not be read")),
    (
        re.compile(r"^(?:Value error, )?at most ([\d,]+)\.(\d\d) 元$"),
        lambda m: _("may be at most %(limit)s", limit=f"¥{m[1]}.{m[2]}"),
    ),
    (re.compile(r"^(?:Value error, )?must not be negative"), lambda m: _("may not be negative")),
    (re.compile(r"^(?:Value error, )?at most two decimals"), lambda m: _("may have at most two decimals")),
    (re.compile(r"^unknown field"), lambda m: _("is not a field of this form")),
)
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


def _pydantic_reason(reason: str) -> str | None:
    """A pydantic reason (or one of the schemas' own validators), translated; None if not one."""
    for pattern, render in PYDANTIC:
        match = pattern.match(reason)
        if match:
            return str(render(match))
    return None


def _schema_reason(message: str) -> str | None:
    """A pydantic reason from diagnose.schemas ('采购批次：Input should be …'), translated; None if not one."""
    title, sep, reason = message.partition("：")
    if not sep:
        return None
    found = _pydantic_reason(reason)
    return None if found is None else _("%(field)s: %(reason)s", field=title, reason=found)


def _is_chinese() -> bool:
    return str(get_locale() or "zh").startswith("zh")


def describe(field: str, message: str) -> str:
    """One field of a refused schema, for a person: '年度：须不小于 2000'.

    `field` and `message` are as the API reports them (diagnose.schemas.field_errors: the message prefixed by
    the field's Chinese title). Chinese pages name the field by that title; others by its label here.
    """
    title, sep, reason = message.partition("：")
    if not sep:
        title, reason = "", message
    pattern = re.match(r"^String should match pattern '(.*)'$", reason)
    if pattern and pattern[1] in FORMAT_HINTS:
        return str(FORMAT_HINTS[pattern[1]])
    if pattern and pattern[1] in PATTERN_REASONS:
        text = str(PATTERN_REASONS[pattern[1]])
    else:
        text = _pydantic_reason(reason) or reason_text(reason)
    top = field.partition(".")[0]
    if _is_chinese():
        label = title or (field_label(top) if top else "")
    else:
        label = field_label(top) if top in FIELD_LABELS else (title or top)
    return _("%(field)s: %(reason)s", field=label, reason=text) if label else text


def explain(field: str, message: str) -> str:
    """'费用：须大于 ¥0.00，且不超过 ¥200,000.00' — the field in words and the translated reason."""
    schema = _schema_reason(message)
    if schema is not None:
        return schema
    if not field:
        return reason_text(message)
    return _("%(field)s: %(reason)s", field=field_label(field), reason=reason_text(message))


def reason_of(exc: Exception) -> str:
    """What a refused input says: every field at fault for a form (web.forms.FormError), else the field and
    reason of a service's ValidationError, or a ValueError reading 'field: reason'."""
    from web.forms import FormError

    if isinstance(exc, FormError):
        return ("；" if _is_chinese() else "; ").join(e.message for e in exc.shown)
    if isinstance(exc, ValidationError):
        return explain(exc.field, exc.message)
    field, _sep, message = str(exc).partition(": ")
    if not message:
        field, message = "", field
    return explain(field if field in FIELD_LABELS else "", message)


def not_saved(exc: Exception) -> str:
    """The flash for a refused form (a FormError, a ValidationError, or a ValueError reading 'field: reason').

    A service's refusal naming one field is also shown by that field's input (`field_error`), as a schema's
    is: an amount in fen is typed in yuan (`fee_fen` → the input `fee_yuan`)."""
    from web.forms import FormError

    reason = reason_of(exc)
    if (
        isinstance(exc, ValidationError)
        and not isinstance(exc, FormError)
        and exc.field
        and has_request_context()
    ):
        field = exc.field.partition(".")[0]
        name = field.removesuffix("_fen") + "_yuan" if field.endswith("_fen") else field
        errors = g.setdefault("form_errors", {})
        errors.setdefault(name, reason)
    return _("Not saved: %(reason)s", reason=reason)
