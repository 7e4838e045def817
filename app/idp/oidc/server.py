"""The authorization server: Authlib's, wired to our models, grants and response modes."""

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.sqla_oauth2 import (
    create_bearer_token_validator,
    create_revocation_endpoint,
)
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import current_app, g
from flask import request as flask_request

from ... import database
from ...extensions import db
from ..models import Client, Token
from .. import caches, tokens
from . import metadata, parameters, response_modes, transport
from .logout import EndSessionEndpoint
from .refresh import RefreshTokenGrant
from .grants import (
    AuthorizationCodeGrant,
    IdTokenGrant,
    OpenIDCodeExtension,
    S256CodeChallenge,
    browser_session_of,
    token_family_of,
)

def authorization_request(params, method="GET"):
    """Return an OAuth request for the authorization parameters ``params`` (a dict)."""
    oauth_request = transport.OAuth2Request(method, flask_request.base_url,
                                            headers=flask_request.headers)
    oauth_request.payload = BasicOAuth2Payload(params)
    return oauth_request


class LxlAuthorizationServer(AuthorizationServer):
    """Authlib's server, delivering redirectable errors by the request's response mode."""

    def create_oauth2_request(self, request):
        """Wrap Flask's request, or pass through one built from parameters (status_frame.py)."""
        if isinstance(request, OAuth2Request):
            return request
        return transport.FlaskOAuth2Request(flask_request)

    def get_consent_grant(self, request=None, end_user=None):
        """Check the authorization parameters where they enter, then validate as Authlib does.

        The grant sees only the parameters of ``parameters.AUTHORIZATION_PARAMETERS``, each
        given once and of its syntax; a request breaking that gets ``invalid_request``
        naming the parameter, never a redirect (its ``redirect_uri`` is not yet trusted).
        """
        oauth_request = self.create_oauth2_request(request)
        params = parameters.checked(oauth_request.payload.datalist,
                                    parameters.AUTHORIZATION_PARAMETERS)
        oauth_request.payload = BasicOAuth2Payload(params)
        return super().get_consent_grant(oauth_request, end_user)

    def create_authorization_response(self, request=None, grant_user=None, grant=None):
        """Respond to the grant's own request: the checked parameters, not Flask's raw ones."""
        if request is None and grant is not None:
            request = grant.request
        return super().create_authorization_response(request, grant_user, grant)

    def handle_error_response(self, request, error):
        """Send an error to the client the way a success would go (RFC 6749 §4.1.2.1).

        The request keeps the error it was answered (``answered_error``): Authlib answers an
        error raised while issuing the grant itself, and a log line must not tell of a
        credential that was never sent.
        """
        request.answered_error = error
        if error.redirect_uri is None:
            return super().handle_error_response(request, error)
        requested = request.payload.data.get("response_mode")
        default = response_modes.FRAGMENT if error.redirect_fragment else response_modes.QUERY
        mode = requested if requested in response_modes.RESPONSE_MODES else default
        return self.handle_response(*response_modes.render(error.redirect_uri,
                                                           error_params(error), mode))


def checked_state(params):
    """Return the request's ``state`` to echo, or ``None`` if it is not a valid one."""
    try:
        return parameters.checked(params, ("state",)).get("state")
    except OAuth2Error:
        return None


def error_params(error):
    """Return an error's response parameters, with the failure reason when there is one."""
    params = error.get_body()
    if reason := getattr(error, "reason", None):
        params.append(("reason", reason))
    return params


def query_client(client_id):
    """Return the client registered as ``client_id``, from the process's cache (caches.py).

    Looked up at most once per request; the same object answers every question about it.
    """
    if not isinstance(client_id, str):
        return None
    loaded = g.setdefault("clients_by_id", {})
    if client_id not in loaded:
        loaded[client_id] = caches.cache_of(Client).get(
            client_id, lambda: caches.load_detached(Client, Client.client_id == client_id))
    return loaded[client_id]


class _RevocationEndpoint(create_revocation_endpoint(db.session, Token)):
    # RFC 7009 §2.1: public clients revoke their tokens too, identified by client_id.
    CLIENT_AUTH_METHODS = metadata.CLIENT_AUTH_METHODS


_INSERT_TOKEN = db.insert(Token.__table__)


def _save_token(token, request):
    session = browser_session_of(request)
    # A plain INSERT: nothing in this request reads the row back (issue 12).
    database.execute(_INSERT_TOKEN, dict(
        client_id=request.client.client_id, user_id=request.user.id,
        browser_session_id=session.id if session else None, family=token_family_of(request),
        offline=tokens.is_offline(request.client, token.get("scope")), **token))
    db.session.commit()


def _authenticate_client_secret_basic(query_client, request):
    """Authlib's ``client_secret_basic``, refusing credentials that are not UTF-8 by name."""
    parameters.basic_credentials(request.headers)
    return authenticate_client_secret_basic(query_client, request)


require_token = ResourceProtector()
require_token.register_token_validator(create_bearer_token_validator(db.session, Token)())


def init_app(app):
    """Create the app's authorization server: token lifetimes, grants and endpoints."""
    lifetime = int(app.config["LXL_ACCESS_TOKEN_LIFETIME"].total_seconds())
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN",
                          dict.fromkeys(metadata.GRANT_TYPES, lifetime))
    app.config.setdefault("OAUTH2_ACCESS_TOKEN_GENERATOR", tokens.new_token)
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", tokens.new_token)
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", metadata.SCOPES)
    server = LxlAuthorizationServer(app, query_client=query_client, save_token=_save_token)
    server.register_client_auth_method("client_secret_basic", _authenticate_client_secret_basic)
    server.register_grant(AuthorizationCodeGrant,
                          [S256CodeChallenge(required=True), OpenIDCodeExtension()])
    server.register_grant(IdTokenGrant)
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(_RevocationEndpoint)
    server.register_endpoint(EndSessionEndpoint)
    app.extensions["lxl.authorization_server"] = server
    transport.init_app(app)


def authorization_server():
    """Return the current app's authorization server."""
    return current_app.extensions["lxl.authorization_server"]

