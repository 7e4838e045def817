"""Accounts at the IdP: sign-up, sign-in, sessions, sign-out, CSRF."""

import re

import pytest

from tests.helpers import (
    IDP, authorize_url, csrf_token, finish_sign_up, get_tokens, outbox, pkce_pair, refresh,
    sign_in, sign_up, userinfo)


def cookie_header(response, name):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_sign_in_sets_a_lax_session_and_a_none_silent_cookie(http):
    response = sign_in(http, remember=True)
    assert response.status_code == 302
    lax = cookie_header(response, "lxl_session")
    assert "HttpOnly" in lax and "Secure" in lax and "SameSite=Lax" in lax and "Expires" in lax
    silent = cookie_header(response, "lxl_silent")
    assert "HttpOnly" in silent and "Secure" in silent and "SameSite=None" in silent
    assert "Path=/oidc/" in silent


def test_without_stay_signed_in_the_cookies_end_with_the_browser(http):
    response = sign_in(http, remember=False)
    assert "Expires" not in cookie_header(response, "lxl_session")
    assert "Max-Age" not in cookie_header(response, "lxl_silent")


def test_sign_in_replaces_the_session_id(http):
    http.get(f"{IDP}/signin")
    before = http.get_cookie("lxl_session", domain="id.localhost")
    sign_in(http)
    after = http.get_cookie("lxl_session", domain="id.localhost")
    assert before is None or before.value != after.value


def test_wrong_password_and_unknown_email_get_the_same_message(http):
    wrong = sign_in(http, password="nope-nope-nope")
    unknown = sign_in(http, email="nobody@example.org")
    message = "That email and password do not match an account."
    assert message in wrong.text and message in unknown.text
    assert wrong.status_code == unknown.status_code == 200


def test_email_is_case_insensitive(http):
    assert sign_in(http, email="Ada@Example.ORG").status_code == 302


def test_sign_in_without_csrf_token_is_refused(http):
    response = http.post(f"{IDP}/signin", data={
        "email": "ada@example.org", "password": "correct-horse-battery-staple"})
    assert response.status_code == 400 and "CSRF" in response.text


def test_sign_up_finishes_through_the_mailed_link(http):
    assert "Check your inbox" in sign_up(http, "kj@example.org").text
    assert http.get(f"{IDP}/account").status_code == 302  # no account, no session yet
    assert finish_sign_up(http, outbox(http)[-1]["links"][0]).status_code == 302
    assert "Katherine Johnson" in http.get(f"{IDP}/account").text


def test_sign_up_with_a_taken_address_says_nothing_of_it(http):
    again = sign_up(http, "Ada@Example.org")
    assert again.status_code == 200 and "Check your inbox" in again.text
    assert "exists" not in again.text


def test_account_page_needs_sign_in(http):
    response = http.get(f"{IDP}/account")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_sign_out_ends_the_session(http):
    sign_in(http)
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})
    assert http.get(f"{IDP}/account").status_code == 302


@pytest.fixture
def other_browser(app, http):
    """Ada signed in twice: in ``http`` and in the returned second browser."""
    other = app.test_client()
    sign_in(http)
    sign_in(other)
    return other


def test_sign_out_everywhere_ends_other_browsers_too(http, other_browser):
    page = http.get(f"{IDP}/account")
    assert len(re.findall(r"<li>", page.text.split("Where you are signed in")[1])) >= 2
    http.post(f"{IDP}/account/signout-everywhere", data={"csrf_token": csrf_token(page.text)})
    assert other_browser.get(f"{IDP}/account").status_code == 302


def test_password_change_signs_out_everywhere(http, other_browser):
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/account/password", data={
        "csrf_token": csrf_token(page.text), "current_password": "correct-horse-battery-staple",
        "new_password": "an-even-better-password"})
    assert other_browser.get(f"{IDP}/account").status_code == 302
    assert sign_in(http, password="an-even-better-password").status_code == 302


@pytest.mark.parametrize("next_url", ["//evil.example/", "/\\evil.example", "https://evil.example/",
                                      "/ok\\..\\\\evil.example"])
def test_sign_in_never_redirects_off_site(http, next_url):
    response = sign_in(http, next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/account", f"{IDP}/account")


def test_signing_in_as_another_account_revokes_the_earlier_sessions_tokens(http):
    tokens = get_tokens(http).json  # Ada, on a shared computer
    assert userinfo(http, tokens["access_token"]).status_code == 200
    sign_in(http, email="grace@example.org")
    assert userinfo(http, tokens["access_token"]).status_code == 401
    assert refresh(http, tokens["refresh_token"]).json["error"] == "invalid_grant"


def test_account_and_consent_pages_are_never_stored(http):
    sign_in(http)
    assert http.get(f"{IDP}/account").headers["Cache-Control"] == "no-store"
    consent_page = http.get(authorize_url(code_challenge=pkce_pair()[1],
                                          code_challenge_method="S256"))
    assert 'value="allow"' in consent_page.text
    assert consent_page.headers["Cache-Control"] == "no-store"
