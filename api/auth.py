"""Authentication: admin endpoints take a JWT, the hourly (Cloud Run Job) endpoints an API key.

JWT: `Authorization: Bearer <token>`, HS256 signed with JWT_SECRET and nothing else (so
`alg: none` and every other algorithm are refused), `exp` required; admin means the claim
`role` is "admin". Missing, malformed, expired or wrongly signed: 401; valid but not admin: 403.
API key: header X-API-KEY compared in constant time with SYNC_API_KEY; wrong or missing: 401.
No message ever repeats a token or a key.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

import jwt
from flask import request

from api.db import config
from api.errors import ApiProblem

F = TypeVar("F", bound=Callable)
ALGORITHMS = ["HS256"]
_BEARER = {"WWW-Authenticate": 'Bearer realm="jssync"'}


def _unauthorized(message: str) -> ApiProblem:
    return ApiProblem(401, message, headers=_BEARER)


def admin_claims(header: str | None, secret: str) -> dict:
    """The claims of a valid admin token in an Authorization header, else ApiProblem 401/403."""
    if header is None or not header.strip():
        raise _unauthorized(
            "missing Authorization header: send Authorization: Bearer <JWT signed "
            "with HS256, with exp and role=admin claims>"
        )
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _unauthorized("malformed Authorization header: expected Bearer <token>")
    try:
        claims = jwt.decode(token, secret, algorithms=ALGORITHMS, options={"require": ["exp"]})
    except jwt.ExpiredSignatureError:
        raise _unauthorized("token expired: get a new one") from None
    except jwt.MissingRequiredClaimError:
        raise _unauthorized("token has no exp claim: tokens must expire") from None
    except jwt.InvalidAlgorithmError:
        raise _unauthorized("token algorithm not allowed: only HS256 is accepted") from None
    except jwt.InvalidSignatureError:
        raise _unauthorized("token signature is invalid") from None
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(f"token is invalid: {_reason(exc)}") from None
    except (OverflowError, ValueError, TypeError):
        # A signed token whose time claims are absurd (exp: 1e400) escapes PyJWT's own checks.
        raise _unauthorized("token is invalid: its time claims are not numbers PyJWT can read") from None
    if not isinstance(claims, dict) or claims.get("role") != "admin":
        raise ApiProblem(403, 'admin role required: the token\'s role claim must be "admin"')
    return claims


def _reason(exc: Exception) -> str:
    # PyJWT's messages name what is wrong ("Not enough segments", "Invalid header padding")
    # and never echo the token; keep them short all the same.
    return (str(exc) or type(exc).__name__)[:200]


def check_api_key(given: str | None, expected: str) -> None:
    """Raise ApiProblem 401 unless `given` equals `expected` (constant-time comparison)."""
    if given is None or given == "":
        raise ApiProblem(401, "missing X-API-KEY header: send the SYNC_API_KEY value in X-API-KEY")
    # Bytes, because compare_digest refuses non-ASCII str and a header may hold anything.
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")):
        raise ApiProblem(401, "invalid X-API-KEY header")


def require_admin(view: F) -> F:
    """Decorator: the request must carry an admin JWT."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        admin_claims(request.headers.get("Authorization"), config().jwt_secret)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_api_key(view: F) -> F:
    """Decorator: the request must carry the X-API-KEY of the hourly endpoints."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        check_api_key(request.headers.get("X-API-KEY"), config().sync_api_key)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
