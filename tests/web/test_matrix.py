"""Role × tenant × route: every route and API endpoint, as every role and as another tenant of that role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

from diagnose.db import make_engine
from tests.web.conftest import client_as
from web import create_app

ROLES = (
    "anon",
    "admin",
    "bureau",
    "bureau_other",
    "provider",
    "provider_other",
    "enterprise",
    "enterprise_other",
)
TEST_CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


def codes(default: int, **by_role: int) -> dict[str, int]:
    """Expected status per role: `default` unless named."""
    return {role: by_role.get(role, default) for role in ROLES}


def ui_party(ok: int = 200) -> dict[str, int]:
    """An order-scoped UI route open to all parties: the other tenant gets 404."""
    return codes(ok, anon=302, bureau_other=404, provider_other=404, enterprise_other=404)


def ui_role(role: str, ok: int = 200, other: int | None = None) -> dict[str, int]:
    """A UI route for one role: other roles 403; the same role's other tenant gets `other` (default ok)."""
    return codes(403, anon=302, **{role: ok, f"{role}_other": ok if other is None else other})


def api_party(ok: int = 200) -> dict[str, int]:
    """An order-scoped API endpoint open to every role."""
    return codes(ok, anon=401, bureau_other=404, provider_other=404, enterprise_other=404)


def api_admin_bureau(ok: int = 200, other: int | None = None) -> dict[str, int]:
    """An API endpoint for the admin and bureaus; the other bureau gets `other` (default ok)."""
    return api_role("bureau", ok, other) | {"admin": ok}


def api_role(role: str, ok: int = 200, other: int | None = None) -> dict[str, int]:
    """An API endpoint for one role."""
    return codes(403, anon=401, **{role: ok, f"{role}_other": ok if other is None else other})


# (endpoint, method) → (url template, JSON body or None, expected codes). {o} order, {a} attachment,
# {d} device, {r} requirement. The order is on site, delivered by provider2 for ent4, bought by wujin.
MATRIX: dict[tuple[str, str], tuple[str, dict[str, object] | None, dict[str, int]]] = {
    ("index", "GET"): ("/", None, codes(302)),
    ("ops.healthz", "GET"): ("/healthz", None, codes(200)),
    ("ops.readyz", "GET"): ("/readyz", None, codes(200)),
    ("ops.metrics", "GET"): ("/metrics", None, codes(200)),
    ("static", "GET"): ("/static/app.css", None, codes(200)),
    ("auth.login", "GET"): ("/login", None, codes(200)),
    # An empty login form is refused by its schema (400, the fields named); wrong credentials answer 401.
    ("auth.login", "POST"): ("/login", None, codes(400)),
    ("auth.logout", "POST"): ("/logout", None, codes(302)),
    ("auth.home", "GET"): ("/home", None, codes(302)),
    ("auth.change_password", "GET"): ("/account/password", None, codes(200, anon=302)),
    ("auth.change_password", "POST"): ("/account/password", None, codes(400, anon=302)),
    ("auth.account", "GET"): ("/account", None, codes(200, anon=302)),
    ("auth.account", "POST"): ("/account", None, codes(422, anon=302)),  # no name typed: refused, kept
    ("auth.api_token", "GET"): ("/account/token", None, codes(200, anon=302)),
    ("auth.api_token", "POST"): ("/account/token", None, codes(200, anon=302)),
    ("admin.users", "GET"): ("/admin/users", None, ui_role("admin")),
    ("admin.users", "POST"): ("/admin/users", None, ui_role("admin", 422)),
    ("admin.edit_user", "GET"): ("/admin/users/{u}", None, ui_role("admin")),
    ("admin.edit_user", "POST"): ("/admin/users/{u}", None, ui_role("admin", 422)),
    ("admin.set_active", "POST"): ("/admin/users/{u}/active", None, ui_role("admin", 302)),
    ("admin.reset_password", "POST"): ("/admin/users/{u}/password", None, ui_role("admin", 302)),
    ("admin.unlock", "POST"): ("/admin/users/{u}/unlock", None, ui_role("admin", 302)),
    ("admin.organisations", "GET"): ("/admin/organisations/enterprises", None, ui_role("admin")),
    ("admin.organisations", "POST"): ("/admin/organisations/providers", None, ui_role("admin", 422)),
    ("admin.regions", "GET"): ("/admin/regions", None, ui_role("admin")),
    ("admin.regions", "POST"): ("/admin/regions", None, ui_role("admin", 422)),
    ("bureau.dashboard", "GET"): ("/bureau/dashboard", None, ui_role("bureau")),
    ("bureau.sme_levels", "GET"): ("/bureau/sme-levels", None, ui_role("bureau")),
    ("bureau.sme_pilots", "GET"): ("/bureau/sme-pilots", None, ui_role("bureau")),
    ("bureau.sme_pilots", "POST"): ("/bureau/sme-pilots", None, ui_role("bureau", 422)),
    # The SME index in force and its corrected versions: bureaus load and publish, the admin reads. The world
    # has no stored version, so one by id is not found (tests/web/test_sme_index.py covers a stored one).
    ("sme_index.index", "GET"): ("/bureau/sme-index/", None, ui_role("bureau") | {"admin": 200}),
    ("sme_index.upload", "POST"): ("/bureau/sme-index/upload", None, ui_role("bureau", 302)),
    ("sme_index.show", "GET"): ("/bureau/sme-index/1", None, ui_role("bureau", 404) | {"admin": 404}),
    ("sme_index.publish", "POST"): ("/bureau/sme-index/1/publish", None, ui_role("bureau", 404)),
    ("bureau.batches", "GET"): ("/bureau/batches", None, ui_role("bureau")),
    ("bureau.batches", "POST"): ("/bureau/batches", None, ui_role("bureau", 422)),
    ("bureau.new_order", "GET"): ("/bureau/orders/new", None, ui_role("bureau")),
    ("bureau.new_order", "POST"): ("/bureau/orders/new", None, ui_role("bureau", 422)),
    ("bureau.provider_pool", "GET"): ("/bureau/pool", None, ui_role("bureau")),
    ("bureau.provider_pool", "POST"): ("/bureau/pool", None, ui_role("bureau", 422)),
    # The audit log: bureaus see their regions' entries, the administrator all of them.
    ("bureau.audit_log", "GET"): ("/bureau/audit-log", None, ui_role("bureau") | {"admin": 200}),
    ("plant.dead_letters", "GET"): ("/provider/orders/{o}/dead-letters", None, ui_role("provider", 200, 404)),
    ("plant.replay_dead_letters", "POST"): (
        "/provider/orders/{o}/dead-letters/replay",
        None,
        ui_role("provider", 302, 404),
    ),
    ("plant.review_devices", "POST"): (
        "/provider/orders/{o}/devices/review",
        None,
        ui_role("provider", 302, 404),
    ),
    ("enterprise.list_devices", "GET"): ("/enterprise/devices", None, ui_role("enterprise")),
    ("connection_check.enterprise_check", "GET"): (
        "/enterprise/devices/{d}/check",
        None,
        ui_role("enterprise", 200, 404),
    ),
    ("connection_check.provider_check", "GET"): (
        "/provider/orders/{o}/devices/{d}/check",
        None,
        ui_role("provider", 200, 404),
    ),
    # The check of a gateway account or a profiled source (no such one in the world: 404 to its owner too;
    # tests/web/test_connection_check.py shows them with data).
    ("connection_check.enterprise_gateway_check", "GET"): (
        "/enterprise/gateways/999999/check",
        None,
        ui_role("enterprise", 404),
    ),
    ("connection_check.provider_gateway_check", "GET"): (
        "/provider/orders/{o}/gateways/999999/check",
        None,
        ui_role("provider", 404, 404),
    ),
    ("connection_check.enterprise_source_check", "GET"): (
        "/enterprise/sources/gw1/check",
        None,
        ui_role("enterprise", 404),
    ),
    ("connection_check.provider_source_check", "GET"): (
        "/provider/orders/{o}/sources/gw1/check",
        None,
        ui_role("provider", 404, 404),
    ),
    # Payload profiles: the plant's own page, and its provider's through the open order (an empty POST is
    # refused with the form shown again, 200).
    ("plant.payload_profiles", "GET"): ("/provider/orders/{o}/profiles", None, ui_role("provider", 200, 404)),
    ("plant.payload_profiles", "POST"): (
        "/provider/orders/{o}/profiles",
        None,
        ui_role("provider", 200, 404),
    ),
    ("enterprise.payload_profiles", "GET"): ("/enterprise/profiles", None, ui_role("enterprise")),
    ("enterprise.payload_profiles", "POST"): ("/enterprise/profiles", None, ui_role("enterprise")),
    ("enterprise.list_gateways", "GET"): ("/enterprise/gateways", None, ui_role("enterprise")),
    ("enterprise.create_gateway", "POST"): ("/enterprise/gateways", None, ui_role("enterprise", 302)),
    ("enterprise.rotate_gateway", "POST"): (
        "/enterprise/gateways/999999/password",
        None,
        ui_role("enterprise", 302),
    ),
    ("enterprise.revoke_gateway", "POST"): (
        "/enterprise/gateways/999999/revoke",
        None,
        ui_role("enterprise", 302),
    ),
    ("orders.list_orders", "GET"): ("/orders", None, codes(200, anon=302)),
    ("orders.show_order", "GET"): ("/orders/{o}", None, ui_party()),
    # Only the provider may submit; the bureau, enterprise and admin are parties of another kind: 403.
    ("orders.act", "POST"): ("/orders/{o}/submit", None, ui_party(403) | {"provider": 302}),
    ("orders.timeline_json", "GET"): ("/orders/{o}/timeline.json", None, ui_party()),
    ("orders.oee_json", "GET"): ("/orders/{o}/oee.json", None, ui_party()),
    ("orders.show_result", "GET"): ("/orders/{o}/result", None, ui_party()),
    ("orders.download_attachment", "GET"): ("/orders/{o}/attachments/{a}", None, ui_party()),
    ("provider.questionnaire", "GET"): (
        "/provider/orders/{o}/questionnaire",
        None,
        ui_role("provider", 200, 404),
    ),
    ("plant_records.ledger", "GET"): ("/provider/orders/{o}/ledger", None, ui_role("provider", 200, 404)),
    ("plant_records.add_equipment", "POST"): (
        "/provider/orders/{o}/ledger",
        None,
        ui_role("provider", 422, 404),
    ),
    ("plant_records.import_ledger", "POST"): (
        "/provider/orders/{o}/ledger/import",
        None,
        ui_role("provider", 422, 404),
    ),
    ("plant_records.calendar", "GET"): ("/provider/orders/{o}/calendar", None, ui_role("provider", 200, 404)),
    ("plant_records.add_calendar_rule", "POST"): (
        "/provider/orders/{o}/calendar",
        None,
        ui_role("provider", 422, 404),
    ),
    # No form body: the year is missing, so the provider is told so (422); others never reach the form.
    ("plant_records.load_holiday_notice", "POST"): (
        "/provider/orders/{o}/calendar/notice",
        None,
        ui_role("provider", 422, 404),
    ),
    ("plant_records.delete_calendar_rule", "POST"): (
        "/provider/orders/{o}/calendar/999999/delete",
        None,
        ui_role("provider", 302, 404),
    ),
    ("plant_records.set_bottleneck", "POST"): (
        "/provider/orders/{o}/devices/NOPE/bottleneck",
        None,
        ui_role("provider", 302, 404),
    ),
    ("provider.plant_devices", "GET"): ("/provider/orders/{o}/devices", None, ui_role("provider", 200, 404)),
    ("provider.plant_devices_json", "GET"): (
        "/provider/orders/{o}/devices.json",
        None,
        ui_role("provider", 200, 404),
    ),
    ("provider.add_device", "POST"): ("/provider/orders/{o}/devices", None, ui_role("provider", 302, 404)),
    ("provider.device_credentials", "POST"): (
        "/provider/orders/{o}/devices/{d}/credentials",
        None,
        ui_role("provider", 200, 404),
    ),
    ("provider.plant_gateways", "GET"): (
        "/provider/orders/{o}/gateways",
        None,
        ui_role("provider", 200, 404),
    ),
    ("provider.create_gateway", "POST"): (
        "/provider/orders/{o}/gateways",
        None,
        ui_role("provider", 302, 404),
    ),
    ("provider.rotate_gateway", "POST"): (
        "/provider/orders/{o}/gateways/999999/password",
        None,
        ui_role("provider", 302, 404),
    ),
    ("provider.revoke_gateway", "POST"): (
        "/provider/orders/{o}/gateways/999999/revoke",
        None,
        ui_role("provider", 302, 404),
    ),
    ("provider.save_answer", "POST"): (
        "/provider/orders/{o}/answers",
        {"requirement_id": "{r}", "rating": "0.5"},
        ui_role("provider", 200, 404),
    ),
    ("provider.upload_attachment", "POST"): (
        "/provider/orders/{o}/attachments",
        None,
        ui_role("provider", 302, 404),
    ),
    ("provider.save_tailoring", "POST"): (
        "/provider/orders/{o}/tailoring",
        None,
        ui_role("provider", 302, 404),
    ),
    ("provider.run_scoring", "POST"): ("/provider/orders/{o}/score", None, ui_role("provider", 200, 404)),
    # The order's team: named by its provider while the order is open (a form without a lead is refused).
    ("provider.save_staff", "POST"): ("/provider/orders/{o}/staff", None, ui_role("provider", 302, 404)),
    # The SME digital level (issue #26): the world's order rates both instruments; its questionnaire is the
    # provider's while the order is open; empty forms are refused on the page (redirect back).
    ("sme.set_instruments", "POST"): (
        "/provider/orders/{o}/instruments",
        None,
        ui_role("provider", 302, 404),
    ),
    ("sme.questionnaire", "GET"): ("/provider/orders/{o}/sme", None, ui_role("provider", 200, 404)),
    ("sme.save_answer", "POST"): ("/provider/orders/{o}/sme/answers", None, ui_role("provider", 302, 404)),
    ("sme.score", "POST"): ("/provider/orders/{o}/sme/score", None, ui_role("provider", 302, 404)),
    ("api.sme_result", "GET"): ("/api/v1/orders/{o}/sme", None, api_party()),
    ("api.put_instruments", "PUT"): ("/api/v1/orders/{o}/instruments", {}, api_role("provider", 422, 404)),
    ("api.sme_answers", "GET"): ("/api/v1/orders/{o}/sme/answers", None, api_party()),
    ("api.put_sme_answer", "PUT"): ("/api/v1/orders/{o}/sme/answers/F3", {}, api_role("provider", 422, 404)),
    ("api.sme_score", "POST"): ("/api/v1/orders/{o}/sme/score", None, api_role("provider", 200, 404)),
    ("api.show_staff", "GET"): ("/api/v1/orders/{o}/staff", None, api_party()),
    ("api.put_staff", "PUT"): ("/api/v1/orders/{o}/staff", {}, api_role("provider", 422, 404)),
    ("api.openapi", "GET"): ("/api/v1/openapi.json", None, codes(200)),
    ("api.docs", "GET"): ("/api/v1/docs", None, codes(200)),
    ("api.me", "GET"): ("/api/v1/me", None, codes(200, anon=401)),
    ("api.list_orders", "GET"): ("/api/v1/orders", None, codes(200, anon=401)),
    ("api.create_order", "POST"): ("/api/v1/orders", {}, api_role("bureau", 422)),
    ("api.show_order", "GET"): ("/api/v1/orders/{o}", None, api_party()),
    ("api.act", "POST"): ("/api/v1/orders/{o}/actions/submit", {}, api_party(403) | {"provider": 200}),
    ("api.list_answers", "GET"): ("/api/v1/orders/{o}/answers", None, api_party()),
    ("api.put_answer", "PUT"): (
        "/api/v1/orders/{o}/answers/{r}",
        {"rating": "1"},
        api_role("provider", 200, 404),
    ),
    ("api.score", "POST"): ("/api/v1/orders/{o}/score", None, api_role("provider", 200, 404)),
    ("api.result", "GET"): ("/api/v1/orders/{o}/result", None, api_party()),
    ("api.list_batches", "GET"): ("/api/v1/batches", None, api_role("bureau")),
    ("api.create_batch", "POST"): ("/api/v1/batches", {}, api_role("bureau", 422)),
    # Organisations: the admin registers; a bureau reads those in its scope (enterprises in its regions, its pool).
    ("api.list_enterprises", "GET"): ("/api/v1/enterprises", None, api_admin_bureau()),
    ("api.create_enterprise", "POST"): ("/api/v1/enterprises", {}, api_role("admin", 422)),
    ("api.show_enterprise", "GET"): ("/api/v1/enterprises/{e}", None, api_admin_bureau(other=404)),
    ("api.show_sme_pilot", "GET"): ("/api/v1/enterprises/{e}/sme-pilot", None, api_admin_bureau(other=404)),
    ("api.put_sme_pilot", "PUT"): ("/api/v1/enterprises/{e}/sme-pilot", {}, api_role("bureau", 422)),
    ("api.list_providers", "GET"): ("/api/v1/providers", None, api_admin_bureau()),
    ("api.create_provider", "POST"): ("/api/v1/providers", {}, api_role("admin", 422)),
    ("api.show_provider", "GET"): ("/api/v1/providers/{p}", None, api_admin_bureau()),
    # The plant, through the order as in the UI: every party reads, the order's provider registers.
    ("api.list_devices", "GET"): ("/api/v1/orders/{o}/devices", None, api_party()),
    ("api.register_device", "POST"): (
        "/api/v1/orders/{o}/devices",
        {"external_id": "API-NEW-1"},
        api_role("provider", 201, 404),
    ),
    ("api.import_devices", "POST"): (
        "/api/v1/orders/{o}/devices/import",
        {"devices": [{"external_id": "API-NEW-2"}], "dry_run": True},
        api_role("provider", 200, 404),
    ),
    ("api.device_credentials", "POST"): (
        "/api/v1/orders/{o}/devices/{d}/credentials",
        None,
        api_role("provider", 201, 404),
    ),
    ("api.telemetry_series", "GET"): ("/api/v1/orders/{o}/devices/{d}/telemetry", None, api_party()),
    ("api.indicators", "GET"): ("/api/v1/orders/{o}/indicators", None, api_party()),
    ("api.list_reports", "GET"): ("/api/v1/orders/{o}/reports", None, api_party()),
    ("api.download_report", "GET"): ("/api/v1/orders/{o}/reports/1.pdf", None, api_party(404)),
    # The (on-site) order is not reportable yet: the issuers get 422, the other tenants 404.
    ("api.issue_report", "POST"): (
        "/api/v1/orders/{o}/reports",
        {},
        codes(403, anon=401, bureau=422, provider=422, bureau_other=404, provider_other=404),
    ),
    ("api.show_report_job", "GET"): ("/api/v1/orders/{o}/report-jobs/1", None, api_party(404)),
    # The world's order has its contradiction decided: the list reads for every party; an empty decision is 422.
    ("api.list_contradictions", "GET"): ("/api/v1/orders/{o}/contradictions", None, api_party()),
    ("api.decide_contradiction", "POST"): (
        "/api/v1/orders/{o}/contradictions",
        {},
        api_role("provider", 422, 404),
    ),
    ("api.verify_report", "POST"): ("/api/v1/reports/verify", None, codes(422, anon=401)),
    ("api.list_flags", "GET"): ("/api/v1/supervision/flags", None, api_role("bureau")),
    ("api.league", "GET"): ("/api/v1/supervision/league", None, api_role("bureau")),
    ("api.policies", "GET"): ("/api/v1/policies", None, codes(200, anon=401)),
    ("api.size_subsidy", "POST"): ("/api/v1/subsidy", {}, codes(422, anon=401)),
    # Reports of the (on-site, so not yet reportable) order: the page shows no draft, issuing redirects back
    # with an error, and there is no version 1 to download.
    ("reports.show_report", "GET"): ("/orders/{o}/report", None, ui_party()),
    ("reports.issue", "POST"): (
        "/orders/{o}/report/issue",
        None,
        ui_party(403) | {"bureau": 302, "provider": 302, "enterprise_other": 403},
    ),
    # The consultant's decision on a contradiction: an empty form is refused on the page (redirect back).
    ("reports.decide_contradiction", "POST"): (
        "/orders/{o}/report/contradictions",
        None,
        ui_role("provider", 302, 404),
    ),
    ("reports.download", "GET"): ("/orders/{o}/report/v1.pdf", None, ui_party(404)),
    ("reports.download_docx", "GET"): ("/orders/{o}/report/v1.docx", None, ui_party(404)),
    ("verify.by_link", "GET"): ("/v/R-ZD0000-00-0000-v1/" + "0" * 16, None, codes(200)),
    ("verify.check", "GET"): ("/verify", None, codes(200)),
    ("verify.check", "POST"): ("/verify", None, codes(400)),
    # Bureau audit: data scoped to the bureau's regions. provider2 also delivered in Taicang, so the other
    # bureau may see its (Taicang-only) figures; the flag is on a Wujin order, so Taicang gets 404.
    ("supervision.show_league", "GET"): ("/bureau/supervision/", None, ui_role("bureau")),
    ("supervision.show_provider", "GET"): ("/bureau/supervision/providers/{p}", None, ui_role("bureau")),
    ("supervision.list_flags", "GET"): ("/bureau/supervision/flags", None, ui_role("bureau")),
    ("supervision.list_outcomes", "GET"): ("/bureau/supervision/outcomes", None, ui_role("bureau")),
    ("supervision.record_outcome", "POST"): ("/bureau/supervision/outcomes", None, ui_role("bureau", 400)),
    ("supervision.show_flag", "GET"): ("/bureau/supervision/flags/{f}", None, ui_role("bureau", 200, 404)),
    ("supervision.review_flag", "POST"): (
        "/bureau/supervision/flags/{f}/review",
        None,
        ui_role("bureau", 400, 404),
    ),
    ("supervision.export_league", "GET"): ("/bureau/supervision/export.csv", None, ui_role("bureau")),
    # The provider subsidy: bureaus only; Taicang lies outside Changzhou and is told so (200, no rows).
    ("supervision.provider_subsidy", "GET"): (
        "/bureau/supervision/provider-subsidy",
        None,
        ui_role("bureau"),
    ),
    ("supervision.export_provider_subsidy", "GET"): (
        "/bureau/supervision/provider-subsidy.csv",
        None,
        ui_role("bureau"),
    ),
    # Everyone logged in has their own notifications (no ids in the URL: nothing of another's to reach).
    ("notifications.index", "GET"): ("/notifications", None, codes(200, anon=302)),
    ("notifications.mark_read", "POST"): ("/notifications/read", None, codes(302)),
    # Policy versions: the admin and bureaus; the draft is Wujin's, so the Taicang bureau gets 404.
    ("policies.index", "GET"): (
        "/policies/",
        None,
        codes(403, anon=302, admin=200, bureau=200, bureau_other=200),
    ),
    ("policies.import_version", "POST"): (
        "/policies/import",
        None,
        codes(403, anon=302, admin=302, bureau=302, bureau_other=302),
    ),
    ("policies.show", "GET"): (
        "/policies/{v}",
        None,
        codes(403, anon=302, admin=200, bureau=200, bureau_other=404),
    ),
    ("policies.publish", "POST"): (
        "/policies/{v}/publish",
        None,
        codes(403, anon=302, admin=302, bureau=302, bureau_other=404),
    ),
}


def _fill(value: object, world) -> object:  # type: ignore[no-untyped-def]
    """A body value with {r} filled in (strings only; lists, numbers and booleans as they are)."""
    return value.format(r=world.requirement_id) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def shared_app(world) -> Flask:  # type: ignore[no-untyped-def]
    """One app for read-only requests."""
    return create_app(world.settings(), TEST_CONFIG)


@pytest.fixture(scope="module")
def write_app(world) -> Flask:  # type: ignore[no-untyped-def]
    """One app for the writes, each pointed at a database copy of the write's own (`on_copy`)."""
    return create_app(world.settings(), TEST_CONFIG)


def on_copy(app: Flask, world, db: Path, tmp_path: Path) -> Flask:  # type: ignore[no-untyped-def]
    """`app` on a fresh copy of `db` in `tmp_path`, so that cases never disturb each other.

    What `web.db.init_app` sets up from the settings (an engine and the settings themselves, which differ only
    in the database URL) is made again for the copy; building a whole app per write (its URL map and its
    templates compiled anew) cost far more than the request, for hundreds of writes."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(db, copy)
    settings = world.settings(copy)
    app.extensions["diagnose_settings"] = settings
    # Registered with diagnose.db like every engine, so disposed when the test ends (tests/conftest.py).
    app.extensions["diagnose_engine"] = make_engine(settings)
    return app


def test_every_route_has_a_matrix_entry(shared_app: Flask) -> None:
    routes = {
        (rule.endpoint, method)
        for rule in shared_app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}  # type: ignore[operator]
    }
    assert routes - MATRIX.keys() == set(), "routes without a matrix entry"
    assert MATRIX.keys() - routes == set(), "matrix entries for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(MATRIX), ids="{0[0]}:{0[1]}".format)
def test_route_answers_as_expected(key, role, world, shared_app, write_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _endpoint, method = key
    template, body, expected = MATRIX[key]
    url = template.format(
        o=world.order_id,
        a=world.attachment_id,
        d=world.device_id,
        r=world.requirement_id,
        p=world.provider_id,
        f=world.flag_id,
        e=world.enterprise_id,
        u=world.user_ids["enterprise_other"],
        v=world.policy_version_id,
    )
    app = shared_app
    if method != "GET":  # a write gets its own copy of the database, so cases never disturb each other
        app = on_copy(write_app, world, world.db_path, tmp_path)
    headers = {}
    if url.startswith("/api/"):
        client = app.test_client()
        if role != "anon":
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
    else:
        client = client_as(app, world, role)
    json_body = None if body is None else {k: _fill(v, world) for k, v in body.items()}
    response = client.open(url, method=method, json=json_body, headers=headers)
    text = response.get_data().decode("utf-8", "replace")
    response.close()  # a file download holds its file open until closed
    assert response.status_code == expected[role], text[:500]


def test_api_paths_are_documented(shared_app: Flask) -> None:
    spec = shared_app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in shared_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in ("api.openapi", "api.docs"):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
                assert (path, method) in documented, f"{method} {path} is not in openapi.json"


# Order states (issue #20): a provider reads and acts on a plant through an order only while it is open. Every
# route of an order ({o}) is checked in every state; those below are the order's own record, which its provider
# keeps after the order ends (no grace for the plant). Any other order route, present or future, must end.
RECORD_ROUTES = {
    ("orders.show_order", "GET"),
    ("orders.act", "POST"),
    ("orders.timeline_json", "GET"),
    ("orders.show_result", "GET"),
    ("orders.download_attachment", "GET"),
    ("api.show_order", "GET"),
    ("api.show_staff", "GET"),
    ("api.act", "POST"),
    ("api.result", "GET"),
    ("api.sme_result", "GET"),
    ("api.list_reports", "GET"),
    ("api.download_report", "GET"),
    ("api.issue_report", "POST"),
    ("api.show_report_job", "GET"),
    ("api.list_contradictions", "GET"),
    ("reports.show_report", "GET"),
    ("reports.issue", "POST"),
    ("reports.download", "GET"),
    ("reports.download_docx", "GET"),
}
OPEN_STATES = ("assigned", "scheduled", "on_site", "submitted", "returned")
ENDED_STATES = (
    "accepted",
    "cancelled",
    "reassigned",
)  # reassigned: the bureau gave the order to another provider
ORDER_ROUTES = sorted(k for k, (template, _b, expected) in MATRIX.items() if "{o}" in template)
PLANT_ROUTES = [k for k in ORDER_ROUTES if k not in RECORD_ROUTES]


@pytest.fixture(scope="module")
def state_worlds(world, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """A copy of the world's database per order state, the order put in that state directly."""
    from sqlalchemy import text

    folder = tmp_path_factory.mktemp("states")
    paths = {}
    for state in OPEN_STATES + ENDED_STATES:
        path = folder / f"{state}.db"
        shutil.copyfile(world.db_path, path)
        engine = make_engine(url=f"sqlite:///{path}")
        with engine.begin() as connection:
            status = "assigned" if state == "reassigned" else state
            connection.execute(
                text("UPDATE diagnosisorder SET status = :s WHERE id = :o"),
                {"s": status, "o": world.order_id},
            )
            if state == "reassigned":
                connection.execute(
                    text(
                        "UPDATE diagnosisorder SET provider_id = "
                        "(SELECT provider_id FROM user WHERE id = :other) WHERE id = :o"
                    ),
                    {"other": world.user_ids["provider_other"], "o": world.order_id},
                )
        engine.dispose()
        paths[state] = path
    return paths


@pytest.fixture(scope="module")
def state_apps(world, state_worlds: dict[str, Path]) -> dict[str, Flask]:  # type: ignore[no-untyped-def]
    """One app per order state for read-only requests (as `shared_app` is for the matrix): an app costs
    more than the request, and hundreds of GETs ran against the same state database."""
    return {state: create_app(world.settings(path), TEST_CONFIG) for state, path in state_worlds.items()}


def _as(
    world, db: Path, role: str, key: tuple[str, str], tmp_path: Path, read_app: Flask, write_app: Flask
) -> int:  # type: ignore[no-untyped-def]
    """The status `role` gets for `key`: a GET through `read_app` (on `db`), a write through `write_app` on a
    copy of `db`."""
    template, body, _expected = MATRIX[key]
    url = template.format(
        o=world.order_id,
        a=world.attachment_id,
        d=world.device_id,
        r=world.requirement_id,
        p=world.provider_id,
    )
    app = read_app
    if key[1] != "GET":  # a write gets a copy of its own
        app = on_copy(write_app, world, db, tmp_path)
    headers = {}
    if url.startswith("/api/"):
        client = app.test_client()
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    else:
        client = client_as(app, world, role)
    json_body = None if body is None else {k: _fill(v, world) for k, v in body.items()}
    response = client.open(url, method=key[1], json=json_body, headers=headers)
    response.close()
    return response.status_code


def test_every_order_route_is_classed_for_the_state_checks() -> None:
    assert set(ORDER_ROUTES) >= RECORD_ROUTES
    assert len(PLANT_ROUTES) >= 25  # the plant pages, the questionnaire and the plant API


@pytest.mark.parametrize("state", OPEN_STATES + ENDED_STATES)
@pytest.mark.parametrize("key", ORDER_ROUTES, ids="{0[0]}:{0[1]}".format)
def test_a_provider_reaches_the_plant_only_while_its_order_is_open(  # type: ignore[no-untyped-def]
    key, state, world, state_worlds, state_apps, write_app, tmp_path: Path
) -> None:
    if MATRIX[key][2]["provider"] == 403:
        pytest.skip("not a provider's route in any state")
    code = _as(world, state_worlds[state], "provider", key, tmp_path, state_apps[state], write_app)
    if state == "reassigned":
        assert code == 404  # no longer its order at all
    elif state in ENDED_STATES and key in PLANT_ROUTES:
        assert code == 403
    elif key[1] == "GET":
        assert code == MATRIX[key][2]["provider"]  # as in the on-site order of the matrix
    else:
        assert code not in (403, 404)  # writes answer as the state allows, never as out of reach


@pytest.mark.parametrize("state", ENDED_STATES)
@pytest.mark.parametrize("role", ["bureau", "enterprise", "admin"])
@pytest.mark.parametrize("key", [k for k in PLANT_ROUTES if k[1] == "GET"], ids="{0[0]}:{0[1]}".format)
def test_the_other_parties_keep_their_view_of_the_plant(  # type: ignore[no-untyped-def]
    key, role, state, world, state_worlds, state_apps, write_app, tmp_path: Path
) -> None:
    assert (
        _as(world, state_worlds[state], role, key, tmp_path, state_apps[state], write_app)
        == MATRIX[key][2][role]
    )
