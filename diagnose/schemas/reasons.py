"""Every reason a refusal can give: a code, and its English template (the API's `message`).

A service, the workflow or a schema refuses input with `FieldError(field, reason, **params)`: `reason` is a
code of REASONS and `params` fill its template. The pages word the same code in the reader's language from
the Babel catalogue (web/translations, Chinese reviewed there: `web.messages.word`); the API answers the
English with the code and the params. The templates are marked with N_ for extraction, nothing more: this
module stays pure (no Flask, no Babel). An amount is a `*_fen` param, worded in yuan.
"""

from __future__ import annotations

from typing import Any


def N_(text: str) -> str:
    """Mark a template for the catalogue (pybabel extracts N_); the text itself is returned."""
    return text


REASONS: dict[str, str] = {
    # Any field
    "invalid": N_("is not valid"),
    "required": N_("is required"),
    "not_a_choice": N_("is not a valid choice"),
    "choose_listed": N_("choose one of the listed options"),
    "not_a_number": N_("is not a number"),
    "not_a_date": N_("is not a valid date"),
    "not_a_time": N_("is not a time HH:MM"),
    "not_in_future": N_("may not be in the future"),
    "min_chars": N_("must have at least %(min_length)s characters"),
    "max_chars": N_("may have at most %(max_length)s characters"),
    "pattern": N_("is not in the expected format"),
    "choose_at_least_one": N_("choose at least one"),
    "too_many": N_("at most %(max_length)s at once"),
    "at_least": N_("must be at least %(ge)s"),
    "more_than": N_("must be more than %(gt)s"),
    "at_most": N_("may be at most %(le)s"),
    "below": N_("must be less than %(lt)s"),
    "unreadable": N_("could not be read"),
    "unknown_field": N_("is not a field of this form"),
    "not_an_object": N_("the body must be a JSON object"),
    "reason_required": N_("give the reason"),
    "choose_file": N_("choose a file"),
    "no_such_action": N_("this action does not exist"),
    "detail": N_(
        "%(detail)s"
    ),  # a domain check's own sentence (policy catalogue, index, plan), as it words it
    # Amounts
    "not_an_amount": N_("is not an amount (for example 150000 or 150,000.50)"),
    "two_decimals": N_("may have at most two decimals"),
    "not_negative": N_("may not be negative"),
    "amount_at_most": N_("may be at most %(max_fen)s"),
    "positive": N_("must be more than ¥0.00"),
    "fee_cap": N_("must be more than ¥0.00 and at most %(max_fen)s"),
    "budget_exceeded": N_("exceeds what remains of the batch budget (%(remaining_fen)s)"),
    # Who may do this
    "bureau_only": N_("only a bureau can do this"),
    "admin_or_bureau_only": N_("only an administrator or a bureau can do this"),
    "admin_or_self_only": N_("only an administrator or the user may change this"),
    "not_on_order": N_("you may not do this with order %(number)s"),
    "pilot_list_forbidden": N_("you may not change the pilot list"),
    "no_bureau": N_("your account belongs to no bureau"),
    # Orders and their workflow
    "unknown_batch": N_("choose one of your batches"),
    "unknown_enterprise": N_("choose an enterprise of your regions"),
    "choose_enterprise": N_("choose an enterprise"),
    "factory_or_workshop": N_("choose factory or workshop"),
    "order_status": N_("not possible in the order's status"),
    "team_status": N_("the diagnosis team cannot be changed in the order's status (%(status)s)"),
    "questionnaire_status": N_("the questionnaire cannot be edited in the order's status (%(status)s)"),
    "instruments_status": N_("the instruments cannot change in this status"),
    "choose_provider": N_("choose a provider"),
    "provider_not_in_pool": N_("choose a provider of your pool"),
    "visit_date_required": N_("give the visit date"),
    "lead_required": N_("name the project lead in the order's diagnosis team before scheduling the visit"),
    "lead_not_active": N_("choose the project lead from your organisation's active users"),
    "team_not_active": N_("choose the team from your organisation's active users"),
    "score_first": N_("run the scoring before submitting"),
    "contradictions_open": N_(
        "decide the %(n)s self-rating(s) the measured data contradict before submitting (%(ids)s): see the "
        "report page"
    ),
    "sme_rating_first": N_("rate the SME digital level before submitting"),
    "visit_unconfirmed": N_("the enterprise has not confirmed the visit yet"),
    "visit_confirmed": N_("the visit is already confirmed"),
    "stars": N_("choose 1 to 5 stars"),
    "no_report": N_("no report has been issued yet"),
    "report_accepted": N_("the report is already accepted"),
    "report_disputed": N_("the report is already disputed"),
    "dispute_reason": N_("give the reason for the dispute"),
    "not_reportable": N_("only a submitted or accepted, scored diagnosis can be reported"),
    # The questionnaire, tailoring and contradictions
    "unknown_requirement": N_("is not a requirement of this questionnaire"),
    "rating_choice": N_("choose one of the listed ratings"),
    "attach_while_open": N_("can only be attached while the questionnaire is open"),
    "file_types": N_("allowed file types: %(types)s"),
    "already_scored": N_("tailoring is recorded before the scoring; this diagnosis is already scored"),
    "change_or_keep": N_("choose to change the rating or keep it"),
    "no_contradiction": N_("this requirement has no contradiction in the newest scoring"),
    "keep_reason": N_("write why the self-rating is kept despite the measured data"),
    "new_rating_required": N_("choose the new rating"),
    "new_rating_is_self": N_("the new rating is the self-rating: keep it with a reason instead"),
    # The SME digital level and its index
    "instruments_choice": N_("choose CMMM alone or both instruments"),
    "not_sme": N_("this order does not rate the SME digital level"),
    "unknown_item": N_("%(key)s is not an item or scenario of the index"),
    "override_reason": N_("write why the measured proposal is overridden"),
    "unanswered": N_("still unanswered: %(items)s"),
    "choose_option": N_("choose one option"),
    "choose_grade": N_("choose the grade"),
    "no_index_version": N_("this version of the index does not exist"),
    "index_checks": N_("the index does not pass its checks: %(detail)s"),
    "index_version_long": N_("the index's version may have at most %(max_length)s characters"),
    "index_version_known": N_(
        "version %(version)s is already known (shipped or loaded): give the corrected index a new version"
    ),
    "index_published": N_("version %(version)s is already published"),
    # Policies
    "no_policy_version": N_("this policy version does not exist"),
    "policy_not_draft": N_("version %(version)s of %(policy)s is no longer a draft"),
    "policy_not_stored": N_("%(policy)s %(label)s is not stored"),
    "policy_not_shipped": N_("%(policy)s is not a policy the platform ships"),
    "publication_required": N_(
        "say where it is published (1 to 255 characters), for example a notice or document number"
    ),
    # Accounts and organisations
    "password_short": N_("must be at least 8 characters"),
    "password_rejected": N_("%(detail)s"),
    "password_wrong": N_("is wrong"),
    "password_same": N_("must differ from the current one"),
    "passwords_differ": N_("differs from the new password"),
    "deactivate_self": N_("you cannot deactivate your own account"),
    "industry_type": N_("choose discrete or process manufacturing"),
    "unknown_region": N_("choose a region from the list"),
    "phone": N_(
        "is not a phone number (a mobile such as 138 1234 5678, or a landline with its area code such as "
        "0512-5301 2345)"
    ),
    "email": N_("is not an e-mail address (such as name@example.cn)"),
    "username_taken": N_("%(name)s is already taken"),
    "organisation_required": N_("choose the user's organisation"),
    "organisation_kind": N_("must be of the kind the role needs (%(kind)s)"),
    "enterprise_registered": N_("an enterprise with code %(uscc)s is already registered"),
    "provider_registered": N_("a provider with code %(uscc)s is already registered"),
    "uscc_length": N_("must be 18 characters"),
    "uscc_characters": N_("may only have digits and capital letters other than I, O, Z, S, V (GB 32100)"),
    "uscc_division": N_("characters 3 to 8 must be the 6-digit region code"),
    "uscc_check": N_("the check character (18th) should be %(expected)s, not %(typed)s"),
    "industry_code": N_("is not a GB/T 4754-2017 industry code (for example C, C34 or 3484)"),
    "industry_division": N_("division %(division)s is not in GB/T 4754-2017"),
    "industry_section": N_("division %(division)s belongs to section %(section)s, not %(typed)s"),
    "token_scope": N_("choose read or write"),
    "token_days": N_("must be 1 to %(max_days)s days"),
    # Files and imports
    "file_empty": N_("the file is empty"),
    "file_too_large": N_("the file is too large"),
    "file_larger_than": N_("the file is larger than %(mib)s MB, the most an import takes"),
    "workbook_larger_than": N_("the workbook unpacks to more than %(mib)s MB, the most an import takes"),
    "utf8": N_("must be UTF-8 text"),
    "csv_encoding": N_("the CSV file is neither UTF-8 nor GB18030 text"),
    "csv_or_xlsx": N_("choose a .csv or .xlsx file"),
    "json_line": N_("is not valid JSON (line %(line)s)"),
    "json_deep": N_("is not valid JSON (nested too deep)"),
    "rows_max": N_("at most %(n)s rows per import"),
    "rows_with_blank_max": N_("the file has more than %(n)s rows, blank ones included"),
    "columns_max": N_("row %(row)s has more than %(n)s columns"),
    "cell_long": N_("row %(row)s has a cell longer than %(n)s characters"),
    "line_long": N_("line %(row)s is longer than %(n)s characters"),
    "csv_row": N_("row %(row)s cannot be read as CSV"),
    "shared_text_long": N_("the workbook has a text longer than %(n)s characters"),
    "shared_texts_max": N_("the workbook has more than %(n)s texts"),
    "xlsx_unreadable": N_("the file is not a readable XLSX workbook"),
    "header_row": N_("the first row must name the columns, at least code/设备编号 and name/设备名称"),
    "nothing_to_store": N_("nothing to store: check the file again"),
    "report_or_file": N_("Give the report number and hash as printed, or upload the file."),
    # The plant: ledger, devices, calendar, supervision
    "asset_number": N_("give an asset number of 1 to 64 characters"),
    "equipment_name": N_("give a name of 1 to 128 characters"),
    "serial_long": N_("a serial number has at most %(n)s characters"),
    "yes_no": N_("%(value)s is not yes or no (是/否, 1/0, true/false)"),
    "no_plant_device": N_("no registered device %(device)s in this plant"),
    "asset_in_ledger": N_("asset number %(asset)s is already in the ledger"),
    "equipment_in_ledger": N_("this equipment is already in the ledger as %(asset)s"),
    "new_line": N_("a new ledger line"),  # an import row's outcome, not a refusal
    "same_equipment": N_(
        "the same equipment as %(line)s in the ledger (same %(by)s): that line is updated, none is added"
    ),
    "same_equipment_renamed": N_(
        "the same equipment as %(line)s in the ledger (same %(by)s): that line is updated, none is added; its "
        "asset number becomes %(asset)s"
    ),
    "two_lines": N_("names two different ledger lines (%(lines)s): check the row"),
    "same_as_row": N_("the same equipment as row %(row)s"),
    "device_registered": N_("device %(device)s is already registered"),
    "device_twice": N_("device %(device)s appears twice"),
    "choose_device": N_("choose at least one device"),
    "pending_devices": N_("choose devices of this plant that wait for confirmation"),
    "calendar_overlap": N_("overlaps the existing %(rule)s"),
    "no_holiday_notice": N_("no national holiday notice of %(year)s is available"),
    "end_before_start": N_("must be after start"),
    "window_days": N_("the window may span at most %(days)s days"),
    "to_before_from": N_("'to' must not be before 'from'"),
    "pdf_body": N_("send the PDF file as the request body"),
    "pdf_too_large": N_("at most %(mib)s MB"),
}


def template(reason: str) -> str:
    """The English template of a reason code; KeyError (naming the registry) for a code not registered."""
    try:
        return REASONS[reason]
    except KeyError:
        raise KeyError(
            f"unregistered refusal reason {reason!r}: add it to diagnose.schemas.reasons"
        ) from None


def yuan_text(fen: int) -> str:
    """An amount in fen as the English reads it: ¥150,000.00."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def plain(name: str, value: Any) -> Any:
    """A param as the English says it: an amount (`*_fen`) in yuan, a list joined."""
    if name.endswith("_fen") and isinstance(value, int):
        return yuan_text(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def english(reason: str, params: dict[str, Any]) -> str:
    """A reason worded in English from its code and params (KeyError for an unknown code or a missing param)."""
    return template(reason) % {name: plain(name, value) for name, value in params.items()}
