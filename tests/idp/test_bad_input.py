"""Bad input is refused where it enters, with an error naming what is wrong (finding 13).

Each case here was a 500. tests/test_fuzz.py looks for more of the same kind on every route.
"""

import base64
from urllib.parse import urlencode

import pytest
from werkzeug.exceptions import BadRequest
from werkzeug.test import EnvironBuilder

from tests.helpers import (
    CLIENT_ID, IDP, NGO, authorize_url, finish_sign_up, outbox, pkce_pair, redirect_params,
    sign_in, sign_up)

NOT_UTF8 = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}


def pkce_url(**overrides):
    _, challenge = pkce_pair()
    return authorize_url(**{"code_challenge": challenge, "code_challenge_method": "S256",
                            **overrides})


@pytest.mark.parametrize("query, parameter", [
    ({"code_challenge_method": '{"method": "S256"}'}, "code_challenge_method"),
    ({"code_challenge_method": "S256\\"}, "code_challenge_method"),
    ({"response_mode": "it's"}, "response_mode"),
    ({"max_age": "9" * 4301}, "max_age"),
    ({"max_age": "-1"}, "max_age"),
    ({"scope": 'openid "email"'}, "scope"),
    ({"state": "a\r\nb"}, "state"),
    ({"nonce": "x" * 5000}, "nonce"),
    ({"redirect_uri": "http://[::g]/"}, "redirect_uri"),
    ({"client_id": "<b>ngo demo</b>"}, "client_id"),
])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
def test_authorize_names_a_malformed_parameter(http, query, parameter, signed_in):
    if signed_in:
        sign_in(http)
    response = http.get(pkce_url(**query))
    assert response.status_code == 400 and "Location" not in response.headers
    assert f"&#39;{parameter}&#39;" in response.text


def test_authorize_names_a_repeated_parameter(http):
    sign_in(http)
    response = http.get(pkce_url() + "&code_challenge_method=S256")
    assert response.status_code == 400
    assert "Repeated &#39;code_challenge_method&#39;" in response.text


def test_a_silent_request_with_a_malformed_parameter_is_refused(http):
    response = http.get(pkce_url(prompt="none", max_age="9" * 4301),
                        headers={"Sec-Fetch-Storage-Access": "inactive"})
    assert response.status_code == 400 and "&#39;max_age&#39;" in response.text


@pytest.mark.parametrize("path, form", [
    ("/oidc/token", {"grant_type": "authorization_code", "code": "x"}),
    ("/oidc/revoke", {"token": "x"}),
])
def test_basic_credentials_that_are_not_utf8_are_named(http, path, form):
    response = http.post(f"{IDP}{path}", data=form, headers={**NOT_UTF8, "Origin": NGO})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert "'Authorization'" in response.json["error_description"]


@pytest.mark.parametrize("client_id", ['ngo"demo', "<b>ngo</b>", "ngo demo", "ngo\\demo",
                                       "ngo\tdemo", "☃"])
def test_logout_names_a_malformed_client_id(http, client_id):
    response = http.get(f"{IDP}/oidc/logout?" + urlencode({"client_id": client_id}))
    assert response.status_code == 400 and "&#39;client_id&#39;" in response.text


def test_logout_names_a_malformed_post_logout_redirect_uri(http):
    response = http.get(f"{IDP}/oidc/logout?" + urlencode(
        {"client_id": CLIENT_ID, "post_logout_redirect_uri": f'{NGO}/"x"'}))
    assert response.status_code == 400
    assert "&#39;post_logout_redirect_uri&#39;" in response.text


@pytest.mark.parametrize("next_url", ["/account\r\nSet-Cookie: a=b", "/a b", "/\x00",
                                      "/☃"])
def test_sign_in_with_a_next_that_is_no_path_goes_to_the_account_page(http, next_url):
    response = sign_in(http, next_url=next_url)
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_sign_up_with_a_next_that_is_no_path_creates_the_account_and_goes_on(http):
    started = sign_up(http, "mary@example.org", next_url="/account\r\nSet-Cookie: a=b")
    assert started.status_code == 200
    response = finish_sign_up(http, outbox(http)[-1]["links"][0])
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def raw(http, path, query):
    """GET ``path`` with ``query`` as the raw bytes of the request line (latin-1)."""
    request = EnvironBuilder(path=path, base_url=IDP).get_request()
    request.environ["QUERY_STRING"] = query
    return http.open(request)


@pytest.mark.parametrize("path", ["/oidc/authorize", "/signin", "/account",
                                  "/oidc/iframe/check_session"])
def test_a_query_string_that_is_not_utf8_is_refused(http, path):
    response = raw(http, path, "client_id=\xff\xfe")
    assert response.status_code == 400 and "query string is not UTF-8" in response.text


def test_json_nested_too_deeply_is_refused(app):
    with app.test_request_context(data="[" * 100000, content_type="application/json"):
        from flask import request

        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest, match="nested too deeply"):
            request.get_json()


def test_forms_ignore_a_json_body(http):
    """Flask-WTF would read JSON as the form: a JSON true reached the CSRF check."""
    sign_in(http)
    response = http.post(f"{IDP}/oidc/logout", json={"client_id": CLIENT_ID,
                                                     "csrf_token": True})
    assert response.status_code == 200 and "csrf_token" in response.text, "asks to confirm"


def test_a_valid_request_still_redirects_its_error_to_the_client(http):
    """A well-formed request for something unsupported is the client's to hear (§4.1.2.1)."""
    sign_in(http)
    error = redirect_params(http.get(pkce_url(code_challenge_method="plain")))
    assert error["error"] == "invalid_request" and error["state"] == "st4te"
