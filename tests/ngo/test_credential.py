"""POST /auth/credential: the SDK's credential verified on the backend, or refused clearly.

Credentials are ID tokens signed with the IdP's own key (or, for the bad ones, as the case
needs); the NGO backend verifies them against the live IdP's discovery and JWKS over HTTP.
"""

import logging
import time

import pytest
from joserfc.jwk import RSAKey

from app.idp import keys
from app.idp.views import oidc as idp_views
from app.ngo.cookies import NONCE as NONCE_COOKIE
from tests.ngo.conftest import signed_in_name

OTHER_KEY = RSAKey.generate_key(2048, private=True)


def _case(**kwargs):
    """How to spoil a credential: claims to override, a signing key/kid, the CSRF pair."""
    return kwargs


# (expected code, status, how to spoil the otherwise valid request)
BAD_CREDENTIALS = {
    "wrong signature": ("bad_signature", 401, _case(key=OTHER_KEY, same_kid=True)),
    "another audience": ("wrong_audience", 401, _case(claims={"aud": "someone-else"})),
    "another issuer": ("wrong_issuer", 401, _case(claims={"iss": "http://evil.localhost"})),
    "expired": ("expired", 401, _case(claims={"exp": -3600, "iat": -7200})),
    "issued in the future": ("not_yet_valid", 401, _case(claims={"iat": 3600})),
    "wrong nonce": ("wrong_nonce", 401, _case(claims={"nonce": "another-page-load"})),
    "no nonce claim": ("missing_claim", 401, _case(claims={"nonce": None})),
    "no nonce cookie": ("nonce_missing", 400, _case(drop_nonce_cookie=True)),
    "missing CSRF token": ("csrf_token_missing", 403, _case(csrf=None, cookie_csrf=None)),
    "CSRF cookie missing": ("csrf_token_missing", 403, _case(cookie_csrf=None)),
    "mismatched CSRF token": ("csrf_token_mismatch", 403, _case(cookie_csrf="another")),
    "CSRF token not ASCII": ("csrf_token_mismatch", 403, _case(csrf="\u00e9t\u00e9")),
    "garbage": ("malformed", 400, _case(raw="not.a-jwt")),
    "no credential": ("credential_missing", 400, _case(raw="")),
    "unknown kid": ("unknown_key", 401, _case(key=OTHER_KEY)),
}


def attempt(live, browser, case):
    """POST a credential spoiled as ``case`` says, after loading a page; return the answer."""
    page = browser.get(f"{live.ngo}/")
    now = int(time.time())
    claims = {"nonce": browser.nonce(page)}
    for name, value in case.get("claims", {}).items():
        claims[name] = now + value if name in ("exp", "iat") else value
    if "key" in case:
        with live.app.app_context():
            kid = keys.current_key().kid if case.get("same_kid") else "no-such-kid"
        credential = live.credential(key=case["key"], kid=kid, **claims)
    else:
        credential = case.get("raw", live.credential(**claims))
    if case.get("drop_nonce_cookie"):
        browser.cookies.clear(domain="ngo.localhost", path="/", name=NONCE_COOKIE)
    return browser.post_credential(live, credential, csrf=case.get("csrf", "same"),
                                   cookie_csrf=case.get("cookie_csrf", "same"))


@pytest.mark.parametrize("code, status, case", BAD_CREDENTIALS.values(),
                         ids=BAD_CREDENTIALS.keys())
def test_a_bad_credential_is_refused_with_a_4xx_and_a_log_line(
        shared_live, browser, caplog, code, status, case):
    caplog.set_level(logging.WARNING, logger="app.ngo")
    answer = attempt(shared_live, browser, case)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code and answer.json()["message"]
    assert [r for r in caplog.records if code in r.getMessage()], "no log line names it"
    assert signed_in_name(browser.get(f"{shared_live.ngo}/")) is None


def test_each_kind_of_refusal_has_its_own_message(shared_live, make_browser):
    codes_by_message = {}
    for _, _, case in BAD_CREDENTIALS.values():
        answer = attempt(shared_live, make_browser(), case).json()
        codes_by_message.setdefault(answer["message"], set()).add(answer["error"])
    assert all(len(codes) == 1 for codes in codes_by_message.values()), codes_by_message
    assert len(codes_by_message) >= len({code for code, _, _ in BAD_CREDENTIALS.values()})


def test_a_valid_credential_signs_in_with_a_new_session(shared_live, browser):
    answer = browser.sign_in_with_credential(shared_live, sub="pairwise-grace",
                                             name="Grace Hopper")
    assert answer.status_code == 200 and answer.json() == {"signed_in": True,
                                                           "name": "Grace Hopper"}
    members = browser.get(f"{shared_live.ngo}/members")
    assert signed_in_name(members) == "Grace Hopper" and "data-ngo-shifts" in members.text


def test_a_nonce_signs_in_once(shared_live, browser):
    page = browser.get(f"{shared_live.ngo}/")
    credential = shared_live.credential(nonce=browser.nonce(page))
    assert browser.post_credential(shared_live, credential).status_code == 200
    replayed = browser.post_credential(shared_live, credential)
    assert replayed.status_code == 400 and replayed.json()["error"] == "nonce_missing"


def test_the_data_api_form_post_gets_a_page_not_json(shared_live, browser):
    page = browser.get(f"{shared_live.ngo}/")
    credential = shared_live.credential(nonce=browser.nonce(page))
    browser.cookies.set("g_csrf_token", "t", domain="ngo.localhost")
    signed_in = browser.post(f"{shared_live.ngo}/auth/credential",
                             data={"credential": credential, "g_csrf_token": "t"})
    assert signed_in.url == f"{shared_live.ngo}/" and signed_in_name(signed_in)
    refused = browser.post(f"{shared_live.ngo}/auth/credential",
                           data={"credential": "garbage", "g_csrf_token": "t"})
    assert refused.status_code == 400 and "Sign-in did not work" in refused.text


def test_the_jwks_is_fetched_once_while_its_max_age_lasts(live, browser):
    for _ in range(3):
        assert browser.sign_in_with_credential(live).status_code == 200
    assert live.idp_paths["/oidc/jwks"] == 1
    assert live.idp_paths["/.well-known/openid-configuration"] == 1


def test_the_jwks_is_fetched_again_when_its_max_age_says_so(live, browser, monkeypatch):
    monkeypatch.setattr(idp_views, "PUBLIC_DOCUMENT_MAX_AGE", 0)
    for _ in range(3):
        assert browser.sign_in_with_credential(live).status_code == 200
    assert live.idp_paths["/oidc/jwks"] == 3


def test_a_rotated_key_is_fetched_once_and_an_unknown_kid_at_most_once_a_minute(
        live, browser):
    assert browser.sign_in_with_credential(live).status_code == 200  # JWKS cached
    with live.app.app_context():
        keys.rotate()
    assert browser.sign_in_with_credential(live).status_code == 200  # refetched: new kid
    assert live.idp_paths["/oidc/jwks"] == 2

    for _ in range(3):  # forged kids within the minute: no further fetch
        page = browser.get(f"{live.ngo}/")
        forged = live.credential(key=OTHER_KEY, kid="forged", nonce=browser.nonce(page))
        assert browser.post_credential(live, forged).json()["error"] == "unknown_key"
    assert live.idp_paths["/oidc/jwks"] == 2


def test_starting_a_sign_in_with_an_unreachable_idp_is_a_503_not_a_500(make_app):
    app = make_app(LXL_IDP_ORIGIN="http://id.localhost:9")  # nothing listens on port 9
    answer = app.test_client().get("http://ngo.localhost:5000/login")
    assert answer.status_code == 503 and "Could not reach LxL ID" in answer.text


def test_an_unreachable_idp_is_a_503_not_a_500(make_app):
    app = make_app(LXL_IDP_ORIGIN="http://id.localhost:9")  # nothing listens on port 9
    http = app.test_client()
    http.get("http://ngo.localhost:5000/")  # sets the nonce cookie
    http.set_cookie("g_csrf_token", "t", domain="ngo.localhost")
    answer = http.post("http://ngo.localhost:5000/auth/credential",
                       headers={"Accept": "application/json"},
                       data={"credential": "a.b.c", "g_csrf_token": "t"})
    assert answer.status_code == 503 and answer.json["error"] == "idp_unreachable"
