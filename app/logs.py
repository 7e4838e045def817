"""Structured logs: one line per request and one per protocol event (issue 13).

Every line is one JSON object (or, on a terminal, the same fields as text) written by the
``lxl`` logger, or by the app's own (Flask's ``app.logger`` and the ``app.*`` modules',
``{"logger": …, "message": …}``), through one handler. An exception is logged by its type
and traceback frames, never its message (a database error's quotes the row):

- the request line, when the response is ready::

    {"time": "2026-12-01T05:20:01.123Z", "level": "info", "event": "request",
     "request_id": "3f2a…", "method": "GET", "host": "id.localhost:5000",
     "path": "/oidc/authorize", "params": ["client_id", "nonce", "prompt", …],
     "status": 200, "duration_ms": 3.1, "remote_addr": "127.0.0.1",
     "client_id": "ngo-demo", "user": "9c1e4b0a7d3f2e61"}

  ``level`` is ``error`` for a 5xx answer, else ``info``; ``duration_ms`` runs from the
  request reaching the app to the app returning its response (the body of a streamed response
  is not included). ``client_id`` appears when the request names a client (its query, its
  already-parsed form, or the user name of HTTP Basic credentials): as named if it has a
  client id's form (clients.CLIENT_ID), else ``(other)``; ``user`` when the request
  acted for someone (an event below named them).
- a protocol event, where it happens (``event(name, **fields)``; the names are ``EVENTS``),
  each with the request's ``request_id``, ``client_id`` and ``user`` where there is one:

  - ``silent_signin``, one per ``prompt=none`` request, at ``/oidc/authorize`` or in the
    status frame: ``outcome`` ``credential`` (once issued); ``logged_out`` with the
    ``reason`` of oidc/reasons.py, including ``third_party_cookies_blocked``, where the frame
    says ``unknown``; or ``error`` with the OAuth ``error`` of a malformed request;
  - ``consent_granted`` (``scope``), ``consent_withdrawn`` (also for each consent of a
    deleted account), ``refresh_rotated``, ``refresh_reuse_detected``,
    ``code_reuse_detected``;
  - ``logout`` once sessions have ended: ``scope`` ``browser`` (this browser; with the
    ``client_id`` of an RP-initiated logout) or ``everywhere`` (signing out everywhere, a
    password changed or reset, an account deleted); none when no session was live;
    ``account_deleted``;
  - ``rate_limited`` (which ``limit``, by its setting's name: ``token_failures_per_client``
    for ``LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT``),
    ``key_rotated`` (``kid``), ``frame_refused`` (``reason``), ``mail_not_sent`` (the
    exception's type as ``error``, and the server's ``smtp_code`` if it answered one),
    ``service_unavailable`` (health.py: a 503 because a service the app needs is down);
  - the One-Tap card's ``card`` (``displayed``, else its not-displayed ``reason``) and
    ``card_dismissed``.

  Events that tell of an attack, of a refused client, of mail not sent or of an outage
  (``WARNING_EVENTS``) are ``warning``.

``request_id`` is the incoming ``X-Request-Id`` when the request came through the proxy in
front (``LXL_PROXY_HOPS`` > 0, and ``ProxyFix`` believed this request's forwarded headers),
which sets it so that its log and ours share it, and it is a short token of safe characters;
else a new random one: a client talking to the app directly does not choose what its lines
are found by. Every response carries it back as ``X-Request-Id``. ``remote_addr`` is the
client's address as the app sees it, after any ``ProxyFix``.

Privacy: no line ever holds a query string, a form value (but a ``client_id``), a cookie, a
header (but the proxy's ``X-Request-Id``, and a Basic user name as ``client_id``), a token,
a code, a password, an email address, the pairwise ``sub`` or an exception's message. The
path is logged without its query: of the parameters only their sorted names (``params``),
and only names some part of the app reads (``KNOWN_PARAMETERS``; any other is ``(other)``:
a bare ``?<token>`` would otherwise land in the log). A ``client_id`` or an ``error``
someone sent is logged only if it has the form of one (else ``(other)``). ``user`` is an
opaque reference: the first 16 hex digits of HMAC-SHA256 of the user's database id, keyed
with a key derived from ``SECRET_KEY`` — stable across instances that share the secret,
linking the lines of one person without naming them, and useless to anyone without the
secret. SQLAlchemy leaves statement parameters out of its errors (``hide_parameters``);
Authlib's logger stays at ``INFO`` or above (at ``DEBUG`` it logs token responses); the
development servers' own request lines are not written (app/serving.py for ``python
wsgi.py``, ``WithoutDevServerRequestLines`` for ``flask run``).

Configuration (app/config.py): ``LXL_LOG_LEVEL`` (default ``INFO``), ``LXL_LOG_FILE``
(default standard error; a file is reopened when logrotate moves it), ``LXL_LOG_FORMAT``
``json`` or ``text`` (default: text when writing to a terminal — ``python wsgi.py`` by hand
— and JSON anywhere else: gunicorn, a file, a pipe, CI). These loggers pass their records on
to the root logger only under test (``TESTING``, for pytest's ``caplog``): a root handler
(gunicorn's ``--log-config``, say) would otherwise write every line a second time, in its
own format. One app per process: the last ``init_app`` decides the handler.
"""

import hashlib
import hmac
import json
import logging
import logging.handlers
import re
import secrets
import sys
import time
import traceback
from urllib.parse import unquote

import flask.logging
from flask import current_app, has_request_context, request
from werkzeug.exceptions import BadRequest

LOGGER = logging.getLogger("lxl")
REQUEST_ID_HEADER = "X-Request-Id"
FORMATS = ("json", "text")
# The protocol events (see above): event() logs no other name, and the README lists these.
EVENTS = frozenset({
    "silent_signin", "consent_granted", "consent_withdrawn", "refresh_rotated",
    "refresh_reuse_detected", "code_reuse_detected", "logout", "account_deleted",
    "rate_limited", "key_rotated", "frame_refused", "mail_not_sent", "service_unavailable",
    "card", "card_dismissed"})
WARNING_EVENTS = frozenset({"refresh_reuse_detected", "code_reuse_detected", "rate_limited",
                            "frame_refused", "mail_not_sent", "service_unavailable"})
# A proxy's request id is logged as it came only if it is this: short, and characters that
# no log reader or terminal will misread (nginx's $request_id, HAProxy's unique-id-format).
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The query parameter names listed as sent: those some part of the app reads. Any other is
# listed as UNLISTED_PARAMETER: a name nobody reads may be a value sent without a name
# (``?<token>``), which no pattern tells from a name. tests/test_logs.py holds the modules'
# own lists to this one.
KNOWN_PARAMETERS = frozenset({
    # OAuth 2.0 and OpenID Connect requests (parameters.py), PKCE, RP-initiated logout
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "response_mode",
    "prompt", "max_age", "login_hint", "id_token_hint", "code_challenge",
    "code_challenge_method", "display", "ui_locales", "claims_locales", "acr_values",
    "claims", "request", "request_uri", "registration", "post_logout_redirect_uri",
    "logout_hint",
    # the token, revocation and introspection endpoints' (read from the form, where sent)
    "grant_type", "code", "code_verifier", "refresh_token", "token", "token_type_hint",
    "client_secret", "client_assertion", "client_assertion_type",
    # answers to the client (the NGO site's callback), RFC 6749 §4.1.2, §4.2.2, RFC 9207
    "iss", "session_state", "error", "error_description", "error_uri", "id_token",
    "access_token", "token_type", "expires_in",
    # the SDK's frames: button options and switches (button_frame.py), the framing origin
    "origin", "type", "theme", "size", "text", "shape", "logo_alignment", "width",
    "itp_support", "ask_storage_access",
    # the app's own pages: return paths, the sign-in mark, mailed links, prefilled forms
    "next", "lxl_sign_in", "email",
})
UNLISTED_PARAMETER = "(other)"
# An OAuth error code (RFC 6749 §4.1.2.1, §5.2): anything else in an ``error`` field came
# from someone who may have put a token or an address there.
OAUTH_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
# The per-request fields, in the WSGI environ: the request line's dict, filled as it goes.
_FIELDS = "lxl.log"
_PROXY_FIX_ORIGINALS = "werkzeug.proxy_fix.orig"
_USER_KEY = "lxl.log_user_key"
_KEY_PURPOSE = b"lxl.logs.user-reference"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, then the record's ``lxl`` fields."""

    def format(self, record):
        line = {"time": _timestamp(record), "level": record.levelname.lower()}
        line.update(getattr(record, "lxl", None)
                    or {"logger": record.name, "message": record.getMessage()})
        if record.exc_info:
            line["exception"] = _exception_without_messages(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


class TextFormatter(logging.Formatter):
    """One readable line per record, for a person watching a terminal."""

    def format(self, record):
        fields = dict(getattr(record, "lxl", None)
                      or {"event": f"{record.name}: {record.getMessage()}"})
        event = fields.pop("event")
        if event == "request":
            head = (f"{fields.pop('status')} {fields.pop('method')} {fields.pop('host')}"
                    f"{fields.pop('path')} {fields.pop('duration_ms')} ms")
        else:
            head = event
        rest = " ".join(f"{name}={value}" for name, value in fields.items())
        text = f"{_timestamp(record)} {record.levelname:<7} {head} {rest}".rstrip()
        if record.exc_info:
            text += "\n" + _exception_without_messages(record.exc_info)
        return text


def _exception_without_messages(exc_info):
    """Return the traceback of ``exc_info`` (and of the exceptions it was raised from) with
    each exception's type but not its message.

    Messages carry data: a database error's holds the statement's parameters (tokens, codes),
    PostgreSQL's DETAIL the conflicting row (an email address), an SMTP error the recipient.
    The type and the frames say where it broke; the data stays out of the log.
    """
    parts, seen = [], set()
    error = exc_info[1]
    while error is not None and id(error) not in seen:  # a chain may loop back on itself
        seen.add(id(error))
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        kind = type(error)
        name = (kind.__qualname__ if kind.__module__ == "builtins"
                else f"{kind.__module__}.{kind.__qualname__}")
        parts.append(f"Traceback (most recent call last):\n{frames}{name}")
        if error.__cause__ is not None:
            error, link = error.__cause__, "which was the direct cause of"
        elif error.__context__ is not None and not error.__suppress_context__:
            error, link = error.__context__, "during whose handling came"
        else:
            break
        parts.append(link)
    return "\n".join(reversed(parts))


def _timestamp(record):
    """ISO 8601 in UTC, to the millisecond."""
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z")


def event(name, user=None, **fields):
    """Log the protocol event ``name`` with ``fields`` (``None`` values left out).

    ``user`` (a ``User``) is logged as its opaque reference and also marks this request's
    line; a ``client_id`` given here does too. Never pass a token, a code, a password or an
    email address: this line is kept where many can read it.
    """
    assert name in EVENTS, f"{name!r} is not in logs.EVENTS: add it there, and to the README"
    level = logging.WARNING if name in WARNING_EVENTS else logging.INFO
    if not LOGGER.isEnabledFor(level):
        return
    line = {"event": name}
    if has_request_context() and (request_line := request.environ.get(_FIELDS)) is not None:
        line["request_id"] = request_line["request_id"]
        if user is not None:
            request_line["user"] = user_reference(user)
        if fields.get("client_id") is not None:
            request_line["client_id"] = fields["client_id"]
        if "client_id" not in request_line:
            request_line["client_id"] = _named_client_id()
        if request_line["client_id"] is not None:
            line["client_id"] = request_line["client_id"]
        if "user" in request_line:
            line["user"] = request_line["user"]
    elif user is not None:
        line["user"] = user_reference(user)
    line.update((key, value) for key, value in fields.items() if value is not None)
    _write(level, line)


def error_code(error):
    """Return ``error`` if it is an OAuth error code, else ``(other)``: what a log may say of
    an ``error`` another party sent."""
    return error if error is not None and OAUTH_ERROR_CODE.fullmatch(error) \
        else UNLISTED_PARAMETER


def user_reference(user):
    """Return the opaque reference to ``user`` that logs carry instead of who they are."""
    keyed = current_app.extensions[_USER_KEY].copy()  # keyed once, in init_app
    keyed.update(str(user.id).encode())
    return keyed.hexdigest()[:16]


def _write(level, line):
    """Log ``line`` at ``level`` (the caller has checked that level is enabled).

    Not ``LOGGER.log``: it walks the stack on every call for the caller's file and line,
    which no line here shows.
    """
    LOGGER.handle(LOGGER.makeRecord(LOGGER.name, level, "", 0, line["event"], (), None,
                                    extra={"lxl": line}))


def _named_client_id():
    """Return the client_id this request names, if any (see the module's docstring), or
    ``(other)`` if what it names is not a client id: anyone can send any text there.

    Only a form the app has parsed already is looked at: the log reads no body itself.
    """
    # Here, not at the top: app.idp imports this module, which app/__init__.py loads first.
    from .idp.clients import CLIENT_ID
    try:
        client_id = request.args.get("client_id")
    except BadRequest:  # a query string that is not UTF-8 (app/request.py answers 400)
        return None
    if client_id is None and "form" in request.__dict__:
        client_id = request.form.get("client_id")
    if client_id is None and request.authorization is not None \
            and request.authorization.type == "basic":
        # RFC 6749 §2.3.1: the client_id is form-encoded before it goes into Basic.
        client_id = unquote(request.authorization.username or "") or None
    return client_id if client_id is None or CLIENT_ID.fullmatch(client_id) \
        else UNLISTED_PARAMETER


def _describe_request(_error=None):
    """Fill this request's line with what only the request object knows, before it goes."""
    line = request.environ.get(_FIELDS)
    if line is None:
        return
    line["path"] = request.path
    try:
        names = request.args.keys()
    except BadRequest:  # a query string that is not UTF-8 (app/request.py answered 400)
        names = ()
    if names:
        line["params"] = sorted({name if name in KNOWN_PARAMETERS else UNLISTED_PARAMETER
                                 for name in names})
    if "client_id" not in line:
        line["client_id"] = _named_client_id()
    if line["client_id"] is None:
        del line["client_id"]
    line["remote_addr"] = request.remote_addr


class RequestLog:
    """WSGI middleware: a request id for every request, and its line once it is answered.

    ``behind_proxy``: whether a proxy in front sets ``X-Request-Id`` (``LXL_PROXY_HOPS``).
    """

    def __init__(self, wsgi_app, behind_proxy):
        self.wsgi_app = wsgi_app
        self.behind_proxy = behind_proxy

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        # ProxyFix (app/proxy.py, around this middleware) keeps the headers it rewrote here,
        # only for a request it believed came through the proxy.
        from_proxy = self.behind_proxy and _PROXY_FIX_ORIGINALS in environ
        request_id = (incoming if from_proxy and _SAFE_REQUEST_ID.fullmatch(incoming)
                      else secrets.token_hex(16))
        # The raw path until the app has decoded it (_describe_request); 500 until answered.
        line = environ[_FIELDS] = {"event": "request", "request_id": request_id,
                                   "method": environ.get("REQUEST_METHOD"),
                                   "host": environ.get("HTTP_HOST"),
                                   "path": environ.get("PATH_INFO"), "status": 500}

        def start_with_request_id(status, headers, exc_info=None):
            line["status"] = int(status[:3])
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start_with_request_id)
        finally:
            line["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
            level = logging.ERROR if line["status"] >= 500 else logging.INFO
            if LOGGER.isEnabledFor(level):
                _write(level, line)


def _handler(config):
    """Return the handler ``config`` asks for: its destination, level and format."""
    level_name = str(config["LXL_LOG_LEVEL"]).upper()
    if not isinstance(logging.getLevelName(level_name), int):
        raise RuntimeError(f"LXL_LOG_LEVEL={config['LXL_LOG_LEVEL']!r} is not a log level: "
                           "set it to DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    path = config["LXL_LOG_FILE"]
    try:
        handler = (logging.handlers.WatchedFileHandler(path, encoding="utf-8") if path
                   else logging.StreamHandler(sys.stderr))
    except OSError as error:
        raise RuntimeError(f"LXL_LOG_FILE={path!r} cannot be written ({error.strerror}): "
                           "name a file in a directory this user may write to, or unset "
                           "it to log to standard error.") from None
    log_format = config["LXL_LOG_FORMAT"] or (
        "text" if not path and sys.stderr.isatty() else "json")
    if log_format not in FORMATS:
        raise RuntimeError(f"LXL_LOG_FORMAT={log_format!r} is not a log format: set it to "
                           "json or text, or unset it (text on a terminal, else JSON).")
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler, logging.getLevelName(level_name)


class WithoutDevServerRequestLines(logging.Filter):
    """Drop the lines Werkzeug's development server (``flask run``) writes about a request:
    its request line, and a malformed one quoted whole, carry the query string."""

    # Werkzeug's WSGIRequestHandler.log starts every line "<address> - - [<date>] ".
    _REQUEST_LINE = re.compile(r"\S+ - - \[[^\]]*\] ")

    def filter(self, record):
        return not self._REQUEST_LINE.match(str(record.msg))


def init_app(app):
    """Log every request of ``app``, its protocol events and its own messages (Flask's
    ``app.logger`` and the ``app.*`` modules' loggers) as the configuration says."""
    handler, level = _handler(app.config)
    handler.lxl_handler = True
    # Flask's own handler would also print the app's messages, and tracebacks with their
    # exceptions' messages, to standard error.
    app.logger.removeHandler(flask.logging.default_handler)
    for logger in {LOGGER, app.logger, logging.getLogger(__package__)}:
        for previous in [h for h in logger.handlers if getattr(h, "lxl_handler", False)]:
            logger.removeHandler(previous)
            previous.close()
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = app.testing
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, WithoutDevServerRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(WithoutDevServerRequestLines())
    # Authlib logs whole token responses at DEBUG ("Issue token %r to %r"): never below INFO.
    logging.getLogger("authlib").setLevel(max(level, logging.INFO))
    secret = app.secret_key
    key = hmac.new(secret if isinstance(secret, bytes) else secret.encode(), _KEY_PURPOSE,
                   hashlib.sha256).digest()
    app.extensions[_USER_KEY] = hmac.new(key, digestmod=hashlib.sha256)
    app.teardown_request(_describe_request)
    app.wsgi_app = RequestLog(app.wsgi_app, behind_proxy=app.config["LXL_PROXY_HOPS"] > 0)
