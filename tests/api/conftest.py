"""Fixtures of the HTTP tests: the real Flask app over the real databases and the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.master import background
from tests.api.support import JWT_SECRET


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """The shared test environment with a JWT secret of HS256's full 32 bytes (PyJWT warns on
    shorter ones, and warnings are errors here)."""
    return {**env, "JWT_SECRET": JWT_SECRET}


@pytest.fixture
def app(migrated) -> Iterator[Flask]:
    """The app over migrated staging and production; background syncs joined at the end."""
    app = create_app(migrated)
    app.config["TESTING"] = True
    yield app
    assert background(app).join(timeout=60), "a background sync did not finish"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
