"""Silent sign-in at the IdP: prompt=none, the status frame, web_message, opt-out.

Each refusal carries the standard OIDC error and, for the site, CONTRACT's reason.
"""

import json
import re
import time
from urllib.parse import unquote_plus

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from app.extensions import db
from app.idp.models import BrowserSession
from app.idp import clients
from app.idp.oidc import session_state
from tests.helpers import (
    CLIENT_ID, IDP, NGO, REDIRECT_URI, authorize_url, consent, pkce_pair, redirect_params,
    sign_in, sign_in_for)

SILENT = {"response_type": "id_token", "prompt": "none", "response_mode": "web_message",
          "redirect_uri": NGO}


def signed_in_and_consented(http):
    sign_in(http)
    consent(http, authorize_url(response_type="id_token"))


def embedded(page, name):
    """Return the JSON a template embedded as ``var name = …``."""
    match = re.search(rf"var {name} = (.*?);\n", page)
    return json.loads(match.group(1))


def web_message_response(page):
    """Return the ``response`` object a web_message page posts."""
    match = re.search(r'type: "authorization_response", response: (\{.*?\})\}', page)
    return json.loads(match.group(1))


# --- prompt=none at the authorization endpoint ---------------------------------------------

def test_no_session_is_login_required_with_reason(http):
    response = http.get(authorize_url(response_type="id_token", prompt="none"))
    error = redirect_params(response)
    assert error["error"] == "login_required" and error["reason"] == "no_session"
    assert error["state"] == "st4te"


def test_no_consent_is_consent_required(http):
    sign_in(http)
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    assert error["error"] == "consent_required" and error["reason"] == "consent_required"


def test_signed_in_and_consented_gets_an_id_token_without_any_page(http):
    signed_in_and_consented(http)
    response = http.get(authorize_url(response_type="id_token", prompt="none"))
    assert response.status_code == 302
    params = redirect_params(response)
    assert params["id_token"] and params["session_state"].count(".") == 1


def test_code_flow_with_prompt_none(http):
    signed_in_and_consented(http)
    _, challenge = pkce_pair()
    params = redirect_params(http.get(authorize_url(
        prompt="none", code_challenge=challenge, code_challenge_method="S256")))
    assert params["code"] and params["state"] == "st4te"


def test_expired_session_is_session_expired(app, http):
    signed_in_and_consented(http)
    with app.app_context():  # fast-forward past the 30 days instead of waiting
        db.session.execute(db.update(BrowserSession).values(expires_at=int(time.time()) - 1))
        db.session.commit()
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    assert error["error"] == "login_required" and error["reason"] == "session_expired"


def test_max_age_exceeded_is_login_required(app, http):
    signed_in_and_consented(http)
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(auth_time=int(time.time()) - 600))
        db.session.commit()
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                   max_age="60")))
    assert error["error"] == "login_required"
    assert "id_token" in redirect_params(http.get(authorize_url(
        response_type="id_token", prompt="none", max_age="3600")))


@pytest.mark.parametrize("prompt", [None, "none"])
@pytest.mark.parametrize("value", ["1" * 4301, "-1", "1.5", "\u0661"])
def test_a_malformed_max_age_is_invalid_request_interactive_or_silent(http, prompt, value):
    """max_age is checked where it enters, the same way for both requests.

    Its redirect_uri is not trusted yet at that point, so the answer is our own error page
    (RFC 6749 §4.1.2.1), naming the parameter — never a redirect.
    """
    signed_in_and_consented(http)
    response = http.get(authorize_url(response_type="id_token", prompt=prompt, max_age=value))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "invalid_request" in response.text and "max_age" in response.text


def test_login_hint_for_someone_else_is_login_required(http):
    signed_in_and_consented(http)
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                   login_hint="grace@example.org")))
    assert error["error"] == "login_required"
    ok = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                login_hint="Ada@example.org")))
    assert "id_token" in ok


def test_id_token_hint_rules(app, http):
    signed_in_and_consented(http)
    own = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    hint = own["id_token"]
    same = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                  id_token_hint=hint)))
    assert "id_token" in same

    tampered = hint[:-4] + ("AAAA" if not hint.endswith("AAAA") else "BBBB")
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                   id_token_hint=tampered)))
    assert error["error"] == "invalid_request" and "id_token_hint" in error["error_description"]

    # A hint of another user (Grace, signed in another browser) is login_required here.
    other = app.test_client()
    sign_in(other, email="grace@example.org")
    consent(other, authorize_url(response_type="id_token"))
    grace_hint = redirect_params(other.get(authorize_url(response_type="id_token",
                                                         prompt="none")))["id_token"]
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                   id_token_hint=grace_hint)))
    assert error["error"] == "login_required"


def test_expired_id_token_hint_is_still_accepted(app, http):
    signed_in_and_consented(http)
    with app.app_context():
        from app.idp import keys
        key = keys.current_key()
        from app.idp.models import User
        from app.idp.oidc import claims
        sub = claims.subject(User.by_email("ada@example.org"), CLIENT_ID)
        expired = jwt.encode({"alg": "RS256", "kid": key.kid},
                             {"iss": IDP, "aud": CLIENT_ID, "sub": sub, "exp": 1000, "iat": 900},
                             key)
    params = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none",
                                                    id_token_hint=expired)))
    assert "id_token" in params


def test_third_party_cookies_withheld_is_interaction_required_not_logged_out(http):
    signed_in_and_consented(http)
    http.delete_cookie("lxl_silent", domain="id.localhost", path="/oidc/")
    response = http.get(authorize_url(response_type="id_token", prompt="none"),
                        headers={"Sec-Fetch-Storage-Access": "none"})
    error = redirect_params(response)
    assert error["error"] == "interaction_required"
    assert error["reason"] == "third_party_cookies_blocked"


def test_inactive_storage_access_asks_the_browser_to_retry(http):
    response = http.get(authorize_url(**SILENT), headers={"Sec-Fetch-Storage-Access": "inactive"})
    assert response.headers["Activate-Storage-Access"] == f'retry; allowed-origin="{NGO}"'
    assert "Sec-Fetch-Storage-Access" in response.headers["Vary"]


def test_silent_endpoints_read_only_the_none_cookie(http):
    signed_in_and_consented(http)
    http.delete_cookie("lxl_silent", domain="id.localhost", path="/oidc/")
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    assert error["reason"] == "no_session", "the Lax session alone does not sign in silently"


def test_state_changing_pages_ignore_the_none_cookie(http):
    signed_in_and_consented(http)
    http.delete_cookie("lxl_session", domain="id.localhost")
    assert http.get(f"{IDP}/account").status_code == 302, "silent cookie is not a sign-in"


# --- before consent, the hints change nothing (no probing who is signed in, or since when) ---

def id_token_naming(app, email):
    """Return an ID token of the demo client naming ``email``'s user, as a site could hold."""
    from app.idp import keys
    from app.idp.models import User
    from app.idp.oidc import claims
    with app.app_context():
        key = keys.current_key()
        sub = claims.subject(User.by_email(email), CLIENT_ID)
        return jwt.encode({"alg": "RS256", "kid": key.kid},
                          {"iss": IDP, "aud": CLIENT_ID, "sub": sub, "exp": 1000, "iat": 900},
                          key)


def answers_to(http, hint, value):
    """Return what prompt=none and the status frame (with and without an authorization
    request) answer when the request carries ``hint=value`` (``None``: no such hint)."""
    extra = {} if value is None else {hint: value}
    request = {"response_type": "id_token", "scope": "openid", "nonce": "n-h", "state": "s-h"}
    authorize = redirect_params(http.get(authorize_url(prompt="none", **request, **extra)))
    frames = []
    for params in (extra, {**request, "redirect_uri": NGO, **extra}):
        page = http.get(frame_url(**params)).text
        status = embedded(page, "initial")
        del status["session_state"]  # salted afresh on every answer
        frames.append((status, embedded(page, "authorization")))
    return authorize, frames


@pytest.mark.parametrize("hint, values", [
    ("login_hint", ["ada@example.org", "grace@example.org", None]),
    ("max_age", ["1", "0", "86400", None]),
    ("id_token_hint", ["ada@example.org", "grace@example.org", None]),
])
def test_without_consent_no_answer_depends_on_the_hints(app, http, hint, values):
    sign_in(http)  # Ada, who never consented to the demo client
    with app.app_context():  # a session signed in ten minutes ago
        db.session.execute(db.update(BrowserSession).values(auth_time=int(time.time()) - 600))
        db.session.commit()
    if hint == "id_token_hint":
        values = [v and id_token_naming(app, v) for v in values]
    answers = [answers_to(http, hint, value) for value in values]
    authorize, frames = answers[0]
    assert authorize["error"] == "consent_required" and authorize["reason"] == "consent_required"
    assert all(frame == ({"status": "logged_out", "reason": "consent_required"}, None)
               for frame in frames)
    assert all(answer == answers[0] for answer in answers), f"{hint} changed the answer"


def test_a_malformed_hint_is_refused_whoever_is_signed_in(app, http):
    """An answer that depends on the request alone tells nothing about the browser."""
    bad = {"max_age": "soon", "id_token_hint": "not-a-token"}

    def answers():
        return {name: http.get(authorize_url(response_type="id_token", prompt="none",
                                             state="s", nonce="n", **{name: value}))
                for name, value in bad.items()}

    signed_out = answers()
    sign_in(http)
    signed_in = answers()
    for name in bad:
        assert _seen_by_the_client(signed_out[name]) == _seen_by_the_client(signed_in[name])
        status, answer = _seen_by_the_client(signed_in[name])
        assert status in (302, 400) and "invalid_request" in answer and name in answer


def _seen_by_the_client(response):
    """Return the status and what it says: the redirect, or the page without its CSP nonce."""
    answer = unquote_plus(response.headers.get("Location") or response.text)
    return response.status_code, re.sub(r'nonce="[^"]*"', "", answer)


# --- web_message response mode --------------------------------------------------------------

def test_web_message_posts_the_id_token_to_the_exact_origin(http):
    """Delivery to window.opener (and the popup closing) and to window.parent is driven in
    Chromium: tests/browser/test_silent_frames.py, the popup and the hidden-frame tests."""
    signed_in_and_consented(http)
    response = http.get(authorize_url(**SILENT))
    page = response.text
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].endswith(f"frame-ancestors {NGO}")
    assert "Cross-Origin-Opener-Policy" not in response.headers, "a popup keeps its opener"
    assert response.headers["Cache-Control"] == "no-store"
    assert f'var origin = "{NGO}"' in page and '"*"' not in page
    assert page.index("lxl:hello") < page.index("authorization_response")
    posted = web_message_response(page)
    assert posted["state"] == "st4te" and posted["session_state"] and "access_token" not in posted
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    assert jwt.decode(posted["id_token"], keys).claims["aud"] == CLIENT_ID


def test_web_message_errors_are_posted_not_redirected(http):
    response = http.get(authorize_url(**SILENT))
    assert response.status_code == 200 and "Location" not in response.headers
    posted_response = web_message_response(response.text)
    assert posted_response["error"] == "login_required"
    assert posted_response["reason"] == "no_session" and posted_response["state"] == "st4te"


def test_web_message_code_flow(http):
    signed_in_and_consented(http)
    _, challenge = pkce_pair()
    page = http.get(authorize_url(prompt="none", response_mode="web_message",
                                  redirect_uri=REDIRECT_URI, code_challenge=challenge,
                                  code_challenge_method="S256")).text
    assert web_message_response(page)["code"]
    assert f'var origin = "{NGO}"' in page


def test_a_silent_request_replaying_a_codes_nonce_is_refused(app, http):
    """``prompt=none`` checks the nonce in the statement that finds the session, not in one of
    its own: refused alike by the authorization endpoint and the frame, issuing nothing."""
    from sqlalchemy import event

    signed_in_and_consented(http)

    def silent_code(nonce):
        _, challenge = pkce_pair()
        return web_message_response(http.get(authorize_url(
            prompt="none", response_mode="web_message", redirect_uri=NGO, nonce=nonce,
            code_challenge=challenge, code_challenge_method="S256")).text)

    def record(conn, cursor, statement, *args):
        if statement.startswith("SELECT") and "authorization_codes" in statement:
            nonce_lookups.append(statement)

    nonce_lookups = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert silent_code("used-once")["code"]
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert len(nonce_lookups) == 1 and "browser_sessions" in nonce_lookups[0]
    replayed = silent_code("used-once")
    assert replayed["error"] == "invalid_request" and "'nonce'" in replayed["error_description"]
    assert "code" not in replayed and replayed["state"] == "st4te"
    framed = embedded(http.get(frame_url(response_type="id_token", scope="openid", state="s",
                                         nonce="used-once", redirect_uri=NGO)).text,
                      "authorization")
    assert framed["error"] == "invalid_request" and "id_token" not in framed
    assert silent_code("a-new-one")["code"]


@pytest.mark.parametrize("redirect_uri", [
    NGO + "/", "http://evil.localhost:5000", NGO + "/elsewhere", None])
def test_web_message_redirect_uri_rule(http, redirect_uri):
    response = http.get(authorize_url(**{**SILENT, "redirect_uri": redirect_uri}))
    assert response.status_code == 400
    assert "postMessage" not in response.text and "Location" not in response.headers
    assert "redirect_uri" in response.text


# --- the status frame -----------------------------------------------------------------------

def frame_url(origin=NGO, client_id=CLIENT_ID, **params):
    from urllib.parse import urlencode
    return f"{IDP}/oidc/iframe/check_session?" + urlencode(
        {"client_id": client_id, "origin": origin, **params})


def test_status_frame_says_hello_first_and_logged_out(http):
    response = http.get(frame_url())
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].endswith(f"frame-ancestors {NGO}")
    assert response.headers["Cache-Control"] == "no-store"
    script = response.text.split("<script", 1)[1].split(">", 1)[1].lstrip()
    assert script.startswith(f'window.parent.postMessage({{type: "lxl:hello"}}, "{NGO}");')
    status = embedded(response.text, "initial")
    assert status["status"] == "logged_out" and status["reason"] == "no_session"
    assert "ada@example.org" not in response.text and "Lovelace" not in response.text, \
        "never says who is signed in"


@pytest.mark.parametrize("origin, client_id, reason", [
    ("http://evil.localhost:5000", CLIENT_ID, "origin_not_allowed"),
    (NGO + "/", CLIENT_ID, "origin_not_allowed"),
    (NGO, "nope", "unknown_client"),
])
def test_status_frame_refuses_other_callers_and_posts_nothing(http, origin, client_id, reason):
    response = http.get(frame_url(origin=origin, client_id=client_id))
    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "postMessage" not in response.text and reason in response.text
    check = http.get(f"{IDP}/oidc/client-check?client_id={client_id}&origin={origin}")
    assert check.json["error"] == reason and check.headers["Access-Control-Allow-Origin"] == "*"


def test_client_check_ok(http):
    assert http.get(f"{IDP}/oidc/client-check?client_id={CLIENT_ID}&origin={NGO}").json == \
        {"ok": True}


def test_status_frame_reasons(app, http):
    sign_in(http)
    assert embedded(http.get(frame_url()).text, "initial")["reason"] == "consent_required"
    consent(http, authorize_url(response_type="id_token"))
    assert embedded(http.get(frame_url()).text, "initial")["status"] == "logged_in"


def test_status_frame_with_third_party_cookies_blocked_says_unknown(http):
    signed_in_and_consented(http)
    http.delete_cookie("lxl_silent", domain="id.localhost", path="/oidc/")
    response = http.get(frame_url(), headers={"Sec-Fetch-Storage-Access": "none"})
    assert embedded(response.text, "initial") | {"session_state": None} == {
        "status": "unknown", "reason": "third_party_cookies_blocked", "session_state": None}


def test_one_frame_carries_the_whole_silent_sign_in(http):
    signed_in_and_consented(http)
    response = http.get(frame_url(response_type="id_token", scope="openid email",
                                  nonce="n-1", state="s-1", redirect_uri=NGO))
    authorization = embedded(response.text, "authorization")
    assert authorization["state"] == "s-1"
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    claims = jwt.decode(authorization["id_token"], keys).claims
    assert claims["nonce"] == "n-1" and claims["aud"] == CLIENT_ID and claims["iss"] == IDP
    assert "name" not in claims, "the frame's scope applies"
    assert response.headers["Cache-Control"] == "no-store"


def _no_consent(app, http):
    sign_in(http)


def _consented(app, http):
    signed_in_and_consented(http)


def _opted_out(app, http):
    signed_in_and_consented(http)
    frame_action(http, "disable_auto_select")


def _signed_in_long_ago(app, http):
    signed_in_and_consented(http)
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(auth_time=int(time.time()) - 600))
        db.session.commit()


def _cookies_withheld(app, http):
    signed_in_and_consented(http)
    http.delete_cookie("lxl_silent", domain="id.localhost", path="/oidc/")


def test_the_frame_issues_only_for_its_own_origin(app, http):
    """A credential for another registered origin of the client is never posted to this one."""
    with app.app_context():
        client, _ = clients.register("Two sites", [f"{NGO}/cb"], [NGO, "http://b.localhost"])
        client_id = client.client_id
    sign_in(http)
    consent(http, authorize_url(client_id=client_id, redirect_uri=f"{NGO}/cb",
                                response_type="id_token"))
    request = {"response_type": "id_token", "scope": "openid email profile", "nonce": "n",
               "state": "s"}
    other = http.get(frame_url(client_id=client_id, redirect_uri="http://b.localhost",
                               **request)).text
    posted = embedded(other, "authorization")
    assert posted["error"] == "invalid_request" and "redirect_uri" in posted["error_description"]
    assert "id_token" not in posted
    own = http.get(frame_url(client_id=client_id, redirect_uri=NGO, **request)).text
    assert "id_token" in embedded(own, "authorization")


def test_the_frame_refuses_a_repeated_parameter_as_authorize_does(http):
    """The first value of a repeated parameter is not silently taken (one answer for both)."""
    signed_in_and_consented(http)
    request = {"response_type": "id_token", "scope": "openid", "nonce": "n", "state": "s",
               "redirect_uri": NGO}
    repeated = "&scope=openid+email+profile+offline_access"
    authorized = http.get(authorize_url(**{**SILENT, **request}) + repeated)
    assert authorized.status_code == 400 and "Repeated &#39;scope&#39;" in authorized.text
    frame = http.get(frame_url(**request) + repeated).text
    posted = embedded(frame, "authorization")
    assert posted["error"] == "invalid_request" and "scope" in posted["error_description"]
    assert "id_token" not in posted


@pytest.mark.parametrize("setup", [
    lambda app, http: None, _no_consent, _consented, _opted_out, _signed_in_long_ago,
    _cookies_withheld])
@pytest.mark.parametrize("extra", [
    {}, {"max_age": "60"}, {"login_hint": "grace@example.org"}, {"nonce": None},
    {"max_age": "soon"}, {"response_type": "bogus"}])
def test_one_frame_and_authorize_answer_alike(app, http, setup, extra):
    """The status frame gives the answer /oidc/authorize?prompt=none gives the same request."""
    setup(app, http)
    request = {"response_type": "id_token", "scope": "openid", "nonce": "n-2", "state": "s-2",
               "redirect_uri": NGO, **extra}
    request = {k: v for k, v in request.items() if v is not None}
    headers = {"Sec-Fetch-Storage-Access": "none"} if setup is _cookies_withheld else {}
    authorized = http.get(authorize_url(**{**SILENT, **request, "nonce": request.get("nonce")}),
                          headers=headers)
    if authorized.status_code == 400:  # a page of ours, posting nothing: its error code
        error_code = re.search(r"Error code: <code>(\w+)</code>", authorized.text).group(1)
        expected = {"error": error_code}
    else:
        expected = web_message_response(authorized.text)
    frame = http.get(frame_url(**request), headers=headers).text
    status, posted = embedded(frame, "initial"), embedded(frame, "authorization")
    if "id_token" in expected:
        assert status["status"] == "logged_in"
        assert set(posted) == set(expected) and posted["state"] == expected["state"]
        keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
        issued = [jwt.decode(r["id_token"], keys).claims for r in (posted, expected)]
        ignored = {"iat", "exp", "at_hash"}  # issued a moment apart
        assert [{k: v for k, v in c.items() if k not in ignored} for c in issued] == \
            [{k: v for k, v in issued[1].items() if k not in ignored}] * 2
    elif "reason" in expected:  # the session decided: the frame names the same reason
        assert status["reason"] == expected["reason"] and posted is None
    elif status["status"] == "logged_in":  # a malformed request, told to a consented site
        assert {k: v for k, v in posted.items() if k in expected} == expected
    else:  # a malformed request, and no credential due: the frame posts nothing
        assert posted is None


@pytest.mark.parametrize("params", [
    {},
    {"response_type": "id_token", "scope": "openid", "nonce": "n", "state": "s",
     "redirect_uri": NGO},
    {"response_type": "id_token", "scope": "openid", "nonce": "n", "state": "s",
     "redirect_uri": NGO, "id_token_hint": "not-a-token"},
    {"response_type": "id_token", "scope": "openid", "state": "s", "redirect_uri": NGO},
])
@pytest.mark.parametrize("path", ["check_session", "status"])
def test_a_frame_request_loads_its_client_once_and_decides_once(
        app, http, monkeypatch, params, path):
    from sqlalchemy import event
    from app.idp import caches
    from app.idp.models import Client
    from app.idp.oidc import silent

    signed_in_and_consented(http)
    verdicts, client_queries = [], []
    evaluate = silent.evaluate
    monkeypatch.setattr(silent, "evaluate", lambda *a, **k: verdicts.append(a) or evaluate(*a, **k))

    def count(conn, cursor, statement, *args):
        if "FROM clients" in statement:
            client_queries.append(statement)

    with app.app_context():
        caches.cache_of(Client).clear()  # so that this request has to read it
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = http.get(frame_url(**params).replace("/check_session?", f"/{path}?"))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert len(verdicts) == 1 and len(client_queries) == 1


def test_status_json_for_rechecks(http):
    response = http.get(f"{IDP}/oidc/iframe/status?client_id={CLIENT_ID}&origin={NGO}")
    assert response.json["status"]["status"] == "logged_out"
    assert response.json["authorization"] is None
    assert "Access-Control-Allow-Origin" not in response.headers, "same-origin only"


def test_status_json_carries_the_credential_after_storage_access(http):
    """Browsers without Storage Access Headers: the frame asks again once it has access."""
    signed_in_and_consented(http)
    url = frame_url(response_type="id_token", scope="openid", nonce="n-3", state="s-3",
                    redirect_uri=NGO).replace("/check_session?", "/status?")
    answer = http.get(url).json
    assert answer["status"]["status"] == "logged_in"
    assert answer["authorization"]["state"] == "s-3" and answer["authorization"]["id_token"]


def test_session_state_is_the_specs_hash():
    import hashlib
    expected = hashlib.sha256(f"{CLIENT_ID} {NGO} abc s1".encode()).hexdigest() + ".s1"
    assert session_state.compute(CLIENT_ID, NGO, "abc", salt="s1") == expected
    assert session_state.compute(CLIENT_ID, NGO, "abd", salt="s1") != expected


def test_browser_state_changes_with_sign_in(http):
    before = http.get_cookie("lxl_bs", domain="id.localhost", path="/oidc/")
    sign_in(http)
    after = http.get_cookie("lxl_bs", domain="id.localhost", path="/oidc/")
    assert after is not None and (before is None or before.value != after.value)
    assert not after.http_only and after.secure and after.same_site == "None"


# --- the standard session iframe ------------------------------------------------------------

def test_session_iframe_publishes_no_client_and_stays_the_same_size(app, http):
    """Its URL carries no client_id, so it names none: any page may frame it, and its script
    asks /oidc/client-check about each message's client_id and origin instead."""
    first = http.get(f"{IDP}/oidc/iframe/session")
    with app.app_context():
        for n in range(40):
            clients.register(f"NGO {n}", [f"http://ngo{n}.localhost:5000/cb"],
                             [f"http://ngo{n}.localhost:5000"])
    response = http.get(f"{IDP}/oidc/iframe/session")
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors *")
    assert len(policy) == len(first.headers["Content-Security-Policy"])
    assert len(response.text) == len(first.text)
    for published in (NGO, "ngo0.localhost", CLIENT_ID):
        assert published not in response.text and published not in policy
    assert embedded(response.text, "blocked") is False
    blocked = http.get(f"{IDP}/oidc/iframe/session", headers={"Sec-Fetch-Storage-Access": "none"})
    assert embedded(blocked.text, "blocked") is True


def test_discovery_names_the_session_iframe(http):
    metadata = http.get(f"{IDP}/.well-known/openid-configuration").json
    assert metadata["check_session_iframe"] == f"{IDP}/oidc/iframe/session"


# --- auto-select opt-out ---------------------------------------------------------------------

def frame_action(http, action, **extra):
    return http.post(f"{IDP}/oidc/iframe/action", json={
        "client_id": CLIENT_ID, "origin": NGO, "action": action, **extra},
        headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})


def test_opt_out_round_trip(http):
    signed_in_and_consented(http)
    assert frame_action(http, "disable_auto_select").json == {"ok": True}
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    assert error["error"] == "login_required" and error["reason"] == "auto_select_disabled"
    assert embedded(http.get(frame_url()).text, "initial")["reason"] == "auto_select_disabled"
    # Signing in to the site by hand turns automatic sign-in back on.
    assert sign_in_for(http, authorize_url(response_type="id_token", prompt="login")) \
        .status_code == 302
    assert "id_token" in redirect_params(http.get(authorize_url(response_type="id_token",
                                                                prompt="none")))


@pytest.mark.parametrize("headers", [
    {"Origin": NGO, "Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://evil.localhost:5000", "Sec-Fetch-Site": "same-site"},
    {},
])
def test_frame_actions_refuse_cross_site_callers(http, headers):
    signed_in_and_consented(http)
    response = http.post(f"{IDP}/oidc/iframe/action", json={
        "client_id": CLIENT_ID, "origin": NGO, "action": "disable_auto_select"}, headers=headers)
    assert response.status_code == 403
    assert "id_token" in redirect_params(http.get(authorize_url(response_type="id_token",
                                                                prompt="none")))


def test_frame_action_revoke_needs_the_users_hint(http):
    signed_in_and_consented(http)
    token = redirect_params(http.get(authorize_url(response_type="id_token",
                                                   prompt="none")))["id_token"]
    assert frame_action(http, "revoke", hint="someone-else").json == {"ok": False}
    assert frame_action(http, "revoke", hint=token).json == {"ok": True}
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    assert error["error"] == "consent_required"


@pytest.mark.parametrize("params, error, names", [
    ({"response_type": "id_token", "nonce": "n", "state": "s"}, "invalid_request", "redirect_uri"),
    ({"response_type": "id_token", "nonce": "n", "state": "s",
      "redirect_uri": "http://evil.localhost:5000"}, "invalid_request", "redirect_uri"),
    ({"response_type": "bogus", "state": "s", "redirect_uri": NGO}, "unsupported_response_type",
     "bogus"),
    ({"response_type": "id_token", "scope": "openid", "state": "s", "redirect_uri": NGO},
     "invalid_request", "nonce"),
    ({"response_type": "id_token", "nonce": "n", "state": "s", "redirect_uri": NGO},
     "invalid_scope", "openid"),
])
def test_a_bad_request_in_the_status_frame_is_an_error_response_not_a_crash(
        http, params, error, names):
    signed_in_and_consented(http)
    response = http.get(frame_url(**params))
    assert response.status_code == 200
    answer = embedded(response.text, "authorization")
    assert answer["error"] == error and names in answer["error_description"]
    assert answer["state"] == "s"


def test_frame_action_with_a_body_that_is_not_an_object_is_refused(http):
    response = http.post(f"{IDP}/oidc/iframe/action", data="[1, 2]",
                         content_type="application/json",
                         headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 400 and response.json["error"] == "invalid_request"
    assert "JSON object" in response.json["error_description"]


@pytest.mark.parametrize("name", ["client_id", "origin", "action", "hint"])
@pytest.mark.parametrize("value", [["ngo-demo"], {"$ne": ""}, 7, True])
def test_frame_action_refuses_a_parameter_that_is_not_a_string(http, name, value):
    signed_in_and_consented(http)
    body = {"client_id": CLIENT_ID, "origin": NGO, "action": "revoke", "hint": "h", name: value}
    response = http.post(f"{IDP}/oidc/iframe/action", json=body,
                         headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 400, response.text
    assert response.json["error"] == "invalid_request"
    assert f"'{name}' must be a string" in response.json["error_description"]


def test_storage_access_retry_is_offered_only_to_a_registered_origin(http):
    response = http.get(authorize_url(**{**SILENT, "redirect_uri": "http://evil.localhost:5000"}),
                        headers={"Sec-Fetch-Storage-Access": "inactive"})
    assert "Activate-Storage-Access" not in response.headers
