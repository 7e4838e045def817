"""Authorization code flow with PKCE S256 (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1)."""

import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers import (
    CLIENT_ID, IDP, NGO, REDIRECT_URI, LiveServer, all_at_once, authorize_url, consent,
    consent_form, csrf_token, pkce_pair, redirect_params, refresh, sign_in, sign_in_for, userinfo)


def get_code(http, **overrides):
    """Run the front channel once (sign-in and consent as needed); return redirect params."""
    verifier, challenge = pkce_pair()
    overrides.setdefault("nonce", NONCE)
    url = authorize_url(code_challenge=challenge, code_challenge_method="S256", **overrides)
    response = http.get(url)
    if "/signin" in response.headers.get("Location", ""):
        sign_in(http)
        response = http.get(url)
    if response.status_code == 200 and 'value="allow"' in response.text:
        response = consent(http, url)
    assert response.status_code == 302, response.text
    return redirect_params(response), verifier


def exchange(http, code, verifier, **overrides):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID, "code_verifier": verifier}
    form.update(overrides)
    return http.post(f"{IDP}/oidc/token", data={k: v for k, v in form.items() if v is not None})


NONCE = "n0nce"


def verify_id_token(http, id_token, nonce=NONCE):
    """Verify an ID token as a relying party would: JWKS signature, iss, aud, nonce, exp."""
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": IDP},
                          aud={"essential": True, "value": CLIENT_ID},
                          nonce={"essential": True, "value": nonce},
                          exp={"essential": True}, sub={"essential": True}).validate(token.claims)
    assert token.header["kid"]
    return token.claims


def test_full_code_flow_gives_a_verifiable_id_token(http):
    params, verifier = get_code(http)
    assert params["state"] == "st4te"
    response = exchange(http, params["code"], verifier)
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json
    claims = verify_id_token(http, tokens["id_token"])
    assert claims["email"] == "ada@example.org" and claims["name"] == "Ada Lovelace"
    assert claims["email_verified"] is False, "nothing verified the address"
    for claim in ("iat", "sid"):
        assert claim in claims
    assert "auth_time" not in claims, "only when max_age asks (test_id_token_claims.py)"
    assert claims["exp"] > time.time()

    info = http.get(f"{IDP}/oidc/userinfo",
                    headers={"Authorization": f"Bearer {tokens['access_token']}"}).json
    assert info["sub"] == claims["sub"] and info["email"] == "ada@example.org"


def test_scopes_decide_the_claims(http):
    params, verifier = get_code(http, scope="openid", nonce="other")
    claims = verify_id_token(http, exchange(http, params["code"], verifier).json["id_token"],
                             nonce="other")
    assert "email" not in claims and "name" not in claims


def test_subject_and_sid_are_pairwise_per_client(app, http):
    from app.idp import clients

    with app.app_context():
        other, _ = clients.register("Other NGO", ["http://other.localhost:5000/cb"],
                                    ["http://other.localhost:5000"])
        other_id = other.client_id
    first, verifier = get_code(http, nonce="third")
    ngo_claims = verify_id_token(http, exchange(http, first["code"], verifier).json["id_token"],
                                 nonce="third")
    verifier2, challenge2 = pkce_pair()
    url = authorize_url(client_id=other_id, redirect_uri="http://other.localhost:5000/cb",
                        code_challenge=challenge2, code_challenge_method="S256")
    second = redirect_params(consent(http, url))
    other_tokens = exchange(http, second["code"], verifier2, client_id=other_id,
                            redirect_uri="http://other.localhost:5000/cb").json
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    other_claims = jwt.decode(other_tokens["id_token"], keys).claims
    assert other_claims["sub"] != ngo_claims["sub"]
    assert other_claims["sid"] != ngo_claims["sid"]


def test_nonce_replay_is_refused(http):
    get_code(http)
    _, challenge = pkce_pair()
    error = redirect_params(http.get(authorize_url(
        nonce=NONCE, code_challenge=challenge, code_challenge_method="S256")))
    assert error["error"] == "invalid_request" and "'nonce'" in error["error_description"]


def pkce_url(**overrides):
    """Return a fresh authorization request (new nonce and PKCE challenge)."""
    _, challenge = pkce_pair()
    return authorize_url(code_challenge=challenge, code_challenge_method="S256", **overrides)


def test_consent_is_remembered_then_revocable(http):
    get_code(http)  # consents once
    assert http.get(pkce_url()).status_code == 302, "no second consent page"
    assert 'value="allow"' in http.get(pkce_url(prompt="consent")).text, \
        "prompt=consent forces the page"

    account = http.get(f"{IDP}/account")
    assert "Sample NGO" in account.text
    http.post(f"{IDP}/account/consents/{CLIENT_ID}/revoke",
              data={"csrf_token": csrf_token(account.text)})
    assert 'value="allow"' in http.get(pkce_url()).text, "consent asked again after revoking"


def test_deny_returns_access_denied_with_state(http):
    sign_in(http)
    response = consent(http, pkce_url(), decision="deny")
    error = redirect_params(response)
    assert error["error"] == "access_denied" and error["state"] == "st4te"
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")


@pytest.mark.parametrize("forgery", [
    {"csrf_token": None},
    {"csrf_token": "not-the-token"},
    {"authorization_request": None},
    {"authorization_request": "eyJwYXJhbXMiOnt9fQ.forged.signature"},
])
def test_a_forged_consent_is_refused(http, forgery):
    """The decision needs the page's CSRF token and its signed copy of the request."""
    sign_in(http)
    url = pkce_url()
    answer = {**consent_form(http.get(url).text), **forgery}
    response = http.post(f"{IDP}/oidc/authorize/consent",
                         data={k: v for k, v in answer.items() if v is not None})
    assert response.status_code == 400 and "Location" not in response.headers
    assert http.get(url).status_code == 200, "still asks: nothing was consented"


def test_a_consent_page_answers_only_for_whoever_saw_it(app, http):
    sign_in(http)
    answer = consent_form(http.get(pkce_url()).text)
    sign_in(http, email="grace@example.org")
    response = http.post(f"{IDP}/oidc/authorize/consent", data={
        **answer, "csrf_token": csrf_token(http.get(f"{IDP}/account").text)})
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_client_may_post_the_authorization_request(http):
    """OIDC Core §3.1.2.1: the request may come as a form POST, without our CSRF token."""
    sign_in(http)
    _, challenge = pkce_pair()
    params = dict(parse_qsl(urlsplit(authorize_url(
        code_challenge=challenge, code_challenge_method="S256")).query))
    page = http.post(f"{IDP}/oidc/authorize", data=params)
    assert page.status_code == 200 and 'value="allow"' in page.text
    response = http.post(f"{IDP}/oidc/authorize/consent", data=consent_form(page.text))
    granted = redirect_params(response)
    assert granted["code"] and granted["state"] == "st4te"
    again = http.post(f"{IDP}/oidc/authorize", data={**params, "nonce": "another"})
    assert "code" in redirect_params(again), "consented: the POST gets a code at once"


@pytest.mark.parametrize("overrides, description_mentions", [
    ({"code_challenge_method": "plain"}, "code_challenge_method"),
    ({"code_challenge_method": None}, "code_challenge_method"),
    ({"code_challenge": None, "code_challenge_method": None}, "code_challenge"),
])
def test_pkce_refusals_at_the_authorization_endpoint(http, overrides, description_mentions):
    sign_in(http)
    verifier, challenge = pkce_pair()
    params = {"code_challenge": challenge, "code_challenge_method": "S256", **overrides}
    response = http.get(authorize_url(**params))
    assert response.status_code == 302
    error = redirect_params(response)
    assert error["error"] == "invalid_request"
    assert description_mentions in error["error_description"]
    assert error["state"] == "st4te"


def test_wrong_verifier_is_invalid_grant(http):
    params, _ = get_code(http)
    other_verifier, _ = pkce_pair()
    response = exchange(http, params["code"], other_verifier)
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"


def test_missing_verifier_is_refused(http):
    params, _ = get_code(http)
    response = exchange(http, params["code"], None)
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_codes_and_tokens_are_288_random_bits(http):
    """At least Authlib's default strength (48 characters of 62: 286 bits), URL-safe."""
    params, verifier = get_code(http)
    tokens = exchange(http, params["code"], verifier).json
    values = [params["code"], tokens["access_token"], tokens["refresh_token"]]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{48}", value) for value in values), values
    assert len(set(values)) == 3


def test_code_replay_is_invalid_grant(http):
    params, verifier = get_code(http)
    issued = exchange(http, params["code"], verifier)
    assert issued.status_code == 200
    replay = exchange(http, params["code"], verifier)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert userinfo(http, issued.json["access_token"]).status_code == 401, "family revoked"


@pytest.mark.parametrize("then", ["sign out", "another account signs in"])
def test_a_code_of_a_session_that_is_over_buys_nothing(http, then):
    """Finding 6's other half: a code, not yet redeemed, must not outlive its session."""
    params, verifier = get_code(http)
    if then == "sign out":
        page = http.get(f"{IDP}/account")
        http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})
    else:
        sign_in(http, email="grace@example.org")
    refused = exchange(http, params["code"], verifier)
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


def test_a_code_redeemed_twice_at_once_issues_nothing_that_works(app, http):
    """RFC 6749 §4.1.2: one request wins the code; the other is refused and revokes it."""
    params, verifier = get_code(http)
    form = {"grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": REDIRECT_URI, "client_id": CLIENT_ID, "code_verifier": verifier}
    with LiveServer(app) as live:
        answers = all_at_once(lambda: live.post("/oidc/token", form),
                              lambda: live.post("/oidc/token", form))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 400], answers
    (_, won), (_, lost) = sorted(answers, key=lambda answer: answer[0])
    assert lost["error"] == "invalid_grant" and "code" in lost["error_description"]
    assert userinfo(http, won["access_token"]).status_code == 401
    assert refresh(http, won["refresh_token"]).json["error"] == "invalid_grant"


def test_token_redirect_uri_must_match_the_authorization_request(http):
    params, verifier = get_code(http)
    response = exchange(http, params["code"], verifier, redirect_uri=REDIRECT_URI + "/")
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"


@pytest.mark.parametrize("redirect_uri", [
    REDIRECT_URI + "/",                     # trailing slash
    REDIRECT_URI + "?next=/",               # extra query
    REDIRECT_URI.upper(),                   # case
    "http://evil.localhost:5000/auth/callback",
])
def test_redirect_uri_mismatch_gets_an_error_page_not_a_redirect(http, redirect_uri):
    _, challenge = pkce_pair()
    response = http.get(authorize_url(redirect_uri=redirect_uri, code_challenge=challenge,
                                      code_challenge_method="S256"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "redirect_uri" in response.text.lower() or "redirect uri" in response.text.lower()


@pytest.mark.parametrize("client_id, expected", [
    ("nope", "Unknown &#39;client_id&#39;"), (None, "Missing &#39;client_id&#39;")])
def test_unknown_or_missing_client_gets_an_error_page(http, client_id, expected):
    response = http.get(authorize_url(client_id=client_id))
    assert response.status_code == 400 and "Location" not in response.headers
    assert expected in response.text


def test_unsupported_response_mode_is_named(http):
    sign_in(http)
    _, challenge = pkce_pair()
    response = http.get(authorize_url(response_mode="carrier_pigeon", code_challenge=challenge,
                                      code_challenge_method="S256"))
    error = redirect_params(response)
    assert error["error"] == "invalid_request" and "response_mode" in error["error_description"]


def test_signed_out_user_is_sent_to_sign_in_and_back(http):
    _, challenge = pkce_pair()
    url = authorize_url(code_challenge=challenge, code_challenge_method="S256")
    response = http.get(url)
    assert response.status_code == 302 and "/signin?" in response.headers["Location"]
    resumed = sign_in(http, next_url=url.removeprefix(IDP))
    assert resumed.headers["Location"].startswith("/oidc/authorize?")


def test_form_post_response_mode_for_code(http):
    sign_in(http)
    _, challenge = pkce_pair()
    url = authorize_url(response_mode="form_post", code_challenge=challenge,
                        code_challenge_method="S256")
    response = consent(http, url)
    assert response.status_code == 200
    assert f'action="{REDIRECT_URI}"' in response.text and 'name="code"' in response.text
    assert response.headers["Cache-Control"] == "no-store"


# --- the auto-select opt-out: only the user turns automatic sign-in back on -------------

def opt_out(http):
    """Turn automatic sign-in off for the demo site, as the SDK's disableAutoSelect does."""
    response = http.post(f"{IDP}/oidc/iframe/action", json={
        "client_id": CLIENT_ID, "origin": NGO, "action": "disable_auto_select"},
        headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})
    assert response.json == {"ok": True}


def signs_in_silently(http):
    """True if prompt=none signs the user in (False: refused, e.g. auto_select_disabled)."""
    return "code" in redirect_params(http.get(pkce_url(prompt="none")))


@pytest.fixture
def opted_out(http):
    """Ada, signed in and consented to the demo site, who turned auto sign-in off."""
    get_code(http)
    opt_out(http)
    assert not signs_in_silently(http)


def test_a_cross_site_get_of_authorize_keeps_the_opt_out(http, opted_out):
    """Finding 7: any page could send the browser here; that is no action of the user's."""
    assert "code" in redirect_params(http.get(pkce_url()))
    assert not signs_in_silently(http)


def test_a_forged_sign_in_mark_keeps_the_opt_out(http, opted_out):
    assert "code" in redirect_params(http.get(pkce_url(lxl_sign_in="guessed")))
    assert not signs_in_silently(http)


def test_signing_in_for_the_request_clears_the_opt_out(http, opted_out):
    resumed = sign_in_for(http, pkce_url(prompt="login"))
    assert "code" in redirect_params(resumed)
    assert signs_in_silently(http)


def test_signing_in_elsewhere_keeps_the_opt_out(http, opted_out):
    """A sign-in not made for the request that sent the user to sign in is no consent to it."""
    http.get(pkce_url(prompt="login"))
    sign_in(http)
    assert "code" in redirect_params(http.get(pkce_url()))
    assert not signs_in_silently(http)


def test_allow_on_the_consent_page_clears_the_opt_out(http, opted_out):
    assert "code" in redirect_params(consent(http, pkce_url(prompt="consent")))
    assert signs_in_silently(http)
