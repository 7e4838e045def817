"""CORS on the token, userinfo and revocation endpoints: registered web origins only."""

import pytest

from app.idp import clients
from tests.helpers import CLIENT_ID, IDP, NGO, basic_auth, get_tokens

OTHER_ORIGIN = "http://other.localhost:5000"
EVIL_ORIGIN = "http://evil.localhost:5000"


@pytest.fixture
def other_client(app):
    """A confidential client whose only web origin is ``OTHER_ORIGIN``: ``(client_id, secret)``."""
    with app.app_context():
        client, secret = clients.register("Other NGO", [f"{OTHER_ORIGIN}/cb"], [OTHER_ORIGIN],
                                          confidential=True)
        return client.client_id, secret


def cors_headers(response):
    return {k: v for k, v in response.headers.items() if k.startswith("Access-Control-")}


def assert_allowed(response, origin):
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def assert_no_cors(response):
    assert cors_headers(response) == {}


def token_call(http, origin, **form):
    return http.post(f"{IDP}/oidc/token", headers={"Origin": origin},
                     data={"grant_type": "refresh_token", "refresh_token": "nope", **form})


def revoke_call(http, origin, **form):
    return http.post(f"{IDP}/oidc/revoke", headers={"Origin": origin},
                     data={"token": "nope", **form})


def preflight(http, path, origin, method="POST"):
    return http.options(f"{IDP}{path}", headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization"})


# --- token endpoint -----------------------------------------------------------------------

def test_token_answers_are_readable_by_the_clients_origin(http):
    issued = get_tokens(http).json
    response = token_call(http, NGO, client_id=CLIENT_ID, refresh_token=issued["refresh_token"])
    assert response.status_code == 200
    assert_allowed(response, NGO)


def test_token_errors_are_readable_by_the_clients_origin_too(http):
    response = token_call(http, NGO, client_id=CLIENT_ID)
    assert response.json["error"] == "invalid_grant"
    assert_allowed(response, NGO)


@pytest.mark.parametrize("origin", [EVIL_ORIGIN, OTHER_ORIGIN, NGO + "/", "null"])
def test_token_gives_nothing_to_other_origins(http, other_client, origin):
    assert_no_cors(token_call(http, origin, client_id=CLIENT_ID))


def test_token_knows_a_confidential_client_from_basic_auth(http, other_client):
    client_id, secret = other_client
    response = http.post(f"{IDP}/oidc/token", headers={"Origin": OTHER_ORIGIN,
                                                       **basic_auth(client_id, secret)},
                         data={"grant_type": "refresh_token", "refresh_token": "nope"})
    assert_allowed(response, OTHER_ORIGIN)
    assert_no_cors(http.post(f"{IDP}/oidc/token", headers={"Origin": NGO,
                                                           **basic_auth(client_id, secret)},
                             data={"grant_type": "refresh_token", "refresh_token": "nope"}))


def test_token_without_a_client_gives_nothing(http):
    assert_no_cors(token_call(http, NGO))


def test_token_preflight(http):
    response = preflight(http, "/oidc/token", NGO)
    assert response.status_code == 200
    assert_allowed(response, NGO)
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_from_an_unregistered_origin_gets_nothing(http):
    for path in ("/oidc/token", "/oidc/revoke", "/oidc/userinfo"):
        assert_no_cors(preflight(http, path, EVIL_ORIGIN))


# --- userinfo ------------------------------------------------------------------------------

def test_userinfo_is_readable_by_the_tokens_client_only(http, other_client):
    access_token = get_tokens(http).json["access_token"]
    headers = {"Authorization": f"Bearer {access_token}"}
    ok = http.get(f"{IDP}/oidc/userinfo", headers={**headers, "Origin": NGO})
    assert ok.status_code == 200
    assert_allowed(ok, NGO)
    for origin in (OTHER_ORIGIN, EVIL_ORIGIN):
        assert_no_cors(http.get(f"{IDP}/oidc/userinfo", headers={**headers, "Origin": origin}))


def test_userinfo_preflight_and_errors_are_readable_by_registered_origins(http, other_client):
    response = preflight(http, "/oidc/userinfo", OTHER_ORIGIN, method="GET")
    assert_allowed(response, OTHER_ORIGIN)
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    refused = http.get(f"{IDP}/oidc/userinfo",
                       headers={"Authorization": "Bearer nope", "Origin": NGO})
    assert refused.status_code == 401
    assert_allowed(refused, NGO)
    assert_no_cors(http.get(f"{IDP}/oidc/userinfo",
                            headers={"Authorization": "Bearer nope", "Origin": EVIL_ORIGIN}))


# --- revocation ----------------------------------------------------------------------------

def test_revocation_is_readable_by_the_clients_origin_only(http, other_client):
    issued = get_tokens(http).json
    response = revoke_call(http, NGO, client_id=CLIENT_ID, token=issued["refresh_token"])
    assert response.status_code == 200
    assert_allowed(response, NGO)
    assert_no_cors(revoke_call(http, OTHER_ORIGIN, client_id=CLIENT_ID))
    assert_no_cors(revoke_call(http, EVIL_ORIGIN, client_id=CLIENT_ID))
    assert_allowed(preflight(http, "/oidc/revoke", NGO), NGO)


# --- the rest of the IdP -------------------------------------------------------------------

def test_no_answer_ever_allows_any_origin_with_credentials(http):
    for response in (token_call(http, NGO, client_id=CLIENT_ID),
                     preflight(http, "/oidc/token", NGO),
                     http.get(f"{IDP}/oidc/jwks", headers={"Origin": EVIL_ORIGIN})):
        assert "Access-Control-Allow-Credentials" not in response.headers
    assert token_call(http, NGO, client_id=CLIENT_ID).headers["Access-Control-Allow-Origin"] != "*"


def test_discovery_and_jwks_stay_public(http):
    for path in ("/.well-known/openid-configuration", "/oidc/jwks"):
        assert http.get(f"{IDP}{path}", headers={"Origin": EVIL_ORIGIN}) \
            .headers["Access-Control-Allow-Origin"] == "*"


def test_other_idp_pages_get_no_cors(http):
    assert_no_cors(http.get(f"{IDP}/signin", headers={"Origin": NGO}))
