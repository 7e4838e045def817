"""CORS for the endpoints browser clients call with ``fetch`` (Fetch Standard, "CORS protocol").

Token, userinfo and revocation answers are readable only by a registered web origin of the
client making the request: the ``Origin`` is echoed exactly, never ``*``, and an unregistered
origin gets no CORS header at all, preflight included. No ``Access-Control-Allow-Credentials``:
these endpoints take tokens and client credentials, never cookies. (Discovery and the JWKS
are public, ``*``, in their views.)
"""

from authlib.integrations.flask_oauth2 import current_token
from flask import request

from . import clients
from .oidc import parameters
from .oidc.server import query_client

TOKEN_ENDPOINTS = {"idp.token", "idp.revoke"}
USERINFO_ENDPOINT = "idp.userinfo"
ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"


def init_app(app):
    """Answer CORS on the token, revocation and userinfo endpoints."""
    app.after_request(allow_registered_origin)


def allow_registered_origin(response):
    """Let the requesting client's registered web origin read ``response``."""
    if request.endpoint not in TOKEN_ENDPOINTS | {USERINFO_ENDPOINT}:
        return response
    response.vary.add("Origin")  # the answer differs per origin: caches must know
    origin = request.headers.get("Origin")
    if origin is None or origin not in _allowed_origins():
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS":
        methods = sorted(request.url_rule.methods - {"OPTIONS", "HEAD"})
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def _allowed_origins():
    """Return the origins that may read this response.

    The client is known from the request itself: ``client_id`` or HTTP Basic at the token
    and revocation endpoints (RFC 6749 §2.3.1), the access token at userinfo. A preflight
    carries neither, nor does a userinfo request whose token failed, so those admit the
    web origins of every client; the actual request is then held to its own client's.
    """
    userinfo = request.endpoint == USERINFO_ENDPOINT
    if request.method == "OPTIONS" or (userinfo and not current_token):
        return {origin for client in clients.all_clients() for origin in client.web_origins}
    client_id = current_token.client_id if userinfo else parameters.client_id_of(request)
    client = client_id and query_client(client_id)
    return set(client.web_origins) if client else set()

