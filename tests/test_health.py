"""``GET /healthz``, and a clear 503 — never a 500 with a traceback — while a service is down.

"Down" is a URL on a loopback port nothing listens on: no Redis or PostgreSQL is needed.
"""

import logging
import secrets
from unittest.mock import ANY
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
import sqlalchemy.exc
from flask import session
from psycopg import errors as pg_errors
from sqlalchemy.engine import make_url

from app import create_app
from app.config import redis_options
from app.health import unavailable_service
from app.idp import keys
from app.sessions import ON_SERVER
from app.logs import JsonFormatter
from deploy.local import free_port
from tests.conftest import TEST_CONFIG
from tests.helpers import CLIENT_ID, IDP, NGO, PASSWORD, csrf_token, refresh

CHECK_SESSION = f"{IDP}/oidc/iframe/check_session?client_id={CLIENT_ID}&origin={NGO}"


def closed_redis_url():
    return f"redis://127.0.0.1:{free_port()}/0"


def redis_down(url):
    """The configuration of an app whose Redis (sessions and rate-limit counts) is down.

    Exceptions raised outside a view (opening a session) reach the app's 500 handler as in
    production, instead of propagating into the test.
    """
    return dict(LXL_REDIS_URL=url, SESSION_TYPE="redis",
                SESSION_REDIS=redis.from_url(url, **redis_options()),
                RATELIMIT_STORAGE_URI=url, PROPAGATE_EXCEPTIONS=False)


@pytest.fixture
def down_app(make_app):
    """An app on SQLite whose Redis is down."""
    return make_app(**redis_down(closed_redis_url()))


def signed_in_cookie(http):
    """Present a server-side session id, as a signed-in browser does (a value without a dot)."""
    http.set_cookie("lxl_session", secrets.token_urlsafe(32), domain="id.localhost")


def assert_unavailable_page(response):
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "Temporarily unavailable" in response.text and "Traceback" not in response.text
    assert "Set-Cookie" not in response.headers


def assert_unavailable_json(response, service):
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["error"] == "temporarily_unavailable"
    assert response.json["error_description"].startswith(f"{service} is unavailable")


@pytest.fixture
def log_lines(caplog):
    """Return the lines logged so far, as JSON written by the app's formatter."""
    caplog.set_level(logging.INFO)
    return lambda: [JsonFormatter().format(record) for record in caplog.records]


def outage_warnings(caplog):
    """The ``lxl`` fields of every warning or worse other than the request lines."""
    return [record.lxl for record in caplog.records if record.levelno >= logging.WARNING
            and getattr(record, "lxl", {}).get("event") != "request"]


# --- /healthz ------------------------------------------------------------------------------

def test_healthz_says_ok_when_the_database_answers(http):
    response = http.get(f"{IDP}/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers and "Vary" not in response.headers


def test_healthz_is_served_on_the_idp_host_only(http):
    assert http.get(f"{NGO}/healthz").status_code == 404


def test_healthz_names_redis_when_it_is_down(down_app):
    response = down_app.test_client().get(f"{IDP}/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "redis": "down"}


def test_healthz_names_the_rate_limit_counts_when_their_own_redis_is_down(make_app):
    app = make_app(**{**redis_down(closed_redis_url()),
                      "RATELIMIT_STORAGE_URI": closed_redis_url()})
    response = app.test_client().get(f"{IDP}/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "redis": "down",
                             "rate_limits": "down"}


@pytest.fixture
def everything_down_app():
    """An app whose PostgreSQL and Redis are both down (production's backends)."""
    url = closed_redis_url()
    return create_app({**TEST_CONFIG, **redis_down(url),
                       "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://lxl@127.0.0.1:"
                                                  f"{free_port()}/lxl"})


def test_healthz_names_the_database_when_it_is_down(everything_down_app):
    response = everything_down_app.test_client().get(f"{IDP}/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "down", "redis": "down"}


# --- Redis down ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", [f"{IDP}/account", CHECK_SESSION])
def test_a_signed_in_page_or_frame_answers_503_while_redis_is_down(down_app, url):
    http = down_app.test_client()
    signed_in_cookie(http)
    assert_unavailable_page(http.get(url))


def test_a_page_whose_templates_read_the_session_answers_503_while_redis_is_down(down_app):
    down_app.context_processor(lambda: {"signed_in": ON_SERVER in session})
    http = down_app.test_client()
    signed_in_cookie(http)
    assert_unavailable_page(http.get(f"{IDP}/account"))


def test_a_form_posted_while_redis_is_down_answers_503_not_a_csrf_refusal(down_app):
    """The session could not be read: its CSRF token is unknown, not missing."""
    http = down_app.test_client()
    signed_in_cookie(http)
    assert_unavailable_page(http.post(f"{IDP}/signout", data={"csrf_token": "any"}))


def test_the_token_endpoint_answers_oauth_json_503_while_redis_is_down(down_app):
    # Its rate limit cannot count (fails closed), so no grant is even looked at.
    assert_unavailable_json(refresh(down_app.test_client(), "any-refresh-token"), "Redis")


def test_client_check_answers_json_any_origin_may_read_while_redis_is_down(down_app):
    response = down_app.test_client().get(
        f"{IDP}/oidc/client-check?client_id={CLIENT_ID}&origin={NGO}")
    assert_unavailable_json(response, "Redis")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("password", ["wrong-wrong-wrong", PASSWORD])
def test_passwords_are_not_checked_while_rate_limits_cannot_count(make_app, password):
    """Rate limits fail closed: without Redis, no password is tried, right or wrong."""
    app = make_app(RATELIMIT_STORAGE_URI=closed_redis_url())  # sessions stay on SQLite
    http = app.test_client()
    form = http.get(f"{IDP}/signin")
    response = http.post(f"{IDP}/signin", data={
        "csrf_token": csrf_token(form.text), "email": "ada@example.org", "password": password})
    assert_unavailable_page(response)
    assert http.get(f"{IDP}/account").status_code == 302  # not signed in: to the sign-in form


# --- the database down ---------------------------------------------------------------------

def test_userinfo_answers_oauth_json_503_while_the_database_is_down(everything_down_app):
    response = everything_down_app.test_client().get(
        f"{IDP}/oidc/userinfo", headers={"Authorization": "Bearer any-access-token"})
    assert_unavailable_json(response, "The database")


def test_the_jwks_answers_json_any_origin_may_read_while_the_database_is_down(
        everything_down_app):
    response = everything_down_app.test_client().get(f"{IDP}/oidc/jwks")
    assert_unavailable_json(response, "The database")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_frame_answers_503_while_the_database_is_down(everything_down_app, caplog):
    # Redis is down too, but a frame without a session cookie needs only the database.
    assert_unavailable_page(everything_down_app.test_client().get(CHECK_SESSION))
    assert [line["service"] for line in outage_warnings(caplog)] == ["database"]


def database_error(driver_error, connection_invalidated=False):
    """``driver_error`` as SQLAlchemy raises it from a statement."""
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, driver_error,
                                           connection_invalidated=connection_invalidated)


@pytest.mark.parametrize("driver_error", [
    psycopg.OperationalError("connection refused"),  # no answer at all: no SQLSTATE
    pg_errors.ConnectionFailure("server closed the connection"),  # 08006
    pg_errors.AdminShutdown("terminating connection due to administrator command"),
    pg_errors.CrashShutdown("terminating connection because of crash of another process"),
    pg_errors.CannotConnectNow("the database system is starting up"),
])
def test_postgresql_unreachable_or_going_away_is_an_outage(driver_error):
    assert unavailable_service(database_error(driver_error)) == "database"


@pytest.mark.parametrize("driver_error", [
    pg_errors.DeadlockDetected("deadlock detected"),
    pg_errors.SerializationFailure("could not serialize access"),
    pg_errors.QueryCanceled("canceling statement due to statement timeout"),
])
def test_a_deadlock_or_timeout_is_no_outage(driver_error):
    assert unavailable_service(database_error(driver_error)) is None
    # ... unless SQLAlchemy found the connection dead meanwhile.
    assert unavailable_service(database_error(driver_error, connection_invalidated=True)) \
        == "database"


def test_a_deadlock_in_a_view_stays_a_500_with_its_traceback(make_app, monkeypatch, caplog):
    def deadlocked():
        raise database_error(pg_errors.DeadlockDetected("deadlock detected"))
    monkeypatch.setattr(keys, "jwks", deadlocked)
    response = make_app(PROPAGATE_EXCEPTIONS=False).test_client().get(f"{IDP}/oidc/jwks")
    assert response.status_code == 500
    assert [record.exc_info[0] for record in caplog.records if record.exc_info] == \
        [sqlalchemy.exc.OperationalError]


def test_a_database_error_that_is_no_outage_stays_a_500(tmp_path):
    """A missing table is a bug to see in the logs, not an outage to wait out."""
    app = create_app({**TEST_CONFIG, "PROPAGATE_EXCEPTIONS": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert app.test_client().get(CHECK_SESSION).status_code == 500


# --- what an outage logs -------------------------------------------------------------------

@pytest.mark.parametrize("service, error, signed_in", [
    ("redis", "ConnectionError", True),  # raised opening the session, outside any view
    ("database", "OperationalError", False),  # raised in the view
])
def test_an_outage_logs_one_warning_naming_the_service_without_a_traceback(
        everything_down_app, caplog, log_lines, service, error, signed_in):
    http = everything_down_app.test_client()
    if signed_in:
        signed_in_cookie(http)
    assert_unavailable_page(http.get(CHECK_SESSION))
    assert outage_warnings(caplog) == [{"event": "service_unavailable", "request_id": ANY,
                                        "client_id": CLIENT_ID, "service": service,
                                        "error": error}]
    assert not any(record.exc_info for record in caplog.records)
    config = everything_down_app.config
    ports = (make_url(config["SQLALCHEMY_DATABASE_URI"]).port,
             urlsplit(config["LXL_REDIS_URL"]).port)
    assert not any(str(port) in line for line in log_lines() for port in ports)


def test_discovery_needs_neither_service(everything_down_app):
    # Static metadata: relying parties that start during an outage still configure themselves.
    response = everything_down_app.test_client().get(f"{IDP}/.well-known/openid-configuration")
    assert response.status_code == 200 and response.json["issuer"] == IDP
