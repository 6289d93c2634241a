"""Helpers of the HTTP tests: tokens, headers, waiting for a background sync."""

from __future__ import annotations

import base64
import json
import time

import jwt

JWT_SECRET = "jwt-secret-for-api-tests-0123456789abcdef"


def token(
    role: str | None = "admin", *, expires_in: float = 300, secret: str = JWT_SECRET, exp: bool = True, **claims: object
) -> str:
    """An HS256 token with `role` and an `exp` `expires_in` seconds from now."""
    body: dict[str, object] = {"sub": "tester", **claims}
    if role is not None:
        body["role"] = role
    if exp:
        body["exp"] = int(time.time() + expires_in)
    return jwt.encode(body, secret, algorithm="HS256")


def unsigned_token(role: str = "admin") -> str:
    """A token with `alg: none` and no signature, as an attacker would send it."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'role': role, 'exp': int(time.time()) + 300})}."


def admin(role: str | None = "admin", **kwargs: object) -> dict[str, str]:
    """Headers with an admin Bearer token."""
    return {"Authorization": f"Bearer {token(role, **kwargs)}"}


def api_key(cfg) -> dict[str, str]:
    return {"X-API-KEY": cfg.sync_api_key}
