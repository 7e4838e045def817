"""Fixtures shared by every test: an app on a fresh database and its clients."""

import logging
import sqlite3

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.idp import demo
from tests.helpers import IDP, NGO

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "LXL_IDP_ORIGIN": IDP,
    "LXL_NGO_ORIGIN": NGO,
    "LXL_PASSWORD_PROFILE": "CHEAPEST",  # hashing cost is not what these tests test
}


@pytest.fixture(autouse=True)
def log_records_reach_caplog(monkeypatch):
    """The app's loggers pass records to the root (caplog) only for a ``TESTING`` app, and the
    last app made decides (app/logs.py): an app of another test, made without it, must not
    hide the records of this test's app, made before (a session's live site)."""
    for name in ("lxl", "app"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A SQLite database with every migration applied, made once per run: each test's
    database starts as a copy of it (running the migrations costs more than most tests)."""
    path = tmp_path_factory.mktemp("migrated") / "migrated.db"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, migrated_database):
    """Return a factory of apps with both sites, migrated and seeded with CONTRACT's demo
    data; keyword arguments add to the test configuration."""
    def make(**config):
        database = tmp_path / "test.db"
        uri = config.get("SQLALCHEMY_DATABASE_URI", f"sqlite:///{database}")
        copied = uri == f"sqlite:///{database}" and not database.exists()
        if copied:
            # The backup API, not a file copy: it reads through SQLite (WAL included).
            with sqlite3.connect(migrated_database) as source, \
                    sqlite3.connect(database) as copy:
                source.backup(copy)
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **config})
        with app.app_context():
            if not copied:  # a database given in config, or this test's second app
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
