"""Configuration defaults, and how the environment overrides them.

Everything has a default that runs on one machine (SQLite and key material in the instance
folder); production sets ``LXL_*`` environment variables. Tests pass a dict to ``create_app``.
"""

import contextlib
import os
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from .loopback import is_loopback_origin

# CONTRACT.md demo data: the sample NGO site's client at the IdP, its code-flow redirect
# path, and the path its pages post credentials to (the SDK's login_uri, also a redirect URI
# for response_mode=form_post). The NGO site signs in with them and the IdP's demo seed
# registers them; neither site imports the other, both read them here.
DEMO_CLIENT_ID = "ngo-demo"
NGO_CALLBACK_PATH = "/auth/callback"
NGO_CREDENTIAL_PATH = "/auth/credential"

# ``LXL_ENV``: ``development`` (the default: one machine, the embedded defaults) or
# ``production`` (several instances behind a proxy; ``check_production`` says what it needs).
ENVIRONMENTS = ("development", "production")
PRODUCTION = "production"
# How long a request waits for Redis before the outage is answered with a 503
# (app/health.py): a down service must not hold every thread.
SERVICE_TIMEOUT_SECONDS = 2
# How long a new PostgreSQL connection may take. Longer than Redis's: a burst that opens
# every worker's pool at once (a thousand silent sign-ins after a restart) took over 2 s on
# two busy cores, while a stopped PostgreSQL refuses at once (an outage is still quick to
# answer); only an unreachable host waits this long.
DATABASE_CONNECT_TIMEOUT_SECONDS = 10
# The shortest LXL_SECRET_KEY production accepts (token_urlsafe(48) gives 64).
SECRET_KEY_MIN_LENGTH = 32
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
# The URLs of a Redis server, which every instance can share (redis-py, and the limits
# library behind Flask-Limiter, read both).
REDIS_URL_PREFIXES = ("redis://", "rediss://")


def load_config(app, test_config=None):
    """Fill ``app.config`` from defaults, the environment, then ``test_config``."""
    port = started_port()
    redis_url = os.environ.get("LXL_REDIS_URL")
    environment = os.environ.get("LXL_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise RuntimeError(f"LXL_ENV={environment!r} is neither of {', '.join(ENVIRONMENTS)}: "
                           "set one of them, or unset it for development.")
    production = environment == PRODUCTION
    app.config.from_mapping(
        LXL_ENV=environment,
        LXL_REDIS_URL=redis_url,
        # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host it trusts
        # (app/proxy.py): one in production (the proxy on the same machine), none otherwise.
        LXL_PROXY_HOPS=_proxy_hops(1 if production else 0),
        # The addresses (or networks) of the nearest proxy, the only peer whose forwarded
        # headers are believed: by default the proxy on the same machine.
        LXL_TRUSTED_PROXIES=os.environ.get("LXL_TRUSTED_PROXIES", "127.0.0.1,::1"),
        LXL_IDP_ORIGIN=os.environ.get("LXL_IDP_ORIGIN", f"http://id.localhost:{port}"),
        LXL_NGO_ORIGIN=os.environ.get("LXL_NGO_ORIGIN", f"http://ngo.localhost:{port}"),
        # Plain HTTP for the authorization server, on loopback names only (app/loopback.py):
        # unset, it is on exactly when both origins are loopback.
        LXL_INSECURE_LOOPBACK_HTTP=_env_flag("LXL_INSECURE_LOOPBACK_HTTP"),
        # The client the NGO site signs in with (another one registered by hand, in production).
        LXL_NGO_CLIENT_ID=os.environ.get("LXL_NGO_CLIENT_ID", DEMO_CLIENT_ID),
        # How long "Stay signed in" keeps an IdP session (seed 004, CONTRACT: 30 days).
        LXL_SESSION_LIFETIME=timedelta(days=int(os.environ.get("LXL_SESSION_DAYS", "30"))),
        # Without "Stay signed in" a session ends with the browser, and on the server after
        # this at the latest (a shared computer whose browser is never closed).
        LXL_BROWSER_SESSION_LIFETIME=timedelta(
            hours=int(os.environ.get("LXL_BROWSER_SESSION_HOURS", "12"))),
        # Retired signing keys stay in the JWKS this long, so tokens they signed (and old
        # id_token_hint values) still verify.
        LXL_KEY_RETENTION=timedelta(days=int(os.environ.get("LXL_KEY_RETENTION_DAYS", "30"))),
        LXL_ID_TOKEN_LIFETIME=timedelta(hours=1),
        # How long a process keeps a client's registration and the current signing key
        # before reading them again: a change made elsewhere reaches every instance within
        # this many seconds (app/idp/caches.py).
        LXL_CACHE_SECONDS=float(os.environ.get("LXL_CACHE_SECONDS", "5")),
        # Argon2id parameters, by name from argon2.profiles (RFC 9106 §4, second choice).
        LXL_PASSWORD_PROFILE="RFC_9106_LOW_MEMORY",
        # Argon2 computations at once (each takes the profile's memory, 64 MiB): more
        # requests wait their turn rather than exhaust the machine's memory.
        LXL_PASSWORD_HASH_CONCURRENCY=int(
            os.environ.get("LXL_PASSWORD_HASH_CONCURRENCY", os.cpu_count() or 1)),
        LXL_ACCESS_TOKEN_LIFETIME=timedelta(hours=1),
        # A used refresh token still works this long, so two tabs refreshing at once both
        # succeed; presented later, it is a replay and revokes its family (RFC 9700 §4.14.2).
        LXL_REFRESH_GRACE_SECONDS=int(os.environ.get("LXL_REFRESH_GRACE_SECONDS", "5")),
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "LXL_DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'lxl.db'}"
        ),
        # Production never makes its own: every instance must sign with the same key.
        SECRET_KEY=os.environ.get("LXL_SECRET_KEY") or (None if production
                                                         else _instance_secret(app)),
        SESSION_TYPE=os.environ.get("LXL_SESSION_TYPE", "sqlalchemy"),
        SESSION_PERMANENT=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it is bound to
        # Where mail goes (app/idp/mail.py): unset on loopback origins, the local outbox.
        LXL_SMTP_URL=os.environ.get("LXL_SMTP_URL"),
        LXL_MAIL_FROM=os.environ.get("LXL_MAIL_FROM"),
        # No body this app accepts comes near it; a larger one is refused with 413 before
        # it is read into memory.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # Rate limits (idp/rate_limits.py), in the ``limits`` notation. They count failures;
        # shared by every process through Redis in production.
        RATELIMIT_STORAGE_URI=os.environ.get("LXL_RATELIMIT_STORAGE_URL") or redis_url
        or "memory://",
        RATELIMIT_STRATEGY="moving-window",
        # While the counts' storage (Redis) is down, rate limits fail closed: a count that
        # cannot be taken raises, and the request is answered 503 (app/health.py) — never
        # let through uncounted, never counted per process. Redis also holds the signed-in
        # sessions, so a sign-in could not complete meanwhile anyway.
        RATELIMIT_SWALLOW_ERRORS=False,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False,
        LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT="10 per 15 minutes",
        LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="50 per 15 minutes",
        LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS="20 per hour",
        LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT="30 per minute",
        # The SDK fetches client-check at most once per page load; this is far above what
        # a thousand concurrent page loads from one address need.
        LXL_RATELIMIT_CLIENT_CHECKS_PER_ADDRESS="3000 per minute",
        # Mails for a new password to one address, over a day (an hour's: rate_limits.py).
        LXL_RATELIMIT_RESETS_PER_ACCOUNT_DAILY="6 per day",
        # Logs (app/logs.py): the lowest level written; where (a file, else standard error);
        # json or text (unset: text on a terminal, JSON anywhere else).
        LXL_LOG_LEVEL=os.environ.get("LXL_LOG_LEVEL", "INFO"),
        LXL_LOG_FILE=os.environ.get("LXL_LOG_FILE"),
        LXL_LOG_FORMAT=os.environ.get("LXL_LOG_FORMAT"),
    )
    if redis_url:
        import redis

        app.config.update(SESSION_TYPE="redis",
                          SESSION_REDIS=redis.from_url(redis_url, **redis_options()))
    if test_config:
        app.config.update(test_config)
    if uses_redis_for_rate_limits(app.config):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_options())
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {
            # A pooled connection that a PostgreSQL restart closed is found and replaced
            # before use, so recovery after a restart needs nothing and shows no error.
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": DATABASE_CONNECT_TIMEOUT_SECONDS},
        })
    # A database error's message would quote the statement's values (tokens, codes, emails)
    # wherever it is shown or logged: SQLAlchemy leaves them out of it.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "hide_parameters": True}
    # One setting, two readers: Flask's permanent cookies and Flask-Session's stored rows.
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["LXL_SESSION_LIFETIME"]
    if app.config["LXL_ENV"] == PRODUCTION:
        check_production(app.config)


def uses_redis_for_rate_limits(config):
    """Whether rate-limit counts are kept in Redis (else in a store of each process's own)."""
    return config["RATELIMIT_STORAGE_URI"].startswith(REDIS_URL_PREFIXES)


def redis_options():
    """Return the options of every Redis client: fail fast while Redis is down.

    A short timeout, and one immediate retry (a pooled connection that a Redis restart
    closed fails once, then the retry reconnects) instead of redis-py's default three
    with back-off of up to ten seconds, which would hold a request thread meanwhile.
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_timeout": SERVICE_TIMEOUT_SECONDS,
            "socket_connect_timeout": SERVICE_TIMEOUT_SECONDS,
            "retry": Retry(NoBackoff(), 1)}


def check_production(config):
    """Refuse to start in production mode without what several instances must share.

    Raise ``RuntimeError`` naming the setting and how to fix it.
    """
    secret = config.get("SECRET_KEY")
    if not secret or len(secret) < SECRET_KEY_MIN_LENGTH:
        raise RuntimeError(
            "LXL_ENV=production needs LXL_SECRET_KEY: the same random value, at least "
            f"{SECRET_KEY_MIN_LENGTH} characters, on every instance (sessions signed by one "
            f"are read by another). Make one with {MAKE_SECRET} and keep it secret.")
    for name in ("LXL_IDP_ORIGIN", "LXL_NGO_ORIGIN"):
        origin = config[name]
        if urlsplit(origin).scheme != "https" and not is_loopback_origin(origin):
            raise RuntimeError(
                f"{name}={origin!r}: in production every origin that is not a loopback name "
                f"(*.localhost) must use https. Set {name}=https://… and terminate TLS in "
                "the proxy in front.")
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        raise RuntimeError(
            "LXL_ENV=production needs PostgreSQL, which every instance shares: set "
            "LXL_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE.")
    if not config.get("LXL_REDIS_URL"):
        raise RuntimeError(
            "LXL_ENV=production needs Redis for sessions and rate-limit counts, which every "
            "instance shares: set LXL_REDIS_URL=redis://HOST:6379/0.")
    if not uses_redis_for_rate_limits(config):
        # The scheme only: the rest of a storage URL may hold a password.
        scheme = urlsplit(config["RATELIMIT_STORAGE_URI"]).scheme
        raise RuntimeError(
            f"LXL_RATELIMIT_STORAGE_URL is a {scheme}:// URL: in production the rate-limit "
            "counts must be shared by every instance in Redis, or each instance would allow "
            "the limit again. Set it to redis://HOST:6379/1 (or rediss://…), or unset it to "
            "keep the counts in LXL_REDIS_URL.")


def started_port():
    """Return the port the app is started on, which both local origins follow (CONTRACT.md).

    ``PORT`` wins; ``flask run --port P`` passes the port only on its command line, so it is
    read from there; else Flask's own ``FLASK_RUN_PORT``; else 5000.
    """
    if "PORT" in os.environ:
        return int(os.environ["PORT"])
    argv = sys.argv
    if "run" in argv:
        for flag in ("--port", "-p"):
            if flag in argv[:-1]:
                return int(argv[argv.index(flag) + 1])
        for arg in argv:
            if arg.startswith("--port="):
                return int(arg.split("=", 1)[1])
    return int(os.environ.get("FLASK_RUN_PORT", "5000"))


def _proxy_hops(default):
    """Return ``LXL_PROXY_HOPS``, a count of proxies, or ``default`` when it is unset."""
    value = os.environ.get("LXL_PROXY_HOPS")
    if value is None:
        return default
    try:
        hops = int(value)
    except ValueError:
        hops = -1
    if hops < 0:
        raise RuntimeError(
            f"LXL_PROXY_HOPS={value!r} is not a number of proxies: set it to how many proxies "
            "in front of the app append to X-Forwarded-For (1 for one proxy, such as "
            "bin/production's HAProxy; 2 for a TLS terminator in front of that proxy), or 0 "
            "for none.")
    return hops


def _env_flag(name):
    """Return an on/off environment variable as a bool, or ``None`` when it is unset."""
    value = os.environ.get(name)
    if value is None:
        return None
    if value.lower() in ("1", "true", "on", "yes"):
        return True
    if value.lower() in ("0", "false", "off", "no"):
        return False
    raise RuntimeError(f"{name}={value!r} is neither on nor off: set it to 1 or 0, or unset it.")


def _instance_secret(app):
    """Return this installation's secret key, creating it in the instance folder once.

    Every process of one installation reads the same file, so sessions signed by one are
    valid in another; production sets ``LXL_SECRET_KEY`` instead.
    """
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    return secret_in_file(path)


def secret_in_file(path):
    """Return the secret key in file ``path``, first creating it (mode 0600) if absent or empty.

    The key is written to a temporary file, then linked into place: a process that starts
    meanwhile reads the whole key or none (an empty file, left by a crash, counts as none),
    and of several creating it at once one wins and every one returns that key.
    """
    path = Path(path)
    if key := _read_secret(path):
        return key
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as key_file:
            key_file.write(secrets.token_urlsafe(48))
            key_file.flush()
            os.fsync(key_file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            if not _read_secret(path):  # empty: no process can have used it
                os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return _read_secret(path)


def _read_secret(path):
    try:
        return Path(path).read_text().strip()
    except FileNotFoundError:
        return ""
