"""What this OpenID Provider is and supports, each fact defined once (OIDC Discovery 1.0 §3).

``discovery.provider_metadata`` publishes these values; registration (``clients.register``),
the client model and the grants enforce the same ones. Nothing of the app is imported here,
so every module may read it without an import cycle.
"""

from flask import current_app

#: Client authentication with the secret (RFC 6749 §2.3.1): a confidential client may use
#: either; the first is what registration records (RFC 7591 §2's default).
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
#: No client authentication: a public client, which uses PKCE instead (RFC 7636).
PUBLIC_AUTH_METHOD = "none"
#: Accepted at the token and revocation endpoints (RFC 8414 §2, RFC 7009 §2.1).
CLIENT_AUTH_METHODS = [*SECRET_AUTH_METHODS, PUBLIC_AUTH_METHOD]
GRANT_TYPES = ["authorization_code", "refresh_token", "implicit"]
RESPONSE_TYPES = ["code", "id_token"]
SCOPES = ["openid", "email", "profile", "offline_access"]


def issuer():
    """Return the issuer identifier: the IdP origin, no trailing slash (CONTRACT.md)."""
    return current_app.config["LXL_IDP_ORIGIN"]
