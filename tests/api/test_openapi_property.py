"""Property-based: schemathesis drives every endpoint with input generated from GET /openapi.json,
valid and invalid, through the real app over the real databases and the sandbox. No answer may be
a 500, break the documented schema, refuse valid input or accept what the schema forbids."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis.generation.modes import GenerationMode

from api.master import background
from api.openapi import DOCUMENT
from tests.api.support import admin

OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
# Invalid input needs something to get wrong: a parameter or a body.
WITH_INPUT = [(m, p) for m, p in OPERATIONS if {"parameters", "requestBody"} & set(DOCUMENT["paths"][p][m.lower()])]
# An operation without input has one request to make; one that runs a whole sync in the request
# (a manual sync) pays a sync per example, and its few parameters are covered by fewer.
EXAMPLES = {("POST", "/admin/sync-product-database"): 6, ("POST", "/admin/sync-jungle-scout"): 6}
EXAMPLES |= {op: 1 for op in OPERATIONS if op not in WITH_INPUT}
CASES = [(*op, GenerationMode.POSITIVE) for op in OPERATIONS] + [(*op, GenerationMode.NEGATIVE) for op in WITH_INPUT]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_every_endpoint_keeps_its_contract(app, migrated, method, path, mode):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operation = schema[path][method]
    headers = {**admin(), "X-API-KEY": migrated.sync_api_key}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES.get((method, path), 12),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case) -> None:
        # A query parameter whose value is an empty list (or null) is not sent at all, so a
        # "negative" example whose only flaw is such an extra parameter is a valid request on the
        # wire (schemathesis then calls the 200 an accepted invalid request): draw another.
        assume(mode is GenerationMode.POSITIVE or not any(value in ([], None) for value in (case.query or {}).values()))
        case.call_and_validate(headers=headers)
        # A started master sync finishes before the next example, so each example sees a quiet
        # service (and no thread outlives the test).
        assert background(app).join(timeout=30)

    check()
