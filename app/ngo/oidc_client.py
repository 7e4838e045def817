"""The NGO backend's OpenID Connect client: Authlib's own, unmodified.

It reads everything from the IdP's discovery document, so the same code works against any
deployment; nothing here knows LxL ID internals. Only its HTTP session is fitted with
``LoopbackAdapter``, so that the backend reaches a local IdP at ``http://id.localhost:PORT``.
"""

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app

from ..config import NGO_CALLBACK_PATH
from ..loopback import LoopbackAdapter

_REGISTRY = "authlib.integrations.flask_client"  # where OAuth(app) keeps itself


class _LoopbackOAuth2Session(OAuth2Session):
    """Authlib's requests session, connecting ``http://*.localhost`` to 127.0.0.1."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mount("http://", LoopbackAdapter())


class _IdpApp(FlaskOAuth2App):
    """Authlib's Flask client, making every call (discovery, token, JWKS) with that session."""

    client_cls = _LoopbackOAuth2Session


def init_app(app):
    """Register the IdP as ``lxl`` for the NGO site, in a registry of this app's own.

    One registry per app: Authlib's caches the client, its discovery document and JWKS, so
    a registry shared by two apps would serve one the other's IdP.
    """
    OAuth(app).register(
        "lxl",
        client_cls=_IdpApp,
        client_id=app.config["LXL_NGO_CLIENT_ID"],
        server_metadata_url=app.config["LXL_IDP_ORIGIN"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                       "token_endpoint_auth_method": "none"},
        overwrite=True,
    )


def idp():
    """Return the registered IdP client of the current app."""
    return current_app.extensions[_REGISTRY].create_client("lxl")


def callback_uri():
    """The redirect URI registered for the NGO site (CONTRACT.md demo data)."""
    return current_app.config["LXL_NGO_ORIGIN"] + NGO_CALLBACK_PATH
