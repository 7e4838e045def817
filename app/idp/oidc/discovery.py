"""OpenID Provider metadata (OpenID Connect Discovery 1.0 §3)."""

from flask import url_for

from .. import keys
from . import metadata, response_modes
from .grants import S256CodeChallenge


def provider_metadata():
    """Return the discovery document; every endpoint is absolute under the issuer."""
    base = metadata.issuer()

    def endpoint(name):
        return base + url_for(name)

    return {
        "issuer": base,
        "authorization_endpoint": endpoint("idp.authorize"),
        "token_endpoint": endpoint("idp.token"),
        "userinfo_endpoint": endpoint("idp.userinfo"),
        "jwks_uri": endpoint("idp.jwks"),
        "revocation_endpoint": endpoint("idp.revoke"),
        "check_session_iframe": endpoint("idp.session_iframe"),
        "end_session_endpoint": endpoint("idp.logout"),
        "scopes_supported": metadata.SCOPES,
        "response_types_supported": metadata.RESPONSE_TYPES,
        "response_modes_supported": list(response_modes.RESPONSE_MODES),
        "grant_types_supported": metadata.GRANT_TYPES,
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "token_endpoint_auth_methods_supported": metadata.CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": metadata.CLIENT_AUTH_METHODS,
        "code_challenge_methods_supported": S256CodeChallenge.SUPPORTED_CODE_CHALLENGE_METHOD,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid",
                             "name", "email", "email_verified"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
