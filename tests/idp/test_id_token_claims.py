"""What an ID token says about the user, per client (OIDC Core §2, §8.1).

Pairwise must stay pairwise: two sites holding tokens of one person from one session must
find no common value in them beyond what the user consented to show both (email, name) and
the issuer and clock. ``auth_time`` is sent only when ``max_age`` asked for it.
"""

import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from app.extensions import db
from app.idp import clients
from app.idp.models import BrowserSession
from tests.helpers import (
    CLIENT_ID, IDP, NGO, REDIRECT_URI, authorize_url, consent, pkce_pair, redirect_params,
    refresh, sign_in, token_request)

OTHER = "http://other.localhost:5000"
OTHER_CALLBACK = f"{OTHER}/cb"
SCOPE = "openid email profile offline_access"
# Equal in two clients' tokens by design: the issuer, the clock, and consented profile data.
MAY_BE_EQUAL = {"iss", "iat", "exp", "email", "email_verified", "name"}


@pytest.fixture
def two_sites(app, http):
    """Ada signed in, having consented to the demo client and to a second site."""
    with app.app_context():
        other, _ = clients.register("Other NGO", [OTHER_CALLBACK], [OTHER])
        other_id = other.client_id
    sign_in(http)
    sites = {CLIENT_ID: (REDIRECT_URI, NGO), other_id: (OTHER_CALLBACK, OTHER)}
    for client_id, (callback, _) in sites.items():
        consent(http, authorize_url(client_id=client_id, redirect_uri=callback, scope=SCOPE,
                                    response_type="id_token"))
    return sites


def decode(http, id_token):
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    return jwt.decode(id_token, keys).claims


def code_flow_tokens(http, client_id, callback, **extra):
    """Run the code flow for an already-consented client; return the token response."""
    verifier, challenge = pkce_pair()
    response = http.get(authorize_url(client_id=client_id, redirect_uri=callback, scope=SCOPE,
                                      code_challenge=challenge, code_challenge_method="S256",
                                      **extra))
    form = {"grant_type": "authorization_code", "code": redirect_params(response)["code"],
            "redirect_uri": callback, "code_verifier": verifier}
    return token_request(http, form, client_id).json


def id_tokens(http, client_id, callback, origin, **extra):
    """Return the claims of the client's ID token from every path that issues one."""
    implicit = dict(client_id=client_id, redirect_uri=callback, scope=SCOPE,
                    response_type="id_token", **extra)
    frame = {"client_id": client_id, "origin": origin, "redirect_uri": origin,
             "response_type": "id_token", "scope": SCOPE, "nonce": secrets.token_urlsafe(8),
             "state": "s", **extra}
    status = http.get(f"{IDP}/oidc/iframe/status?{urlencode(frame)}").json
    return {
        "code": decode(http, code_flow_tokens(http, client_id, callback, **extra)["id_token"]),
        "id_token": decode(http, redirect_params(http.get(authorize_url(**implicit)))["id_token"]),
        "prompt=none": decode(http, redirect_params(http.get(authorize_url(
            prompt="none", **implicit)))["id_token"]),
        "status frame": decode(http, status["authorization"]["id_token"]),
    }


def test_no_auth_time_unless_max_age_asks(http, two_sites):
    for client_id, (callback, origin) in two_sites.items():
        for path, issued in id_tokens(http, client_id, callback, origin).items():
            assert "auth_time" not in issued, f"{path} sent auth_time unasked"


def test_max_age_brings_auth_time(app, http, two_sites):
    with app.app_context():
        signed_in_at = db.session.scalar(db.select(BrowserSession.auth_time))
    for client_id, (callback, origin) in two_sites.items():
        for path, issued in id_tokens(http, client_id, callback, origin,
                                      max_age="3600").items():
            assert issued["auth_time"] == signed_in_at, path


def test_two_sites_tokens_share_nothing_but_issuer_clock_and_consented_claims(
        http, two_sites):
    (first, (callback1, origin1)), (second, (callback2, origin2)) = two_sites.items()
    mine = id_tokens(http, first, callback1, origin1)
    theirs = id_tokens(http, second, callback2, origin2)
    for path in mine:
        shared = {k for k, v in mine[path].items() if theirs[path].get(k) == v}
        assert shared <= MAY_BE_EQUAL, f"{path}: {shared - MAY_BE_EQUAL} correlate the user"


def test_refresh_issues_no_id_token(http, two_sites):
    tokens = code_flow_tokens(http, CLIENT_ID, REDIRECT_URI)
    refreshed = refresh(http, tokens["refresh_token"]).json
    assert refreshed["access_token"] and "id_token" not in refreshed


def test_max_age_zero_signs_in_again_once_and_brings_auth_time(app, http, two_sites):
    """The sign-in max_age asks for satisfies it: no second round, and auth_time is sent."""
    with app.app_context():  # Ada signed in ten minutes ago
        db.session.execute(db.update(BrowserSession).values(auth_time=int(time.time()) - 600))
        db.session.commit()
    verifier, challenge = pkce_pair()
    started = int(time.time())
    url = authorize_url(max_age="0", scope=SCOPE, code_challenge=challenge,
                        code_challenge_method="S256")
    to_sign_in = http.get(url).headers["Location"]
    assert urlsplit(to_sign_in).path == "/signin"
    next_url = parse_qs(urlsplit(to_sign_in).query)["next"][0]
    resumed = sign_in(http, next_url=next_url).headers["Location"]
    response = http.get(IDP + resumed)
    assert response.status_code == 302 and "/signin" not in response.headers["Location"]
    form = {"grant_type": "authorization_code", "code": redirect_params(response)["code"],
            "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    issued = decode(http, token_request(http, form).json["id_token"])
    assert issued["auth_time"] >= started
