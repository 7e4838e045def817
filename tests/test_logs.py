"""Structured logs (app/logs.py): the request line, request ids, protocol events, privacy and
configuration.

The flows are the real ones, driven through Flask's test client; lines are read as records
(``caplog``) or, where their written form matters, from the JSON file ``LXL_LOG_FILE`` names.
"""

import io
import json
import logging
import logging.handlers
import re
import secrets
import sqlite3
import types
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import logs, sessions, sites
from app.extensions import db
from app.idp import accounts, clients
from app.idp.models import User
from app.idp.oidc import button_frame, claims, grants, parameters, status_frame
from app.idp.views import oidc as views_oidc
from tests.helpers import (
    CLIENT_ID, IDP, NGO, PASSWORD, REDIRECT_URI, authorize_url, basic_auth, consent,
    csrf_token, get_tokens, mail_to, pkce_pair, redirect_params, refresh, sign_in, sign_up,
    submit_mailed_link, token_request)
from tests.idp.test_signup import RefusingInbox, start_smtp_server  # noqa: F401 (a fixture)

SILENT_FRAME = {"client_id": CLIENT_ID, "origin": NGO, "response_type": "id_token",
                "scope": "openid email profile", "nonce": "n0nce", "state": "st4te",
                "redirect_uri": NGO}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class Lines:
    """The ``lxl`` lines logged so far, as records or as their fields (one event's, or all)."""

    def __init__(self, caplog):
        self._caplog = caplog

    def records(self, event=None):
        return [record for record in self._caplog.records if record.name == "lxl"
                and event in (None, record.lxl["event"])]

    def __call__(self, event=None):
        return [record.lxl for record in self.records(event)]


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="lxl")
    return Lines(caplog)


@pytest.fixture
def log_file(tmp_path, make_app):
    """An app writing its JSON lines to a file; return ``(app, function reading them)``."""
    path = tmp_path / "lxl.log"
    app = make_app(LXL_LOG_FILE=str(path), LXL_LOG_FORMAT="json")

    def read():
        return path.read_text()
    return app, read


def user_reference(app, email="ada@example.org"):
    with app.app_context():
        return logs.user_reference(User.by_email(email))


def frame(http, **params):
    """Request the status frame with the SDK's silent request; ``None`` drops a parameter."""
    query = {**SILENT_FRAME, **params}
    return http.get(f"{IDP}/oidc/iframe/check_session?" + urlencode(
        {name: value for name, value in query.items() if value is not None}))


def signed_in_and_consented(http):
    sign_in(http)
    consent(http, authorize_url(response_type="id_token"))


# --- the request line ----------------------------------------------------------------------

def test_a_request_is_one_json_line_without_its_query_string(log_file):
    app, read = log_file
    response = app.test_client().get(
        f"{IDP}/oidc/jwks?state=1&code=secret-code-value&nonce=2")
    [line] = [json.loads(text) for text in read().splitlines()]
    assert set(line) == {"time", "level", "event", "request_id", "method", "host", "path",
                         "params", "status", "duration_ms", "remote_addr"}
    assert ISO_UTC.fullmatch(line["time"]) and line["level"] == "info"
    assert line["event"] == "request" and line["method"] == "GET"
    assert line["host"] == "id.localhost:5000" and line["path"] == "/oidc/jwks"
    assert line["params"] == ["code", "nonce", "state"]
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1"
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert "secret-code-value" not in read()


def test_a_parameter_without_a_name_is_not_listed(http, lines):
    http.get(f"{IDP}/oidc/jwks?{'x' * 64}&client_id=ngo-demo")
    assert lines("request")[-1]["params"] == [logs.UNLISTED_PARAMETER, "client_id"]


def test_a_short_token_sent_as_a_bare_query_is_not_listed(http, lines):
    # 22 characters, as secrets.token_urlsafe(16) makes them; a letter first, like a name.
    token = "t" + secrets.token_urlsafe(16)[1:]
    http.get(f"{IDP}/oidc/jwks?{token}&state=x")
    assert lines("request")[-1]["params"] == [logs.UNLISTED_PARAMETER, "state"]


def test_every_parameter_the_app_reads_is_listed_by_name():
    read = {*parameters.SYNTAX, *parameters.AUTHORIZATION_PARAMETERS,
            *parameters.LOGOUT_PARAMETERS, *status_frame.AUTHORIZATION_PARAMS,
            *button_frame.CHOICES, *button_frame.FLAGS, views_oidc.SIGN_IN_MARK}
    assert read <= logs.KNOWN_PARAMETERS, read - logs.KNOWN_PARAMETERS


def test_a_server_error_is_an_error_line(make_app, lines):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("a bug")
    app.add_url_rule("/broken", "broken", broken, host="id.localhost:5000")
    assert app.test_client().get(f"{IDP}/broken").status_code == 500
    [record] = lines.records("request")
    assert record.lxl["status"] == 500 and record.lxl["path"] == "/broken"
    assert record.levelno == logging.ERROR


def test_an_unhandled_exception_is_logged_by_its_type_and_frames_only(make_app, tmp_path,
                                                                     capsys):
    path = tmp_path / "lxl.log"
    app = make_app(PROPAGATE_EXCEPTIONS=False, LXL_LOG_FILE=str(path), LXL_LOG_FORMAT="json")

    # The frames show source lines: the data travels in variables, as it would in the app.
    email, token = "ada@example.org", "secret-" + "token-value"

    def broken():
        try:
            raise KeyError(email)
        except KeyError as error:
            raise RuntimeError(token) from error
    app.add_url_rule("/broken", "broken", broken, host="id.localhost:5000")
    assert app.test_client().get(f"{IDP}/broken").status_code == 500
    [failure] = [line for line in map(json.loads, path.read_text().splitlines())
                 if line.get("logger") == "app"]
    assert failure["level"] == "error" and failure["message"] == "Exception on /broken [GET]"
    assert re.search(r"KeyError\n.*direct cause.*in broken\n.*\nRuntimeError$",
                     failure["exception"], re.DOTALL), failure["exception"]
    written = path.read_text() + capsys.readouterr().err
    assert token not in written and email not in written


def test_an_exception_chain_that_loops_is_logged_once_round(log_file):
    app, read = log_file
    first, second = KeyError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first  # as a handler can make them
    logging.getLogger("app").error("failed", exc_info=(KeyError, first, None))
    [line] = [json.loads(text) for text in read().splitlines()]
    assert line["exception"].count("KeyError") == 1
    assert line["exception"].count("ValueError") == 1


def test_the_apps_own_loggers_write_the_same_lines(log_file):
    app, read = log_file
    logging.getLogger("app.ngo.signin").warning("a %s", "message")
    [line] = [json.loads(text) for text in read().splitlines()]
    assert (line["level"], line["logger"], line["message"]) == (
        "warning", "app.ngo.signin", "a message")


@pytest.mark.parametrize("database", ["sqlite:///x.db", "postgresql://localhost/x"])
def test_sqlalchemy_hides_the_parameters_of_statements(tmp_path, database):
    from app import config
    from flask import Flask
    app = Flask(__name__, instance_path=str(tmp_path))
    config.load_config(app, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    if database.startswith("postgresql"):  # added to the options, not instead of them
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


@pytest.mark.parametrize("wrap_after_logs", [True, False])
def test_the_address_is_the_one_proxy_fix_found(make_app, lines, wrap_after_logs):
    app = make_app()
    if wrap_after_logs:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    else:  # ProxyFix applied inside the request log
        app.wsgi_app.wsgi_app = ProxyFix(app.wsgi_app.wsgi_app, x_for=1)
    app.test_client().get(f"{IDP}/oidc/jwks", headers={"X-Forwarded-For": "203.0.113.9"})
    assert lines("request")[-1]["remote_addr"] == "203.0.113.9"


# --- request ids -----------------------------------------------------------------------------

@pytest.fixture
def behind_proxy(make_app):
    """A client of an app behind one proxy (``LXL_PROXY_HOPS=1``)."""
    return make_app(LXL_PROXY_HOPS=1).test_client()


def test_a_proxys_request_id_is_kept_and_echoed(behind_proxy, lines):
    response = behind_proxy.get(f"{IDP}/oidc/jwks",
                                headers={"X-Request-Id": "7F000001:C5A6_0001"})
    assert response.headers["X-Request-Id"] == "7F000001:C5A6_0001"
    assert lines("request")[-1]["request_id"] == "7F000001:C5A6_0001"


def test_a_request_id_is_not_taken_from_a_client(make_app, lines):
    direct = make_app().test_client()  # no proxy in front: the header is the client's
    untrusted = make_app(LXL_PROXY_HOPS=1).test_client()  # a peer that is not the proxy
    untrusted.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for http in (direct, untrusted):
        response = http.get(f"{IDP}/oidc/jwks", headers={"X-Request-Id": "chosen-by-client"})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    assert "chosen-by-client" not in {line["request_id"] for line in lines()}


@pytest.mark.parametrize("incoming", [None, "", "x" * 65, "has space", 'quote"d', "<b>",
                                      "tab\there", "é"])
def test_an_unsafe_or_missing_request_id_is_replaced(behind_proxy, lines, incoming):
    http = behind_proxy
    headers = {} if incoming is None else {"X-Request-Id": incoming}
    first = http.get(f"{IDP}/oidc/jwks", headers=headers).headers["X-Request-Id"]
    second = http.get(f"{IDP}/oidc/jwks", headers=headers).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    assert [line["request_id"] for line in lines("request")] == [first, second]


def test_the_ngo_site_is_logged_too(http, lines):
    response = http.get(f"{NGO}/")
    line = lines("request")[-1]
    assert line["host"] == "ngo.localhost:5000" and line["path"] == "/"
    assert line["request_id"] == response.headers["X-Request-Id"]


# --- client_id and user ----------------------------------------------------------------------

def test_client_id_from_the_query(http, lines):
    frame(http)
    assert lines("request")[-1]["client_id"] == CLIENT_ID


def test_client_id_from_the_token_requests_form(http, lines):
    token_request(http, {"grant_type": "authorization_code", "code": "nope",
                         "redirect_uri": REDIRECT_URI, "code_verifier": "x" * 43})
    line = lines("request")[-1]
    assert line["path"] == "/oidc/token" and line["client_id"] == CLIENT_ID
    assert "params" not in line


def test_client_id_from_basic_credentials(app, http, lines):
    with app.app_context():
        client, _ = clients.register("Back end", [REDIRECT_URI], [NGO], confidential=True)
    http.post(f"{IDP}/oidc/token", data={"grant_type": "refresh_token", "refresh_token": "x"},
              headers=basic_auth(client.client_id, "wrong-secret"))
    assert lines("request")[-1]["client_id"] == client.client_id


@pytest.mark.parametrize("named", ["ada@example.org", "x" * 49, "<script>", "a b"])
def test_a_client_id_not_of_a_client_ids_form_is_not_logged(http, lines, named):
    frame(http, client_id=named)
    assert lines("request")[-1]["client_id"] == logs.UNLISTED_PARAMETER
    assert all(line.get("client_id") == logs.UNLISTED_PARAMETER for line in lines())


def test_no_client_id_when_none_is_named(http, lines):
    http.get(f"{IDP}/signin")
    assert "client_id" not in lines("request")[-1]


def test_the_user_reference_is_opaque_and_stable(app, make_app, http, lines):
    signed_in_and_consented(http)
    frame(http)
    frame(http)
    first, second = (line["user"] for line in lines("request")[-2:])
    assert first == second == user_reference(app)
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    with app.app_context():
        user = User.by_email("ada@example.org")
        sub = claims.subject(user, CLIENT_ID)
        assert first not in (str(user.id), user.email, sub)
    # Keyed with SECRET_KEY: another installation's reference tells nothing about this one's.
    assert user_reference(make_app(SECRET_KEY="another-secret")) != first


# --- protocol events -------------------------------------------------------------------------

def test_silent_sign_in_at_the_authorization_endpoint(app, http, lines):
    http.get(authorize_url(response_type="id_token", prompt="none"))
    sign_in(http)
    http.get(authorize_url(response_type="id_token", prompt="none"))
    consent(http, authorize_url(response_type="id_token"))
    response = http.get(authorize_url(response_type="id_token", prompt="none"))
    assert "id_token" in redirect_params(response)
    http.get(authorize_url(response_type="id_token", prompt="none", nonce=None))
    events = lines("silent_signin")
    assert [(e["outcome"], e.get("reason"), e.get("error")) for e in events] == [
        ("logged_out", "no_session", "login_required"),
        ("logged_out", "consent_required", "consent_required"),
        ("credential", None, None),
        ("error", None, "invalid_request")]
    assert all(e["client_id"] == CLIENT_ID for e in events)
    assert events[2]["user"] == user_reference(app)
    request_line = lines("request")[-2]
    assert request_line["request_id"] == events[2]["request_id"]
    assert request_line["user"] == events[2]["user"]


def test_a_silent_sign_in_answered_an_error_while_issuing_is_no_credential(
        app, http, lines, monkeypatch):
    signed_in_and_consented(http)

    def refused(*args):  # Authlib answers an OAuth error raised while issuing the grant
        raise InvalidRequestError("refused while issuing", redirect_uri=REDIRECT_URI)
    monkeypatch.setattr(grants.AuthorizationCodeGrant, "save_authorization_code", refused)
    response = http.get(silent_code_url())
    assert redirect_params(response)["error"] == "invalid_request"
    [attempt] = lines("silent_signin")
    assert (attempt["outcome"], attempt["error"]) == ("error", "invalid_request")


def test_a_silent_sign_in_whose_code_was_not_saved_is_no_credential(app, http, lines,
                                                                     monkeypatch):
    signed_in_and_consented(http)

    def unsaved(*args):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(grants.AuthorizationCodeGrant, "save_authorization_code", unsaved)
    with pytest.raises(RuntimeError):
        http.get(silent_code_url())
    assert lines("silent_signin") == []


def silent_code_url():
    return authorize_url(prompt="none", code_challenge=pkce_pair()[1],
                         code_challenge_method="S256")


def test_silent_sign_in_in_the_status_frame(app, http, lines):
    frame(http)
    signed_in_and_consented(http)
    frame(http)
    frame(http, redirect_uri="https://elsewhere.test")
    frame(http, response_type=None, scope=None, nonce=None, state=None, redirect_uri=None)
    events = lines("silent_signin")
    assert [(e["outcome"], e.get("reason"), e.get("error")) for e in events] == [
        ("logged_out", "no_session", None),
        ("credential", None, None),
        ("error", None, "invalid_request")]  # the status check alone is no sign-in
    assert events[1]["user"] == user_reference(app)
    assert all(e["client_id"] == CLIENT_ID for e in events)


def test_a_refused_frame(http, lines):
    http.get(f"{IDP}/oidc/iframe/check_session?" + urlencode(
        {**SILENT_FRAME, "origin": "https://elsewhere.test"}))
    [refused] = lines("frame_refused")
    assert refused["reason"] == "origin_not_allowed" and refused["client_id"] == CLIENT_ID
    assert lines.records("frame_refused")[0].levelno == logging.WARNING


def test_consent_granted_and_withdrawn(app, http, lines):
    signed_in_and_consented(http)
    [granted] = lines("consent_granted")
    assert granted["client_id"] == CLIENT_ID and granted["scope"] == "openid email profile"
    assert granted["user"] == user_reference(app)
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/account/consents/{CLIENT_ID}/revoke",
              data={"csrf_token": csrf_token(page.text)})
    [withdrawn] = lines("consent_withdrawn")
    assert withdrawn["client_id"] == CLIENT_ID and withdrawn["user"] == user_reference(app)


def committed(app, query):
    """The rows ``query`` finds from another connection: only what was committed."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(query).fetchall()


class AtEachEvent(logging.Handler):
    """Call ``check(fields)`` as each ``lxl`` event is logged, and keep what it returned."""

    def __init__(self, check):
        super().__init__()
        self.check, self.seen = check, []

    def emit(self, record):
        self.seen.append((record.lxl["event"], self.check(record.lxl)))


@pytest.fixture
def at_each_event():
    handlers = []

    def attach(check):
        handler = AtEachEvent(check)
        logs.LOGGER.addHandler(handler)
        handlers.append(handler)
        return handler
    yield attach
    for handler in handlers:
        logs.LOGGER.removeHandler(handler)


def test_consent_withdrawn_is_logged_once_committed(app, http, at_each_event):
    signed_in_and_consented(http)
    consents_then = at_each_event(
        lambda fields: committed(app, "SELECT COUNT(*) FROM consents")[0][0])
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/account/consents/{CLIENT_ID}/revoke",
              data={"csrf_token": csrf_token(page.text)})
    assert ("consent_withdrawn", 0) in consents_then.seen


def test_deleting_the_account_withdraws_its_consents(app, http, lines, at_each_event):
    reference = user_reference(app)
    signed_in_and_consented(http)
    users_then = at_each_event(lambda fields: committed(app, "SELECT COUNT(*) FROM users")[0][0])
    users_before = committed(app, "SELECT COUNT(*) FROM users")[0][0]
    http.post(f"{IDP}/account/delete", data=account_form(http, password=PASSWORD))
    [withdrawn] = lines("consent_withdrawn")
    assert withdrawn["client_id"] == CLIENT_ID and withdrawn["user"] == reference
    assert ("account_deleted", users_before - 1) in users_then.seen


def test_refresh_rotated_then_reuse_detected(app, http, lines):
    app.config["LXL_REFRESH_GRACE_SECONDS"] = 0
    first = get_tokens(http).json
    refresh(http, first["refresh_token"])
    [rotated] = lines("refresh_rotated")
    assert rotated["client_id"] == CLIENT_ID and rotated["user"] == user_reference(app)
    assert refresh(http, first["refresh_token"]).status_code == 400
    [reuse] = lines("refresh_reuse_detected")
    assert reuse["client_id"] == CLIENT_ID and reuse["user"] == user_reference(app)
    assert lines.records("refresh_reuse_detected")[0].levelno == logging.WARNING


def test_code_reuse_detected(app, http, lines):
    sign_in(http)
    verifier, challenge = pkce_pair()
    url = authorize_url(code_challenge=challenge, code_challenge_method="S256")
    code = redirect_params(consent(http, url))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}
    assert token_request(http, form).status_code == 200
    assert token_request(http, form).status_code == 400
    [reuse] = lines("code_reuse_detected")
    assert reuse["client_id"] == CLIENT_ID and reuse["user"] == user_reference(app)


def test_logout(app, http, lines):
    sign_in(http)
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})
    [logout] = lines("logout")
    assert logout["user"] == user_reference(app) and logout["scope"] == "browser"


def test_no_logout_when_no_session_ended(http, lines):
    page = http.get(f"{IDP}/signin")
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})
    assert lines("logout") == []


def account_form(http, **fields):
    return {"csrf_token": csrf_token(http.get(f"{IDP}/account").text), **fields}


@pytest.mark.parametrize("path, form", [
    ("/account/signout-everywhere", {}),
    ("/account/password", {"current_password": PASSWORD,
                           "new_password": "another-long-password"}),
], ids=["sign out everywhere", "password change"])
def test_logout_everywhere_names_the_user(app, http, lines, path, form):
    sign_in(http, remember=False)
    sign_in(app.test_client())  # a second browser
    http.post(f"{IDP}{path}", data=account_form(http, **form))
    [logout] = lines("logout")
    assert logout["user"] == user_reference(app) and logout["scope"] == "everywhere"


def test_a_password_reset_logs_out_everywhere_naming_the_user(app, http, lines):
    sign_in(http)
    page = http.get(f"{IDP}/password/forgot")
    http.post(f"{IDP}/password/forgot",
              data={"csrf_token": csrf_token(page.text), "email": "ada@example.org"})
    [link] = mail_to(http, "ada@example.org")["links"]
    submit_mailed_link(app.test_client(), link, password="a-new-long-password")
    [logout] = lines("logout")
    assert logout["user"] == user_reference(app) and logout["scope"] == "everywhere"


@pytest.mark.parametrize("path", ["/signout", "/account/signout-everywhere"])
def test_logout_is_logged_once_the_sessions_ended(app, http, at_each_event, path):
    sign_in(http)
    live_then = at_each_event(lambda fields: committed(
        app, "SELECT id FROM browser_sessions WHERE ended_at IS NULL"))
    http.post(f"{IDP}{path}", data=account_form(http))
    assert ("logout", []) in live_then.seen


def test_account_deleted(app, http, lines):
    reference = user_reference(app)
    sign_in(http)
    http.post(f"{IDP}/account/delete", data=account_form(http, password=PASSWORD))
    with app.app_context():
        assert User.by_email("ada@example.org") is None
    [logout] = lines("logout")
    [deleted] = lines("account_deleted")
    assert logout["user"] == deleted["user"] == reference
    assert logout["scope"] == "everywhere"


def test_rate_limited(app, http, lines):
    app.config["LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT"] = "1 per minute"
    form = {"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT_URI,
            "code_verifier": "x" * 43}
    token_request(http, form)
    assert token_request(http, form).status_code == 429
    [limited] = lines("rate_limited")
    assert limited["limit"] == "token_failures_per_client"
    assert limited["client_id"] == CLIENT_ID


def test_rate_limited_password(app, http, lines):
    app.config["LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT"] = "1 per hour"
    sign_in(http, password="wrong")
    assert sign_in(http, password="wrong").status_code == 429
    [limited] = lines("rate_limited")
    assert limited["limit"] == "password_failures_per_account"


def test_rate_limited_names_each_limit_by_its_setting(app, http, lines):
    app.config.update(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="1 per hour",
                      LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS="1 per hour",
                      LXL_RATELIMIT_RESETS_PER_ADDRESS="1 per hour")
    sign_in(http, password="wrong")
    sign_in(http, email="grace@example.org", password="wrong")
    for _ in range(2):
        sign_up(http, "kjo@example.org")
        page = http.get(f"{IDP}/password/forgot")
        http.post(f"{IDP}/password/forgot",
                  data={"csrf_token": csrf_token(page.text), "email": "ada@example.org"})
    assert [line["limit"] for line in lines("rate_limited")] == [
        "password_failures_per_address", "sign_ups_per_address", "resets_per_address"]


def test_key_rotated(app, lines):
    result = app.test_cli_runner().invoke(args=["lxl", "keys", "rotate"])
    kid = json.loads(result.output)["kid"]
    [rotated] = lines("key_rotated")
    assert rotated["kid"] == kid and "request_id" not in rotated


def test_one_tap_card(app, http, lines):
    card = SILENT_FRAME  # the SDK sends the card the same request
    http.get(f"{IDP}/oidc/iframe/card?" + urlencode(card))
    sign_in(http)
    http.get(f"{IDP}/oidc/iframe/card?" + urlencode(card))
    events = lines("card")
    assert [(e["displayed"], e.get("reason")) for e in events] == [
        (False, "opt_out_or_no_session"), (True, None)]
    assert "user" not in events[0] and events[1]["user"] == user_reference(app)


# --- privacy ---------------------------------------------------------------------------------

def test_no_secret_reaches_the_log(make_app, tmp_path, caplog, capsys, start_smtp_server):
    """A sign-in, a code flow, a refresh, a silent sign-in, a mailed link, a refused
    sign-in at the NGO site, an SMTP server refusing the address and a database error: none
    of their secrets, cookies or the address is written, though every step is — in the log
    file, in any logger's records (the root at DEBUG) or on standard error."""
    path = tmp_path / "lxl.log"
    app = make_app(LXL_LOG_FILE=str(path), LXL_LOG_FORMAT="json",
                   PROPAGATE_EXCEPTIONS=False)
    caplog.set_level(logging.DEBUG)
    database_secret = "secret-" + "in-a-row"

    def duplicate_account():  # a unique violation, whose message would quote the row
        db.session.add(User(email="ada@example.org", name="Ada", password_hash=database_secret))
        db.session.commit()
    app.add_url_rule("/duplicate", "duplicate", duplicate_account, host="id.localhost:5000")
    http = app.test_client()
    sign_in(http)
    verifier, challenge = pkce_pair()
    code = redirect_params(consent(http, authorize_url(
        code_challenge=challenge, code_challenge_method="S256")))["code"]
    tokens = token_request(http, {"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": REDIRECT_URI, "code_verifier": verifier}).json
    refreshed = refresh(http, tokens["refresh_token"]).json
    credential = re.search(r'"id_token": "([^"]+)"', frame(http).text).group(1)
    # The silent answer went to the frame in a query string the NGO's page reads it from.
    http.get(f"{NGO}/?" + urlencode({"code": code, "id_token": credential}))
    description = "secret-" + "description"
    http.get(f"{NGO}/auth/callback?" + urlencode(
        {"error": "access_denied", "error_description": description}))
    assert http.get(f"{IDP}/duplicate").status_code == 500
    page = http.get(f"{IDP}/password/forgot")
    http.post(f"{IDP}/password/forgot",
              data={"csrf_token": csrf_token(page.text), "email": "ada@example.org"})
    [link] = mail_to(http, "ada@example.org")["links"]
    mailed_token = parse_qs(urlsplit(link).query)["token"][0]
    assert submit_mailed_link(http, link, password="a-new-long-password").status_code == 302
    _, port = start_smtp_server(inbox=RefusingInbox())
    app.config.update(LXL_SMTP_URL=f"smtp://127.0.0.1:{port}",
                      LXL_MAIL_FROM="no-reply@id.example.org")
    page = http.get(f"{IDP}/password/forgot")
    http.post(f"{IDP}/password/forgot",
              data={"csrf_token": csrf_token(page.text), "email": "ada@example.org"})
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert {"consent_granted", "refresh_rotated", "silent_signin", "mail_not_sent",
            "logout"} <= {line.get("event") for line in written}
    assert [line for line in written if line.get("exception")]  # the database error
    with app.app_context():
        sub = claims.subject(User.by_email("ada@example.org"), CLIENT_ID)
    cookies = [http.get_cookie(sessions.COOKIE_NAMES[sites.IDP], domain="id.localhost"),
               http.get_cookie(accounts.SILENT_COOKIE, domain="id.localhost", path="/oidc/")]
    secrets = [PASSWORD, "ada@example.org", sub, code, verifier, credential,
               *(tokens[name] for name in ("access_token", "refresh_token", "id_token")),
               *(refreshed[name] for name in ("access_token", "refresh_token")),
               *(cookie.value for cookie in cookies if cookie is not None),
               description, database_secret, mailed_token, "a-new-long-password"]
    # Not the test SMTP server's own logger ("mail.log"): it is no part of the app.
    records = "\n".join(caplog.handler.format(record) for record in caplog.records
                        if not record.name.startswith("mail."))
    standard = capsys.readouterr()
    text = "\n".join((path.read_text(), records, standard.out, standard.err))
    for secret in secrets:
        assert secret not in text, secret


def test_no_token_reaches_any_logger_at_debug(make_app, caplog):
    """Every logger of the process at DEBUG, the app's too, through the code flow and a
    refresh: no token in any record (Authlib logs whole token responses at DEBUG)."""
    caplog.set_level(logging.DEBUG)
    http = make_app(LXL_LOG_LEVEL="DEBUG").test_client()
    tokens = get_tokens(http).json
    refreshed = refresh(http, tokens["refresh_token"]).json
    assert "refresh_rotated" in caplog.text  # the records of both flows were captured
    for name in ("access_token", "refresh_token", "id_token"):
        assert tokens[name] not in caplog.text, name
        assert refreshed.get(name, tokens[name]) not in caplog.text, name


# --- cost ---------------------------------------------------------------------------------

def test_a_line_costs_no_stack_walk_and_no_new_key(app, http, lines, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("called for a log line")
    monkeypatch.setattr(logs.LOGGER, "findCaller", refused)  # Logger.log's walk of the stack
    sign_in(http)
    # The keyed HMAC is made once, in init_app (only logs.py's own reference is replaced).
    monkeypatch.setattr(logs, "hmac", types.SimpleNamespace(new=refused))
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})
    assert lines("logout")[0]["user"] == lines("request")[-1]["user"]
    monkeypatch.undo()
    assert lines("logout")[0]["user"] == user_reference(app)


# --- event names -----------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_lists_the_events():
    listed = re.search(r"one per protocol event \(([^)]*)\)", README.read_text()).group(1)
    assert set(re.findall(r"`([a-z_]+)`", listed)) == logs.EVENTS


def test_the_docstring_describes_every_event():
    described = set(re.findall(r"``([a-z_]+)``", logs.__doc__))
    assert logs.EVENTS <= described, logs.EVENTS - described
    assert logs.WARNING_EVENTS <= logs.EVENTS


def test_every_event_the_app_logs_is_named():
    source = "".join(path.read_text() for path in Path(logs.__file__).parent.rglob("*.py"))
    logged = set(re.findall(r'logs\.event\(\s*"([a-z_]+)"', source))
    assert logged and logged <= logs.EVENTS, logged - logs.EVENTS


def test_an_unknown_event_name_is_refused(app):
    with app.test_request_context(), pytest.raises(AssertionError, match="logs.EVENTS"):
        logs.event("logged_in")


# --- configuration ---------------------------------------------------------------------------

def test_outside_tests_a_line_is_written_once(make_app, tmp_path):
    """A root handler (gunicorn's --log-config) does not write the lines a second time."""
    path = tmp_path / "lxl.log"
    app = make_app(TESTING=False, LXL_LOG_FILE=str(path), LXL_LOG_FORMAT="json")
    at_the_root = logging.handlers.BufferingHandler(capacity=1000)
    logging.getLogger().addHandler(at_the_root)
    try:
        app.test_client().get(f"{IDP}/oidc/jwks")
        logging.getLogger("app.ngo.signin").warning("a message")
    finally:
        logging.getLogger().removeHandler(at_the_root)
    assert [record.name for record in at_the_root.buffer
            if record.name in ("lxl", "app") or record.name.startswith("app.")] == []
    assert len(path.read_text().splitlines()) == 2


def test_the_level_leaves_out_what_is_below_it(make_app, tmp_path):
    path = tmp_path / "warnings.log"
    app = make_app(LXL_LOG_LEVEL="warning", LXL_LOG_FILE=str(path))
    http = app.test_client()
    http.get(f"{IDP}/oidc/jwks")
    http.get(f"{IDP}/oidc/iframe/check_session?client_id=nobody&origin={NGO}")
    [line] = [json.loads(text) for text in path.read_text().splitlines()]
    assert line["event"] == "frame_refused" and line["level"] == "warning"


def test_text_format(make_app, tmp_path):
    path = tmp_path / "text.log"
    app = make_app(LXL_LOG_FILE=str(path), LXL_LOG_FORMAT="text")
    response = app.test_client().get(f"{IDP}/oidc/jwks?state=1")
    [line] = path.read_text().splitlines()
    assert re.fullmatch(
        r"\S+Z INFO    200 GET id\.localhost:5000/oidc/jwks [\d.]+ ms "
        rf"request_id={response.headers['X-Request-Id']} params=\['state'\] "
        r"remote_addr=127\.0\.0\.1", line), line


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream, expected", [(Terminal(), "text"), (io.StringIO(), "json")])
def test_standard_error_is_the_default_and_text_only_on_a_terminal(
        make_app, monkeypatch, stream, expected):
    monkeypatch.setattr("sys.stderr", stream)
    make_app().test_client().get(f"{IDP}/oidc/jwks")
    written = stream.getvalue().splitlines()[-1]
    assert written.startswith("{") == (expected == "json"), written


@pytest.mark.parametrize("setting, value", [("LXL_LOG_LEVEL", "LOUD"),
                                            ("LXL_LOG_FORMAT", "xml")])
def test_a_wrong_setting_is_named(make_app, setting, value):
    with pytest.raises(RuntimeError, match=setting):
        make_app(**{setting: value})


def test_a_log_file_that_cannot_be_written_is_named(make_app, tmp_path):
    with pytest.raises(RuntimeError, match="LXL_LOG_FILE=.*No such file or directory"):
        make_app(LXL_LOG_FILE=str(tmp_path / "missing" / "lxl.log"))


def test_the_environment_sets_them(monkeypatch, tmp_path):
    from app import config
    from flask import Flask
    monkeypatch.setenv("LXL_LOG_LEVEL", "ERROR")
    monkeypatch.setenv("LXL_LOG_FILE", str(tmp_path / "x.log"))
    monkeypatch.setenv("LXL_LOG_FORMAT", "text")
    app = Flask(__name__, instance_path=str(tmp_path))
    config.load_config(app, {"SECRET_KEY": "x"})
    assert (app.config["LXL_LOG_LEVEL"], app.config["LXL_LOG_FILE"],
            app.config["LXL_LOG_FORMAT"]) == ("ERROR", str(tmp_path / "x.log"), "text")
