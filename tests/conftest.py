"""Fixtures shared by every test: an app on a fresh database and its clients."""

import pytest
from flask_migrate import upgrade

from app import create_app
from app.idp import demo
from tests.helpers import IDP, NGO


@pytest.fixture
def app(tmp_path):
    """An app with both sites, migrated and seeded with CONTRACT's demo data."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "LXL_IDP_ORIGIN": IDP,
        "LXL_NGO_ORIGIN": NGO,
        "LXL_PASSWORD_PROFILE": "CHEAPEST",  # hashing cost is not what these tests test
    })
    with app.app_context():
        upgrade()
        demo.seed()
    yield app


@pytest.fixture
def http(app):
    """Flask's test client (named so it never reads as an OAuth client)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
