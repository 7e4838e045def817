"""The NGO backend's OpenID Connect client: Authlib's own, unmodified.

It reads everything from the IdP's discovery document, so the same code works against any
deployment; nothing here knows LxL ID internals.
"""

from authlib.integrations.flask_client import OAuth
from flask import current_app

oauth = OAuth()
DEMO_CLIENT_ID = "ngo-demo"


def init_app(app):
    """Register the IdP as ``lxl`` for the NGO site."""
    oauth.init_app(app)
    oauth.register(
        "lxl",
        client_id=app.config.get("LXL_NGO_CLIENT_ID", DEMO_CLIENT_ID),
        server_metadata_url=app.config["LXL_IDP_ORIGIN"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                       "token_endpoint_auth_method": "none"},
        overwrite=True,
    )


def idp():
    """Return the registered IdP client of the current app."""
    return oauth.create_client("lxl")


def callback_uri():
    """The redirect URI registered for the NGO site (CONTRACT.md demo data)."""
    return current_app.config["LXL_NGO_ORIGIN"] + "/auth/callback"
