"""``response_type=id_token`` (OIDC Core §3.2): the SDK's credential."""

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers import CLIENT_ID, IDP, NGO, authorize_url, consent, redirect_params, sign_in


def id_token_url(**overrides):
    return authorize_url(response_type="id_token", **overrides)


def test_id_token_comes_back_in_the_fragment_with_nonce(http):
    sign_in(http)
    response = consent(http, id_token_url(nonce="abc123"))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "#" in location and "?" not in location.split("#")[0], "never in the query"
    params = redirect_params(response)
    assert params["state"] == "st4te" and "access_token" not in params
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    claims = jwt.decode(params["id_token"], keys).claims
    assert claims["nonce"] == "abc123" and claims["aud"] == CLIENT_ID and claims["iss"] == IDP
    assert claims["email"] == "ada@example.org" and claims["sid"]


def test_nonce_is_required(http):
    sign_in(http)
    error = redirect_params(http.get(id_token_url(nonce=None)))
    assert error["error"] == "invalid_request" and "nonce" in error["error_description"]


def test_query_response_mode_is_refused_and_the_error_is_not_in_the_query(http):
    sign_in(http)
    response = http.get(id_token_url(response_mode="query"))
    error = redirect_params(response)
    assert error["error"] == "invalid_request" and "response_mode" in error["error_description"]


@pytest.mark.parametrize("mode", ["form_post", "web_message"])
def test_id_token_in_page_response_modes(http, mode):
    sign_in(http)
    response = consent(http, id_token_url(response_mode=mode,
                                          redirect_uri=NGO if mode == "web_message" else None))
    assert response.status_code == 200
    assert "id_token" in response.text
    assert response.headers["Cache-Control"] == "no-store"
