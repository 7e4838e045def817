"""The services the app needs, PostgreSQL (or SQLite) and Redis: ``/healthz``, and 503s.

- ``GET /healthz`` on the IdP host checks both — ``SELECT 1`` on a pooled connection and,
  when Redis is configured, ``PING`` (``redis``), and ``PING`` to the rate-limit counts'
  Redis too when that is another one (``rate_limits``) — and answers 200
  ``{"status": "ok", …}`` or 503 ``{"status": "unavailable", "database": "down", …}``
  naming what is down. It is never cached, counted by no rate limit and reads no
  session, so a proxy may ask every second.
- While a service is down, a request that needs it is answered 503 with ``Retry-After``,
  never a 500 with a traceback, and logged as one ``service_unavailable`` warning naming
  the service: OAuth JSON ``temporarily_unavailable`` (RFC 6749 §4.1.2.1) from the
  endpoints clients call with tokens (and from client-check and the JWKS, readable by any
  origin like their other answers), an HTML page from every other page and frame.
  Nothing is written to the session meanwhile (``note_outage``). The app recovers by
  itself when the service is back: a stale pooled database connection is replaced before
  use (``pool_pre_ping``, app/config.py), and Redis clients reconnect on their next command.

Rate limits fail closed while Redis is down (app/config.py says why): their counts raise
the same Redis errors, and so answer 503 too.
"""

import psycopg
import redis
import sqlalchemy.exc
from flask import current_app, g, jsonify, render_template, request
from sqlalchemy import text
from werkzeug.exceptions import InternalServerError

from . import logs
from .config import redis_options, uses_redis_for_rate_limits
from .extensions import db
from .sites import origin_host

# How long a client should wait before trying again: Redis and PostgreSQL restart in seconds.
RETRY_AFTER_SECONDS = 5
# The endpoints OAuth clients call with tokens or credentials; they speak OAuth JSON.
OAUTH_JSON_PATHS = ("/oidc/token", "/oidc/userinfo", "/oidc/revoke")
# What any origin may read (the SDK's client-check, CONTRACT.md; the JWKS, which clients
# fetch to verify ID tokens), so that a client can tell an outage from a refusal.
PUBLIC_JSON_PATHS = ("/oidc/client-check", "/oidc/jwks")
NO_STORE = {"Cache-Control": "no-store"}
# Where app.extensions keeps the Redis clients /healthz pings.
REDIS_CHECKS = "lxl.health_redis_checks"
# The name on ``g`` of the outage this request met, which the session interface honours.
NOTED_OUTAGE = "lxl_noted_outage"
SERVICE_NAMES = {"database": "the database", "redis": "Redis"}

REDIS_OUTAGES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# The exceptions that may mean an outage; ``unavailable_service`` tells.
OUTAGE_CANDIDATES = (*REDIS_OUTAGES, sqlalchemy.exc.TimeoutError, sqlalchemy.exc.DBAPIError)
# PostgreSQL's SQLSTATEs (Appendix A) that mean it is unreachable or going away: class 08,
# connection exception; admin_shutdown, crash_shutdown and cannot_connect_now.
CONNECTION_EXCEPTION_CLASS = "08"
SERVER_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})


def unavailable_service(error):
    """Return ``"database"`` or ``"redis"`` if ``error`` means that service is down, else None.

    The database is down when no pooled connection could be had in time, when SQLAlchemy
    found the connection dead, or when PostgreSQL could not be reached or is going away
    (``_database_is_down``). Everything else stays a 500, to be seen and fixed: psycopg's
    other ``OperationalError``s (a deadlock, a serialization failure, a cancelled or
    timed-out statement) come from the app's own queries, and SQLite's ``OperationalError``
    also means a missing table or bad SQL.
    """
    if isinstance(error, REDIS_OUTAGES):
        return "redis"
    if isinstance(error, sqlalchemy.exc.TimeoutError) or (
            isinstance(error, sqlalchemy.exc.DBAPIError) and (
                error.connection_invalidated or _database_is_down(error.orig))):
        return "database"
    return None


def _database_is_down(driver_error):
    """Whether psycopg's ``driver_error`` says PostgreSQL cannot be reached or is going away.

    No SQLSTATE: the server never answered (refused, timed out, closed the connection);
    class 08, connection exception; or PostgreSQL shutting down or still starting up.
    """
    if not isinstance(driver_error, psycopg.OperationalError):
        return False
    sqlstate = driver_error.sqlstate
    return (sqlstate is None or sqlstate.startswith(CONNECTION_EXCEPTION_CLASS)
            or sqlstate in SERVER_GOING_AWAY)


def note_outage(error):
    """Remember that this request met ``error``'s outage: its session is then not saved."""
    setattr(g, NOTED_OUTAGE, error)


def noted_outage():
    """Return the outage this request met (``note_outage``), or None."""
    return g.get(NOTED_OUTAGE)


def answer_noted_outage():
    """Before anything else reads the session: answer an outage met while opening it.

    The session interface notes such an outage and opens an empty session in its stead, so
    that whatever renders the 503 may read it; the request itself must not go on as if
    nobody were signed in (or its CSRF token were missing).
    """
    if (error := noted_outage()) is not None:
        raise error


def healthz():
    """Check the database and Redis; 200 when all answer, else 503 naming what is down."""
    checks = {"database": _database_answers()}
    for name, client in current_app.extensions[REDIS_CHECKS].items():
        checks[name] = _redis_answers(client)
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable",
            **{name: "ok" if up else "down" for name, up in checks.items()}}
    return jsonify(body), 200 if healthy else 503, NO_STORE


def _database_answers():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except sqlalchemy.exc.SQLAlchemyError:
        return False


def _redis_answers(client):
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False


def service_unavailable(error):
    """Answer an outage of ``error``'s service with a 503 in the endpoint's language."""
    service = unavailable_service(error)
    # The one line an outage logs per request (the app's log_exception skips outages): the
    # exception's class only, as a driver's message may carry a host, port or password.
    logs.event("service_unavailable", service=service, error=type(error).__name__)
    # Whatever the session held stays as it was: no write is tried while a service is down.
    note_outage(error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), **NO_STORE}
    if request.path in (*OAUTH_JSON_PATHS, *PUBLIC_JSON_PATHS):
        if request.path in PUBLIC_JSON_PATHS:
            headers["Access-Control-Allow-Origin"] = "*"
        return jsonify(error="temporarily_unavailable", error_description=(
            f"{SERVICE_NAMES[service].capitalize()} is unavailable: retry after "
            f"{RETRY_AFTER_SECONDS} seconds.")), 503, headers
    page = render_template("error.html", title="Temporarily unavailable", message=(
        "LxL ID cannot answer right now. Nothing you did caused this: please try again in "
        "a moment."), error="temporarily_unavailable")
    return page, 503, headers


def server_error(error):
    """Answer a 500 whose cause is an outage as that outage's 503; any other as a 500.

    Flask sends an exception raised outside the view (saving a session on Redis) here, not
    to the handlers registered for its class.
    """
    cause = getattr(error, "original_exception", None)
    if cause is not None and unavailable_service(cause):
        return service_unavailable(cause)
    return error


def init_app(app):
    """Serve ``/healthz`` on the IdP host; answer outages with 503s."""
    app.add_url_rule("/healthz", "healthz", healthz,
                     host=origin_host(app.config["LXL_IDP_ORIGIN"]))
    app.extensions[REDIS_CHECKS] = _redis_checks(app.config)
    for outage in OUTAGE_CANDIDATES:
        app.register_error_handler(outage, _outage_or_raise)
    # First of all, before CSRF protection or a rate limit reads the session.
    app.before_request_funcs.setdefault(None, []).insert(0, answer_noted_outage)
    app.register_error_handler(InternalServerError, server_error)


def _redis_checks(config):
    """Return the Redis clients ``/healthz`` pings, by the name it reports them under."""
    checks = {}
    if config.get("LXL_REDIS_URL"):
        checks["redis"] = config["SESSION_REDIS"]
    if uses_redis_for_rate_limits(config) and \
            config["RATELIMIT_STORAGE_URI"] != config.get("LXL_REDIS_URL"):
        checks["rate_limits"] = redis.from_url(config["RATELIMIT_STORAGE_URI"],
                                               **redis_options())
    return checks


def _outage_or_raise(error):
    """Answer a view's outage as a 503; re-raise any other database error (a real bug)."""
    if unavailable_service(error):
        return service_unavailable(error)
    raise error
