"""Fixtures shared by every test: an app on a fresh database and its clients."""

import pytest
from flask_migrate import upgrade

from app import create_app
from app.idp import demo
from tests.helpers import IDP, NGO


@pytest.fixture
def make_app(tmp_path):
    """Return a factory of apps with both sites, migrated and seeded with CONTRACT's demo
    data; keyword arguments add to the test configuration."""
    def make(**config):
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
            "LXL_IDP_ORIGIN": IDP,
            "LXL_NGO_ORIGIN": NGO,
            "LXL_PASSWORD_PROFILE": "CHEAPEST",  # hashing cost is not what these tests test
            **config,
        })
        with app.app_context():
            upgrade()
            demo.seed()
        return app
    return make


@pytest.fixture
def app(make_app):
    """An app with both sites, migrated and seeded with CONTRACT's demo data."""
    return make_app()


@pytest.fixture
def http(app):
    """Flask's test client (named so it never reads as an OAuth client)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
