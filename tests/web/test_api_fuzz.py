"""A bounded schemathesis run against the generated document: every operation, valid and invalid inputs,
as a role that may call it and mostly on the world's real ids, so the fuzzing reaches the services. No 5xx,
no response outside the published schema (status code, content type, body)."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from web.api.base import ROLES

# 72 tests of 12 to 100 requests each through the whole app, up to two minutes (below): most of the 3 minutes
# `make test-fast` may take. `make test` runs them.
pytestmark = pytest.mark.slow
EXAMPLES = 100  # cases per operation and mode (positive, negative): the run stays under two minutes
# Operations whose every call does a whole job (scoring a plant: seconds each on a loaded 2-core machine) get
# fewer cases: their only input is the order's id, which the cases share anyway (`_real_ids`).
COSTLY_EXAMPLES = {"score": 12}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PREFERRED = ("provider", "bureau", "admin", "enterprise")
schemathesis.serializer.alias("application/pdf", "application/octet-stream")  # /reports/verify takes the file


@pytest.fixture(scope="module")
def api_schema(world, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from web import create_app

    copy = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    shutil.copyfile(world.db_path, copy)
    app: Flask = create_app(world.settings(copy), {"TESTING": True, "RATELIMIT_ENABLED": False})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _real_ids(case, world) -> None:  # type: ignore[no-untyped-def]
    """Three cases in four use the world's real ids (the rest keep what was generated: mostly 404s). The choice
    is a CRC of the value, not `hash()`, which changes with PYTHONHASHSEED and would defeat `derandomize=True`."""
    real = {
        "order_id": world.order_id,
        "device_id": world.device_id,
        "enterprise_id": world.enterprise_id,
        "provider_id": world.provider_id,
        "requirement_id": world.requirement_id,
    }
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if name in real and zlib.crc32(repr(value).encode()) % 4 != 0:
            params[name] = real[name]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation_id", sorted(ROLES))
def test_operation_holds_its_contract(api_schema, world, operation_id: str, mode: GenerationMode) -> None:  # type: ignore[no-untyped-def]
    operation = next(
        op.ok()
        for op in api_schema.get_all_operations()
        if op.ok().definition.raw.get("operationId") == operation_id
    )
    role = next(r for r in PREFERRED if r in ROLES[operation_id])
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=COSTLY_EXAMPLES.get(operation_id, EXAMPLES),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        derandomize=True,
        database=None,
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        _real_ids(case, world)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
