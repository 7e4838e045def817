"""Client authentication (RFC 6749 §2.3): every method discovery advertises really works.

A public client authenticates with ``none`` (PKCE instead); a confidential client with its
secret, sent either way (``client_secret_basic`` or ``client_secret_post``), at the token and
revocation endpoints alike.
"""

import pytest

from app.idp import clients
from tests.helpers import (
    CLIENT_ID, IDP, REDIRECT_URI, authorize_url, basic_auth, consent, pkce_pair,
    redirect_params, sign_in, userinfo,
)

CONFIDENTIAL_REDIRECT = "http://app.localhost:5000/cb"


@pytest.fixture
def confidential(app):
    """A confidential client: ``(client_id, secret)``."""
    with app.app_context():
        client, secret = clients.register("Confidential NGO", [CONFIDENTIAL_REDIRECT],
                                          ["http://app.localhost:5000"], confidential=True)
        return client.client_id, secret


def authenticated(method, client_id, secret, form):
    """Return ``post`` keyword arguments that send ``form`` authenticated by ``method``."""
    if method == "client_secret_basic":
        return {"data": form, "headers": basic_auth(client_id, secret)}
    if method == "client_secret_post":
        return {"data": {**form, "client_id": client_id, "client_secret": secret}}
    return {"data": {**form, "client_id": client_id}}


def code_for(http, client_id, redirect_uri):
    """Sign Ada in, consent for ``client_id`` and return ``(code, code_verifier)``."""
    sign_in(http)
    verifier, challenge = pkce_pair()
    url = authorize_url(client_id=client_id, redirect_uri=redirect_uri,
                        code_challenge=challenge, code_challenge_method="S256")
    response = http.get(url)
    if response.status_code == 200:
        response = consent(http, url)
    return redirect_params(response)["code"], verifier


def advertised(http, endpoint):
    """Return the client authentication methods discovery advertises for ``endpoint``."""
    metadata = http.get(f"{IDP}/.well-known/openid-configuration").json
    return metadata[f"{endpoint}_endpoint_auth_methods_supported"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "none"])
def test_each_advertised_method_works_at_the_token_and_revocation_endpoints(
        http, confidential, method):
    assert method in advertised(http, "token") and method in advertised(http, "revocation")
    client_id, secret = confidential if method != "none" else (CLIENT_ID, None)
    redirect_uri = CONFIDENTIAL_REDIRECT if method != "none" else REDIRECT_URI
    code, verifier = code_for(http, client_id, redirect_uri)

    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    response = http.post(f"{IDP}/oidc/token", **authenticated(method, client_id, secret, form))
    assert response.status_code == 200, response.json
    access_token = response.json["access_token"]

    revoked = http.post(f"{IDP}/oidc/revoke",
                        **authenticated(method, client_id, secret, {"token": access_token}))
    assert revoked.status_code == 200, revoked.json
    assert userinfo(http, access_token).status_code == 401


@pytest.mark.parametrize("endpoint", ["token", "revoke"])
def test_a_confidential_client_must_present_its_secret(http, confidential, endpoint):
    client_id, _ = confidential
    code, verifier = code_for(http, client_id, CONFIDENTIAL_REDIRECT)
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": CONFIDENTIAL_REDIRECT, "code_verifier": verifier}
    if endpoint == "revoke":
        token = http.post(f"{IDP}/oidc/token", data=form,
                          headers=basic_auth(*confidential)).json["access_token"]
        form = {"token": token}
    for wrong in ({"client_id": client_id}, {"client_id": client_id, "client_secret": "wrong"}):
        response = http.post(f"{IDP}/oidc/{endpoint}", data={**form, **wrong})
        assert response.json["error"] == "invalid_client", (wrong, response.json)


def test_a_public_client_cannot_present_a_secret_method(http):
    code, verifier = code_for(http, CLIENT_ID, REDIRECT_URI)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}
    response = http.post(f"{IDP}/oidc/token", data=form, headers=basic_auth(CLIENT_ID, "x"))
    assert response.json["error"] == "invalid_client"
