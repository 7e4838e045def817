"""The NGO backend's OpenID Connect client: Authlib's own, caching as the IdP says.

It reads everything from the IdP's discovery document, so the same code works against any
deployment; nothing here knows LxL ID internals. Two things are fitted to Authlib's client:

- its HTTP session gets ``LoopbackAdapter``, so the backend reaches a local IdP at
  ``http://id.localhost:PORT``;
- discovery and the JWKS are cached for as long as their ``Cache-Control: max-age`` says
  (Authlib keeps them forever). A token naming an unknown ``kid`` still makes Authlib fetch
  the JWKS again at once (a rotated key), but at most once a minute, so that a stream of
  forged tokens cannot turn into a stream of JWKS requests.
"""

import threading
import time

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app, session
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

from ..config import NGO_CALLBACK_PATH, NGO_CREDENTIAL_PATH
from ..loopback import LoopbackAdapter

CLIENT = "ngo.lxl_client"  # where init_app keeps the registered client, in app.extensions
FORCED_JWKS_FETCH_INTERVAL = 60  # seconds between fetches for an unknown kid, at least


class _LoopbackOAuth2Session(OAuth2Session):
    """Authlib's requests session, connecting ``http://*.localhost`` to 127.0.0.1."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mount("http://", LoopbackAdapter())


class _IdpApp(FlaskOAuth2App):
    """Authlib's Flask client: every call through that session, documents cached by max-age."""

    client_cls = _LoopbackOAuth2Session

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._metadata_fresh_until = self._jwks_fresh_until = self._jwks_forced_at = 0.0

    def save_authorize_data(self, **kwargs):
        """Keep one pending sign-in per browser, the newest.

        While anonymous the site session is a cookie (app/sessions.py), and Authlib adds each
        pending sign-in's state to it: a visitor who clicked "Sign in" twenty times would
        outgrow the 4 KB a browser keeps, and lose the session.
        """
        pending = f"_state_{self.name}_"
        for key in [key for key in session if key.startswith(pending)]:
            session.pop(key)
        super().save_authorize_data(**kwargs)

    def load_server_metadata(self):
        """Return the discovery document, fetched again once its max-age has passed."""
        with self._lock:
            if time.monotonic() >= self._metadata_fresh_until:
                document, self._metadata_fresh_until = self._get_cacheable(
                    self._server_metadata_url)
                # Updated in place, never emptied: readers outside the lock (Authlib's own
                # calls) must always find the issuer and endpoints; the cached JWKS stays.
                self.server_metadata.update(document)
        return self.server_metadata

    def fetch_jwk_set(self, force=False):
        """Return the JWKS; fetch it when stale, or when ``force``d (unknown kid) rarely."""
        metadata = self.load_server_metadata()
        with self._lock:
            now = time.monotonic()
            if force and now - self._jwks_forced_at >= FORCED_JWKS_FETCH_INTERVAL:
                self._jwks_forced_at, self._jwks_fresh_until = now, 0.0
            if now >= self._jwks_fresh_until or "jwks" not in metadata:
                metadata["jwks"], self._jwks_fresh_until = self._get_cacheable(
                    metadata["jwks_uri"])
            return metadata["jwks"]

    def parse_id_token(self, token, nonce, claims_options=None, **kwargs):
        """Verify an ID token as Authlib does, and always its issuer and audience.

        Authlib checks ``iss`` only when told to, and ``aud`` against the client_id not at
        all (OIDC Core §3.1.3.7, steps 2 and 3).
        """
        options = {"iss": {"essential": True, "value": self.load_server_metadata()["issuer"]},
                   "aud": {"essential": True, "value": self.client_id}, **(claims_options or {})}
        return super().parse_id_token(token, nonce, claims_options=options, **kwargs)

    def _get_cacheable(self, url):
        """GET a JSON document; return it and the monotonic time until which it is fresh."""
        with self._get_session() as session:
            response = session.request("GET", url, withhold_token=True, timeout=5)
            response.raise_for_status()
        cache_control = parse_cache_control_header(
            response.headers.get("Cache-Control"), cls=ResponseCacheControl)
        fresh_for = 0 if cache_control.no_store or cache_control.no_cache else (
            cache_control.max_age or 0)
        return response.json(), time.monotonic() + fresh_for


def init_app(app):
    """Register the IdP as ``lxl`` for the NGO site, in a registry of this app's own.

    One registry per app: the client caches discovery and the JWKS, so a registry shared by
    two apps would serve one the other's IdP.
    """
    app.extensions[CLIENT] = OAuth(app).register(
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
    return current_app.extensions[CLIENT]


def callback_uri():
    """The redirect URI registered for the NGO site (CONTRACT.md demo data)."""
    return current_app.config["LXL_NGO_ORIGIN"] + NGO_CALLBACK_PATH


def credential_uri():
    """Where LxL ID posts the button's redirect-mode answer: the SDK's ``login_uri``, and a
    redirect URI registered for the NGO site (CONTRACT.md demo data)."""
    return current_app.config["LXL_NGO_ORIGIN"] + NGO_CREDENTIAL_PATH


def origin():
    """The NGO site's own origin, where LxL ID sends supporters back after signing out."""
    return current_app.config["LXL_NGO_ORIGIN"]
