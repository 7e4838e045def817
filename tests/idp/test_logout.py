"""RP-initiated logout at /oidc/logout (OpenID Connect RP-Initiated Logout 1.0)."""

import logging
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app import logs
from app.idp import clients, keys
from app.idp.models import User, epoch
from app.idp.oidc import claims
from tests.helpers import (
    CLIENT_ID, IDP, NGO, csrf_token, get_tokens, refresh, sign_in)

POST_LOGOUT_URI = f"{NGO}/"
OTHER_ORIGIN = "http://other.localhost:5000"


def logout_url(**params):
    return f"{IDP}/oidc/logout?" + urlencode({k: v for k, v in params.items() if v is not None})


def signed_in(http):
    return http.get(f"{IDP}/account").status_code == 200


def mint_id_token(app, client_id=CLIENT_ID, email="ada@example.org", key=None, **overrides):
    """Return an ID token as the IdP would sign it (expired an hour ago, as hints often are)."""
    with app.app_context():
        user = User.by_email(email)
        payload = {"iss": IDP, "aud": client_id, "sub": claims.subject(user, client_id),
                   "iat": epoch() - 7200, "exp": epoch() - 3600, **overrides}
        key = key or keys.current_key()
        return jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)


@pytest.fixture
def other_client(app):
    """A second registered client with its own post-logout redirect URI."""
    with app.app_context():
        client, _ = clients.register("Other NGO", [f"{OTHER_ORIGIN}/cb"], [OTHER_ORIGIN],
                                     post_logout_redirect_uris=[f"{OTHER_ORIGIN}/bye"])
        return client.client_id


def test_discovery_names_the_end_session_endpoint(http):
    metadata = http.get(f"{IDP}/.well-known/openid-configuration").json
    assert metadata["end_session_endpoint"] == f"{IDP}/oidc/logout"


def test_a_valid_hint_signs_out_and_redirects_with_state(http):
    issued = get_tokens(http).json
    response = http.get(logout_url(id_token_hint=issued["id_token"],
                                   post_logout_redirect_uri=POST_LOGOUT_URI, state="bye123"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{POST_LOGOUT_URI}?state=bye123"
    assert not signed_in(http)
    assert refresh(http, issued["refresh_token"]).json["error"] == "invalid_grant"


def test_an_expired_hint_is_still_accepted_and_post_works_too(app, http):
    sign_in(http)
    response = http.post(f"{IDP}/oidc/logout", data={
        "id_token_hint": mint_id_token(app), "post_logout_redirect_uri": POST_LOGOUT_URI})
    assert response.headers["Location"] == POST_LOGOUT_URI
    assert not signed_in(http)


def test_a_valid_hint_without_a_redirect_uri_ends_at_the_sign_in_page(app, http):
    sign_in(http)
    response = http.get(logout_url(id_token_hint=mint_id_token(app)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin")
    assert not signed_in(http)


@pytest.mark.parametrize("by_hint", [True, False], ids=["hint", "confirmation"])
def test_the_logout_line_names_the_user_and_the_client(app, http, caplog, by_hint):
    caplog.set_level(logging.INFO, logger="lxl")
    sign_in(http)
    if by_hint:  # the client is named only by the hint's audience
        http.get(logout_url(id_token_hint=mint_id_token(app)))
    else:
        page = http.get(logout_url(client_id=CLIENT_ID))
        http.post(f"{IDP}/oidc/logout", data={"csrf_token": csrf_token(page.text),
                                               "client_id": CLIENT_ID})
    assert not signed_in(http)
    [logout] = [record.lxl for record in caplog.records
                if record.name == "lxl" and record.lxl["event"] == "logout"]
    with app.app_context():
        assert logout["user"] == logs.user_reference(User.by_email("ada@example.org"))
    assert logout["client_id"] == CLIENT_ID and logout["scope"] == "browser"


def test_a_valid_hint_with_nobody_signed_in_still_redirects(app, http):
    response = http.get(logout_url(id_token_hint=mint_id_token(app),
                                   post_logout_redirect_uri=POST_LOGOUT_URI))
    assert response.headers["Location"] == POST_LOGOUT_URI


def test_without_a_hint_the_user_confirms_with_a_csrf_protected_form(http):
    sign_in(http)
    url = logout_url(client_id=CLIENT_ID, post_logout_redirect_uri=POST_LOGOUT_URI, state="s")
    page = http.get(url)
    assert page.status_code == 200 and "Location" not in page.headers
    assert '<form method="post"' in page.text and "Sample NGO" in page.text
    assert signed_in(http), "showing the page changes nothing"

    assert http.post(f"{IDP}/oidc/logout", data={"client_id": CLIENT_ID}).status_code == 200
    assert signed_in(http), "a POST without the page's CSRF token is not a confirmation"

    confirmed = http.post(f"{IDP}/oidc/logout", data={
        "csrf_token": csrf_token(page.text), "client_id": CLIENT_ID,
        "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "s"})
    assert not signed_in(http)
    # §3: without a hint the redirect target is unverified; the user stays with us.
    assert confirmed.headers["Location"].endswith("/signin")


@pytest.mark.parametrize("params", [{}, {"client_id": CLIENT_ID}, {"state": "x"}])
def test_a_get_without_a_hint_never_signs_out(http, params):
    sign_in(http)
    response = http.get(logout_url(**params))  # what <img src=…/oidc/logout> would send
    assert response.status_code == 200 and "Location" not in response.headers
    assert signed_in(http)


def test_a_hint_for_someone_else_needs_confirmation(app, http):
    sign_in(http, email="grace@example.org")
    response = http.get(logout_url(id_token_hint=mint_id_token(app, email="ada@example.org"),
                                   post_logout_redirect_uri=POST_LOGOUT_URI))
    assert response.status_code == 200 and "Location" not in response.headers
    assert signed_in(http)


@pytest.mark.parametrize("uri", [
    f"{NGO}",                              # no trailing slash
    f"{NGO}/?next=/",                      # extra query
    f"{NGO}/auth/callback",                # a redirect URI, not a post-logout one
    "http://evil.localhost:5000/",
])
def test_an_unregistered_post_logout_redirect_uri_gets_an_error_page(app, http, uri):
    sign_in(http)
    response = http.get(logout_url(id_token_hint=mint_id_token(app),
                                   post_logout_redirect_uri=uri, state="s"))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Unknown &#39;post_logout_redirect_uri&#39;" in response.text
    assert signed_in(http)


def test_another_clients_post_logout_redirect_uri_is_refused(app, http, other_client):
    sign_in(http)
    response = http.get(logout_url(id_token_hint=mint_id_token(app),
                                   post_logout_redirect_uri=f"{OTHER_ORIGIN}/bye"))
    assert response.status_code == 400 and "Location" not in response.headers
    assert signed_in(http)


def test_a_hint_for_another_client_is_refused(app, http, other_client):
    sign_in(http)
    hint = mint_id_token(app, client_id=other_client)
    response = http.get(logout_url(id_token_hint=hint, client_id=CLIENT_ID,
                                   post_logout_redirect_uri=POST_LOGOUT_URI))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "client_id" in response.text
    assert signed_in(http)


@pytest.mark.parametrize("tamper", ["forged", "issuer", "audience", "garbage"])
def test_an_invalid_hint_gets_an_error_page(app, http, tamper):
    sign_in(http)
    if tamper == "forged":
        with app.app_context():
            real_kid = keys.current_key().kid
        forger = RSAKey.generate_key(2048, parameters={"kid": real_kid}, private=True)
        hint = mint_id_token(app, key=forger)
    elif tamper == "issuer":
        hint = mint_id_token(app, iss="http://evil.localhost:5000")
    elif tamper == "audience":
        hint = mint_id_token(app, aud=[CLIENT_ID, "someone-else"])
    else:
        hint = "not-a-jwt"
    response = http.get(logout_url(id_token_hint=hint, post_logout_redirect_uri=POST_LOGOUT_URI))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "id_token_hint" in response.text
    assert signed_in(http)


def test_an_unknown_client_id_gets_an_error_page(http):
    response = http.get(logout_url(client_id="nope"))
    assert response.status_code == 400 and "Unknown &#39;client_id&#39;" in response.text


def test_the_confirmation_page_cannot_be_framed(http):
    page = http.get(logout_url())
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_a_cross_site_post_without_the_lax_cookie_asks_first(app, http):
    sign_in(http)
    http.delete_cookie("lxl_session", domain="id.localhost")  # SameSite=Lax: not sent
    response = http.post(f"{IDP}/oidc/logout", data={
        "id_token_hint": mint_id_token(app), "post_logout_redirect_uri": POST_LOGOUT_URI})
    assert response.status_code == 200 and "Location" not in response.headers
    assert 'name="id_token_hint"' in response.text, "the confirmation carries the request on"
