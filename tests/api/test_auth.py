"""Every auth case: JWT on the admin endpoints, X-API-KEY on the hourly ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.auth import admin_claims, check_api_key
from api.errors import ApiProblem
from tests.api.support import JWT_SECRET, admin, token, unsigned_token

ADMIN = [
    ("GET", "/admin/master-sync/status"),
    ("POST", "/admin/master-sync"),
    ("POST", "/admin/sync-product-database"),
    ("POST", "/admin/sync-jungle-scout"),
]
HOURLY = [("GET", "/admin/hourly-sync/status"), ("POST", "/admin/hourly-sync")]


def _forged_exp(value: object) -> str:
    """A correctly signed HS256 token whose exp is `value` (PyJWT refuses to encode such)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = (
        part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + "."
        + part(json.dumps({"role": "admin", "exp": value}).encode())
    )
    return head + "." + part(hmac.new(JWT_SECRET.encode(), head.encode(), hashlib.sha256).digest())


BAD_TOKENS = {
    "missing": (None, "missing Authorization header"),
    "empty": ("", "missing Authorization header"),
    "no token": ("Bearer", "malformed Authorization header"),
    "basic scheme": ("Basic dXNlcjpwYXNz", "malformed Authorization header"),
    "two tokens": ("Bearer a.b.c d.e.f", "malformed Authorization header"),
    "not a JWT": ("Bearer not-a-jwt", "token is invalid"),
    "garbage segments": ("Bearer a.b.c", "token is invalid"),
    "expired": (lambda: f"Bearer {token(expires_in=-60)}", "token expired"),
    "no exp": (lambda: f"Bearer {token(exp=False)}", "no exp claim"),
    "alg none": (lambda: f"Bearer {unsigned_token()}", "algorithm not allowed"),
    "wrongly signed": (
        lambda: f"Bearer {token(secret='another-secret-of-32-bytes-0123456789')}",
        "signature is invalid",
    ),
    "HS512 with the right secret": (
        lambda: (
            "Bearer "
            + jwt.encode(
                {"role": "admin", "exp": int(time.time()) + 60},
                JWT_SECRET + "-padded-to-64-bytes-for-hs512-xxxxxxxxx",
                algorithm="HS512",
            )
        ),
        "algorithm not allowed",
    ),
    "exp not a number": (lambda: f"Bearer {_forged_exp('tomorrow')}", "token is invalid"),
    "exp absurd": (lambda: f"Bearer {_forged_exp(1e400)}", "token is invalid"),
}


@pytest.mark.parametrize("case", BAD_TOKENS, ids=list(BAD_TOKENS))
@pytest.mark.parametrize(("method", "path"), ADMIN)
def test_bad_tokens_are_401(client, sandbox, method, path, case):
    header, message = BAD_TOKENS[case]
    header = header() if callable(header) else header
    headers = {} if header is None else {"Authorization": header}
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == 401, response.get_json()
    assert message in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert sandbox.stats()["requests"] == 0  # refused before any work


@pytest.mark.parametrize("role", ["user", "Admin", None, ["admin"]])
@pytest.mark.parametrize(("method", "path"), ADMIN)
def test_valid_token_without_admin_role_is_403(client, sandbox, method, path, role):
    response = client.open(path, method=method, headers=admin(role))
    assert response.status_code == 403
    assert 'role claim must be "admin"' in response.get_json()["error"]
    assert sandbox.stats()["requests"] == 0


def test_admin_token_is_accepted(client):
    assert client.get("/admin/master-sync/status", headers=admin()).status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing X-API-KEY"),
        ({"X-API-KEY": ""}, "missing X-API-KEY"),
        ({"X-API-KEY": "wrong"}, "invalid X-API-KEY"),
        ({"X-API-KEY": "ключ-не-тот"}, "invalid X-API-KEY"),
    ],
    ids=["missing", "empty", "wrong", "non-ascii"],
)
@pytest.mark.parametrize(("method", "path"), HOURLY)
def test_bad_api_keys_are_401(client, migrated, sandbox, method, path, headers, message):
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == 401 and message in response.get_json()["error"]
    longer = client.open(path, method=method, headers={"X-API-KEY": migrated.sync_api_key + "x"})
    assert longer.status_code == 401
    assert sandbox.stats()["requests"] == 0


def test_each_credential_opens_only_its_own_endpoints(client, migrated):
    key = {"X-API-KEY": migrated.sync_api_key}
    assert client.get("/admin/hourly-sync/status", headers=key).status_code == 200
    assert client.get("/admin/master-sync/status", headers=key).status_code == 401
    assert client.get("/admin/hourly-sync/status", headers=admin()).status_code == 401


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.one_of(
        st.none(),
        st.text(),
        st.builds(lambda t: "Bearer " + t, st.text()),
        st.builds(lambda a, b, c: f"Bearer {a}.{b}.{c}", *[st.text(alphabet="AZaz09-_=+/", max_size=40)] * 3),
    )
)
def test_any_authorization_header_is_401_never_a_crash(header):
    with pytest.raises(ApiProblem) as refused:
        admin_claims(header, JWT_SECRET)
    assert refused.value.status == 401


@settings(max_examples=200, deadline=None, database=None)
@given(st.one_of(st.none(), st.text()))
def test_any_api_key_header_is_401_never_a_crash(given_key):
    with pytest.raises(ApiProblem) as refused:
        check_api_key(given_key, "sync-api-key-for-tests-0123456789")
    assert refused.value.status == 401
