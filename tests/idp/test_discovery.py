"""Discovery and JWKS (OpenID Connect Discovery 1.0, RFC 7517)."""

import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.helpers import IDP


def test_discovery_document_is_valid_and_points_at_our_endpoints(http, monkeypatch):
    response = http.get(f"{IDP}/.well-known/openid-configuration")
    metadata = response.json
    # The local issuer is plain HTTP on a loopback name, which Authlib's validator accepts
    # only under its own switch; the app itself never sets it (tests/test_config.py).
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    OpenIDProviderMetadata(metadata).validate()
    assert metadata["issuer"] == IDP
    assert metadata["authorization_endpoint"] == f"{IDP}/oidc/authorize"
    assert metadata["token_endpoint"] == f"{IDP}/oidc/token"
    assert metadata["userinfo_endpoint"] == f"{IDP}/oidc/userinfo"
    assert metadata["jwks_uri"] == f"{IDP}/oidc/jwks"
    assert metadata["revocation_endpoint"] == f"{IDP}/oidc/revoke"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["response_types_supported"]) == {"code", "id_token"}
    assert {"query", "fragment", "form_post", "web_message"} <= set(
        metadata["response_modes_supported"])
    assert metadata["subject_types_supported"] == ["pairwise"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]


def test_discovery_and_jwks_are_readable_cross_origin_without_credentials(http):
    for path in ("/.well-known/openid-configuration", "/oidc/jwks"):
        response = http.get(f"{IDP}{path}", headers={"Origin": "https://any.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_jwks_publishes_public_rsa_keys_with_kid(http):
    keys = http.get(f"{IDP}/oidc/jwks").json["keys"]
    assert keys, "a signing key exists from the first run"
    for key in keys:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["kid"]
        assert "d" not in key and "p" not in key, "never publish private parts"


def test_rotated_key_signs_and_the_old_one_stays_published(app, http, runner):
    before = {k["kid"] for k in http.get(f"{IDP}/oidc/jwks").json["keys"]}
    result = runner.invoke(args=["lxl", "keys", "rotate"])
    assert result.exit_code == 0, result.output
    after = {k["kid"] for k in http.get(f"{IDP}/oidc/jwks").json["keys"]}
    assert before < after and len(after - before) == 1


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/oidc/jwks"])
def test_discovery_and_jwks_may_be_cached_for_an_hour(http, path):
    response = http.get(f"{IDP}{path}")
    assert response.cache_control.public and response.cache_control.max_age == 3600
